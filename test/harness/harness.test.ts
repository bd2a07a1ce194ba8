/**
 * The runner of the suites (run.ts) on tiny test files (test/fixtures/harness), each run through
 * it in a child process with short bounds, read from the account it writes (--report): a stuck
 * test fails by name and the run goes on, a file blocked for good is stopped with its processes,
 * a file's leftover handles do not keep it alive and its leftover processes are killed and fail
 * it, and every skip is listed with its reason and fails a CI run.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { type Line, NodeProcess, ROOT, tempDir } from '../helpers.js';
import type { Report, Result } from './ledger.js';
import { isLive } from './processes.js';

const RUNNER = path.join(__dirname, 'run.js');
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'harness');
/** The bound of each fixture test; the runner's own, for a whole run of two small files, is well above it. */
const TEST_TIMEOUT_MS = 1000;
const RUN_BOUND_MS = 20_000;

/** How a run of the runner went. */
interface RunnerOutcome {
  code: number | string;
  report: Report;
  /** What it printed, a line each. */
  printed: string[];
  tookMs: number;
  /** The processes the fixtures started. */
  pids: number[];
}

/** A fixture test file, relative to the repository (the runner's working directory). */
const fixture = (name: string): string => path.relative(ROOT, path.join(FIXTURES, `${name}.js`));

/**
 * Runs the runner on fixture files, as `npm test` runs it on the suites, with the fixtures'
 * tests bounded to {@link TEST_TIMEOUT_MS}.
 * @param names - the fixture files
 * @param flags - more runner flags
 * @param ci - the value of CI for the run
 */
async function runRunner(names: string[], flags: string[] = [], ci = ''): Promise<RunnerOutcome> {
  const dir = tempDir('harness');
  const reportFile = path.join(dir, 'report.json');
  const pidsFile = path.join(dir, 'pids');
  fs.writeFileSync(pidsFile, '');
  const env: NodeJS.ProcessEnv = { ...process.env, CI: ci, HARNESS_PIDS: pidsFile };
  delete env.NODE_TEST_CONTEXT;
  const started = performance.now();
  const runner = new NodeProcess([RUNNER, '--test-timeout', String(TEST_TIMEOUT_MS), '--report', reportFile, ...flags, ...names.map(fixture)], { cwd: ROOT, env });
  const code = await runner.exited;
  const tookMs = performance.now() - started;
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as Report;
  const pids = fs.readFileSync(pidsFile, 'utf8').split('\n').filter(Boolean).map(Number);
  return { code, report, printed: runner.lines.map((line: Line) => String(line.text ?? JSON.stringify(line))), tookMs, pids };
}

/** The result of the test (or test file) `name` of fixture file `file`. */
function resultOf(report: Report, file: string, name: string): Omit<Result, 'file' | 'name'> | undefined {
  const found = report.results.find((result) => result.file === fixture(file) && result.name === name);
  if (found === undefined) {
    return undefined;
  }
  const { file: _file, name: _name, ...rest } = found;
  return rest;
}

describe('the runner of the suites', () => {
  it('a test awaiting a promise that never settles fails by name at its bound; the tests after it and the next file run', async () => {
    const run = await runRunner(['stuck', 'passes']);
    assert.equal(run.code, 1);
    assert.deepEqual(resultOf(run.report, 'stuck', 'a suite with a stuck test › awaits a promise that never settles'), { outcome: 'failed', failureType: 'testTimeoutFailure' });
    assert.deepEqual(resultOf(run.report, 'stuck', 'a suite with a stuck test › passes after it'), { outcome: 'passed' });
    assert.deepEqual(resultOf(run.report, 'passes', 'passes, leaving a server listening'), { outcome: 'passed' });
    const failed = run.report.results.filter((result) => result.outcome === 'failed').map(({ file, name }) => `${file}: ${name}`);
    assert.deepEqual(failed, [`${fixture('stuck')}: a suite with a stuck test › awaits a promise that never settles`, `${fixture('stuck')}: a suite with a stuck test`]);
    assert.deepEqual([run.report.stopped, run.report.leaked], [[], []]);
    assert.ok(run.tookMs < RUN_BOUND_MS, `the run ended in ${Math.round(run.tookMs)} ms`);
  });

  it('a test file blocked in synchronous code is stopped at its bound with every process under it, naming the test it was in; the next file runs', async () => {
    const run = await runRunner(['busy', 'passes'], ['--file-timeout', '3000']);
    assert.equal(run.code, 1);
    assert.deepEqual(run.report.stopped, [{ file: fixture('busy'), boundMs: 3000, running: 'spins without ever yielding', killed: 2 }]);
    assert.deepEqual(resultOf(run.report, 'busy', fixture('busy')), { outcome: 'failed', failureType: 'testCodeFailure' });
    assert.deepEqual(resultOf(run.report, 'passes', 'passes, leaving a server listening'), { outcome: 'passed' });
    assert.equal(run.pids.length, 1);
    assert.deepEqual(run.pids.filter(isLive), [], 'the process the test started is gone');
    assert.ok(run.tookMs < RUN_BOUND_MS, `the run ended in ${Math.round(run.tookMs)} ms`);
  });

  it('a test file that leaves a process running (holding its output open) fails, the process killed, and the run ends', async () => {
    const run = await runRunner(['leaves-process', 'passes']);
    assert.equal(run.code, 1);
    assert.deepEqual(resultOf(run.report, 'leaves-process', 'passes, leaving a process running'), { outcome: 'passed' });
    assert.equal(resultOf(run.report, 'leaves-process', fixture('leaves-process'))?.outcome, 'failed');
    assert.deepEqual(run.report.leaked.map(({ file, processes }) => ({ file, pids: processes.map((entry) => entry.pid) })), [{ file: fixture('leaves-process'), pids: run.pids }]);
    assert.deepEqual(run.pids.filter(isLive), [], 'the process left running is gone');
    assert.deepEqual(resultOf(run.report, 'passes', 'passes, leaving a server listening'), { outcome: 'passed' });
    assert.ok(run.tookMs < RUN_BOUND_MS, `the run ended in ${Math.round(run.tookMs)} ms`);
  });

  it('every skipped suite and test is listed with its reason; outside CI the run passes, under CI it fails', async () => {
    const skips = [
      { name: 'a suite that needs a missing tool', reason: '/nonexistent/tool is missing: install the tool' },
      { name: 'a test that skips itself', reason: 'decided while running' },
    ];
    for (const [ci, code] of [['', 0], ['1', 1], ['true', 1]] as const) {
      const run = await runRunner(['skips'], [], ci);
      assert.equal(run.code, code, `CI=${ci}`);
      assert.deepEqual(run.report.results.filter((result) => result.outcome === 'skipped').map(({ name, reason }) => ({ name, reason })), skips);
      for (const { reason } of skips) {
        assert.ok(run.printed.some((line) => line.includes(reason)), `the listing gives "${reason}"`);
      }
    }
  });
});
