/**
 * What each test file's process tells the runner (preload.ts writes, run.ts reads): the test it
 * is running, so that a file stopped while blocked can be named by its test, and the processes
 * it left running when it exited. One folder per run, named in the environment; the files are
 * written synchronously, so they hold even when the process is blocked or killed right after.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProcessEntry } from './processes.js';

/** The environment variable that names the folder, set by the runner for the test file processes. */
export const RECORDS_DIR_ENV = 'SOLE_TEST_RECORDS_DIR';

/** What one test file left running (and its preload then killed). */
export interface Leak {
  /** The test file, relative to the working directory. */
  file: string;
  processes: ProcessEntry[];
}

const runningFile = (dir: string, pid: number): string => path.join(dir, `${pid}.running`);
const leakFile = (dir: string, pid: number): string => path.join(dir, `${pid}.leak.json`);

/**
 * Records the test this process is running now (its full name), or that it runs none.
 * @param dir - the runner's folder
 * @param test - the test's full name, or `undefined`
 */
export function recordRunning(dir: string, test: string | undefined): void {
  if (test === undefined) {
    fs.rmSync(runningFile(dir, process.pid), { force: true });
  } else {
    fs.writeFileSync(runningFile(dir, process.pid), test);
  }
}

/**
 * The test a test file's process was running when it last said, if any.
 * @param dir - the runner's folder
 * @param pid - the test file's process
 */
export function readRunning(dir: string, pid: number): string | undefined {
  return fs.existsSync(runningFile(dir, pid)) ? fs.readFileSync(runningFile(dir, pid), 'utf8') : undefined;
}

/**
 * Records what the test file of this process left running.
 * @param dir - the runner's folder
 * @param leak - the file and its processes
 */
export function recordLeak(dir: string, leak: Leak): void {
  fs.writeFileSync(leakFile(dir, process.pid), JSON.stringify(leak));
}

/**
 * Every leak recorded in `dir`, in the order the files ran.
 * @param dir - the runner's folder
 */
export function readLeaks(dir: string): Leak[] {
  const files = fs.readdirSync(dir).filter((name) => name.endsWith('.leak.json')).map((name) => path.join(dir, name));
  files.sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
  return files.map((file) => JSON.parse(fs.readFileSync(file, 'utf8')) as Leak);
}
