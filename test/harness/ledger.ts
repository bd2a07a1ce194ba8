/**
 * What a run of the suites did, kept by the runner (run.ts) from node:test's events: every test
 * and suite that passed, failed or was skipped (with its full name and its reason), and from the
 * runner itself the files the watchdog stopped and the processes files left running. The runner
 * lists what the spec reporter's summary leaves out from it, and writes it as JSON for the
 * harness's own test.
 */
import * as path from 'node:path';
import type { EventData, TestsStream } from 'node:test';
import type { Leak } from './records.js';

/** How one test or suite ended. */
export interface Result {
  /** The test file, relative to the working directory. */
  file: string;
  /** Its name after its suites', outermost first, joined by " › " (a test file's own: the file). */
  name: string;
  outcome: 'passed' | 'failed' | 'skipped';
  /** Why it was skipped. */
  reason?: string;
  /** How it failed, as node:test says (`testTimeoutFailure`, `testCodeFailure`, ...). */
  failureType?: string;
}

/** A test file the watchdog stopped. */
export interface Stop {
  file: string;
  /** Its bound, which it ran past. */
  boundMs: number;
  /** The test it was running (the innermost, by full name), or `null` when none (a hook of a suite, or loading). */
  running: string | null;
  /** The processes killed: the file's own and every process under it. */
  killed: number;
}

/** The whole account of a run, as JSON. */
export interface Report {
  /** Whether node:test counted every test file and test as passed. */
  success: boolean;
  results: Result[];
  stopped: Stop[];
  leaked: Leak[];
}

/** A test's name and its suite's key (a key is the test file and the test's id in it). */
interface Named {
  name: string;
  parentKey: string | undefined;
}

/** What every event about one test carries. */
interface TestData {
  name: string;
  nesting: number;
  testId: number;
  parentId: number | undefined;
  file?: string;
}

/** The test file an event comes from: where the test runs (node:test's `entryFile`), else where it is written. */
function fileOf(data: TestData): string {
  return (data as { entryFile?: string }).entryFile ?? data.file ?? '';
}

/** The account of one run, kept from its events. */
export class Ledger {
  /** How each test and suite ended, in the order they were reported. */
  readonly results: Result[] = [];
  /** The test files the runner's watchdog stopped (it adds them). */
  readonly stopped: Stop[] = [];
  /** What test files left running (the runner adds it once the run is over). */
  leaked: Leak[] = [];
  /** Whether node:test counted the whole run as passed. */
  success = false;
  private readonly named = new Map<string, Named>();

  /**
   * @param files - the run's test files, relative to the working directory (node:test names the test around each file's process after it)
   */
  constructor(private readonly files: ReadonlySet<string>) {}

  /**
   * Keeps the account of `events`, and tells `onFile` when each test file starts and ends.
   * @param events - the run's events
   * @param onFile - called with a test file and whether it starts (true) or has ended (false)
   */
  follow(events: TestsStream, onFile: (file: string, starts: boolean) => void): void {
    events.on('test:enqueue', (data) => {
      if (!this.isFile(data)) {
        this.name(data);
      }
    });
    events.on('test:dequeue', (data) => this.isFile(data) && onFile(data.name, true));
    events.on('test:complete', (data) => this.isFile(data) && onFile(data.name, false));
    events.on('test:pass', (data) => this.record(data, data.skip === undefined ? 'passed' : 'skipped', data.skip));
    events.on('test:fail', (data) => this.record(data, 'failed', undefined, data.details.error));
    events.on('test:summary', (data) => {
      if (data.file === undefined) {
        this.success = data.success;
      }
    });
  }

  /** The skipped tests and suites. */
  get skipped(): Result[] {
    return this.results.filter((result) => result.outcome === 'skipped');
  }

  /** The account as JSON. */
  report(): Report {
    return { success: this.success, results: this.results, stopped: this.stopped, leaked: this.leaked };
  }

  /** Whether the event is about the test around a test file's process rather than a test in it. */
  private isFile(data: TestData): boolean {
    return data.nesting === 0 && this.files.has(data.name) && path.resolve(data.name) === data.file;
  }

  private keyOf(data: TestData): string {
    return `${fileOf(data)}#${data.testId}`;
  }

  private name(data: EventData.TestEnqueue): void {
    const parentKey = data.parentId === undefined || data.parentId === 0 ? undefined : `${fileOf(data)}#${data.parentId}`;
    this.named.set(this.keyOf(data), { name: data.name, parentKey });
  }

  private fullName(key: string): string {
    const names: string[] = [];
    for (let at = this.named.get(key); at; at = at.parentKey === undefined ? undefined : this.named.get(at.parentKey)) {
      names.unshift(at.name);
    }
    return names.join(' › ');
  }

  private record(data: TestData, outcome: Result['outcome'], skip: string | boolean | undefined, error?: Error): void {
    const file = path.relative(process.cwd(), fileOf(data));
    const result: Result = { file, name: this.isFile(data) ? data.name : this.fullName(this.keyOf(data)), outcome };
    if (outcome === 'skipped') {
      result.reason = typeof skip === 'string' ? skip : 'no reason given';
    }
    const failureType = (error as { failureType?: unknown } | undefined)?.failureType;
    if (typeof failureType === 'string') {
      result.failureType = failureType;
    }
    this.results.push(result);
  }
}
