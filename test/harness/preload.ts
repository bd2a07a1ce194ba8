/**
 * Loaded into each test file's process by the runner (run.ts, `--require`):
 *
 * - it records the test the process is running, from node:test's `node.test` tracing channel
 *   (its full name, suites first), so that the runner can name it if the file has to be stopped;
 * - when the process exits, it kills the processes its tests left running, records them for the
 *   runner, and fails the file: a process left running would outlive its suite (a primary
 *   holding a lock the next suites meet), and one that holds the file's output open would keep
 *   the runner waiting for it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { tracingChannel } from 'node:diagnostics_channel';
import * as path from 'node:path';
import { descendantsOf, killAll } from './processes.js';
import { RECORDS_DIR_ENV, recordLeak, recordRunning } from './records.js';

/** What node:test publishes when a test or suite starts and ends. */
interface TestContext {
  name: string;
  type: 'test' | 'suite';
  file: string | undefined;
}

/** The runner's folder for what this process records. */
function recordsDir(): string {
  const dir = process.env[RECORDS_DIR_ENV];
  if (dir === undefined) {
    throw new Error(`preload.js is loaded by the runner (run.ts), which names its folder in ${RECORDS_DIR_ENV}`);
  }
  return dir;
}

const dir = recordsDir();

/** Each test's and suite's names, outermost first: a test runs in the context of the suite that declared it. */
const names = new AsyncLocalStorage<string[]>();
/** The tests running now, innermost last. */
const running: { context: TestContext; name: string }[] = [];

function started(context: TestContext): void {
  if (context.type === 'test' && context.file !== undefined) {
    running.push({ context, name: (names.getStore() ?? []).join(' › ') });
    recordRunning(dir, running.at(-1)?.name);
  }
}

function ended(context: TestContext): void {
  const index = running.findIndex((entry) => entry.context === context);
  if (index >= 0) {
    running.splice(index, 1);
    recordRunning(dir, running.at(-1)?.name);
  }
}

const channel = tracingChannel<unknown, TestContext>('node.test');
channel.start.bindStore(names, (context) => [...(names.getStore() ?? []), context.name]);
channel.subscribe({ start: started, end: ended, asyncStart: () => undefined, asyncEnd: () => undefined, error: () => undefined });

process.once('exit', () => {
  const left = descendantsOf(process.pid);
  if (left.length > 0) {
    killAll(left);
    recordLeak(dir, { file: path.relative(process.cwd(), process.argv[1] ?? ''), processes: left });
    process.exitCode = 1;
  }
});
