/**
 * The runner `npm test` uses: node:test's run() over the built suites, one file at a time, with
 * the spec reporter, made so that a run always ends and hides nothing:
 *
 * - a test or hook that names no bound of its own fails by name after BOUNDS.test (a promise
 *   that never settles, a process that never prints its line), and the file goes on;
 * - a test file's process exits once its tests are done, even with handles left open
 *   (forceExit), and the processes it left running are killed and fail it (preload.ts);
 * - a test file still running at its bound (BOUNDS.file, or its own in FILE_BOUNDS: a test
 *   blocked in synchronous code) is stopped with every process under it, and the tests it was
 *   running are named;
 * - every skipped suite and test is listed with its reason at the end (the spec reporter's
 *   count leaves skipped suites out), and under CI, where .ci/run provides everything, a skip
 *   fails the run.
 *
 *   node dist-test/test/harness/run.js [--test-timeout <ms>] [--file-timeout <ms>] [--report <file.json>] [<glob>...]
 *
 * Globs default to every built suite; `--file-timeout` replaces BOUNDS.file; `--report` writes
 * the run's account as JSON (the harness's own test reads it). Exits 1 when anything failed, was
 * stopped or left running, or was skipped under CI.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { parseArgs } from 'node:util';
import { BOUNDS, FILE_BOUNDS } from './bounds.js';
import { Ledger } from './ledger.js';
import { descendantsOf, killAll, liveProcesses } from './processes.js';
import { RECORDS_DIR_ENV, readLeaks, readRunning } from './records.js';

/** The built `test/` folder. */
const TESTS = path.join(__dirname, '..');
const PRELOAD = path.join(__dirname, 'preload.js');

/** What a run is asked to do. */
interface RunnerOptions {
  /** The test files, relative to the working directory, in the order they run. */
  files: string[];
  testTimeoutMs: number;
  fileTimeoutMs: number;
  report: string | undefined;
}

function parseOptions(): RunnerOptions {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'test-timeout': { type: 'string' }, 'file-timeout': { type: 'string' }, report: { type: 'string' } },
  });
  const globs = positionals.length > 0 ? positionals : [path.relative(process.cwd(), path.join(TESTS, '**', '*.test.js'))];
  return {
    files: [...new Set(globs.flatMap((glob) => fs.globSync(glob)))].sort(),
    testTimeoutMs: Number(values['test-timeout'] ?? BOUNDS.test),
    fileTimeoutMs: Number(values['file-timeout'] ?? BOUNDS.file),
    report: values.report,
  };
}

/** Whether this is a CI run (`CI` set, and not to "0" or "false"). */
function isCi(): boolean {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

/** Stops a test file that runs past its bound, with every process under it, and notes it in the ledger. */
class Watchdog {
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param ledger - where a stop is noted
   * @param records - the folder where test file processes record the test they are running
   * @param fileTimeoutMs - the bound of a file FILE_BOUNDS does not name
   */
  constructor(
    private readonly ledger: Ledger,
    private readonly records: string,
    private readonly fileTimeoutMs: number,
  ) {}

  /** Arms the watchdog when a test file starts, disarms it when it ends (one file runs at a time). */
  readonly onFile = (file: string, starts: boolean): void => {
    clearTimeout(this.timer);
    const boundMs = FILE_BOUNDS[path.relative(TESTS, path.resolve(file))] ?? this.fileTimeoutMs;
    this.timer = starts ? setTimeout(() => this.stop(file, boundMs), boundMs) : undefined;
  };

  private stop(file: string, boundMs: number): void {
    const own = liveProcesses().filter((entry) => entry.ppid === process.pid && entry.command.endsWith(file));
    const tree = own.flatMap((entry) => [entry, ...descendantsOf(entry.pid)]);
    const running = own.map((entry) => readRunning(this.records, entry.pid)).find((test) => test !== undefined) ?? null;
    killAll(tree);
    this.ledger.stopped.push({ file, boundMs, running, killed: tree.length });
  }
}

/** What the spec reporter's summary leaves out: every skip with its reason, stopped files, processes left running. */
function account(ledger: Ledger, ci: boolean): string[] {
  const lines = [`ℹ skipped, suites included: ${ledger.skipped.length}${ledger.skipped.length > 0 ? ', each with its reason:' : ''}`];
  for (const { file, name, reason } of ledger.skipped) {
    lines.push(`  ﹣ ${file} › ${name}: ${reason}`);
  }
  if (ci && ledger.skipped.length > 0) {
    lines.push('✖ CI: every suite must run here, so the skips above fail the run');
  }
  for (const { file, boundMs, running, killed } of ledger.stopped) {
    lines.push(`✖ ${file} was still running past its bound of ${boundMs / 1000} s, in ${running ?? 'no test (a hook, or loading)'}: stopped, with ${killed} processes`);
  }
  for (const { file, processes } of ledger.leaked) {
    lines.push(`✖ ${file} left ${processes.length} processes running, killed when it exited:`);
    lines.push(...processes.map(({ pid, command }) => `  ${pid} ${command.slice(0, 200)}`));
  }
  return lines;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const records = fs.mkdtempSync(path.join(os.tmpdir(), 'sole-test-records-'));
  process.env[RECORDS_DIR_ENV] = records;
  const ledger = new Ledger(new Set(options.files));
  const watchdog = new Watchdog(ledger, records, options.fileTimeoutMs);
  const events = run({ files: options.files, concurrency: 1, timeout: options.testTimeoutMs, forceExit: true, execArgv: ['--require', PRELOAD] });
  ledger.follow(events, watchdog.onFile);
  for await (const chunk of events.compose(spec())) {
    process.stdout.write(chunk as string);
  }
  ledger.leaked = readLeaks(records);
  fs.rmSync(records, { recursive: true, force: true });
  const ci = isCi();
  console.log(account(ledger, ci).join('\n'));
  if (options.report !== undefined) {
    fs.writeFileSync(options.report, JSON.stringify(ledger.report(), null, 2));
  }
  const clean = ledger.success && ledger.stopped.length === 0 && ledger.leaked.length === 0;
  process.exitCode = clean && !(ci && ledger.skipped.length > 0) ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
