/** Shared helpers of the test suites: real processes and their JSON lines, temp dirs, a recording logger. */
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { type Places, derivePlaces, stateDirFor } from '../app/single-instance/names.js';
import { machineId } from '../app/single-instance/platform/posix.js';

/** The repository's root (tests run from `dist-test/test/`). */
export const ROOT = path.resolve(__dirname, '..', '..');
/** The headless host every suite drives (built from app/tools/host.ts). */
export const HOST = path.join(ROOT, 'dist', 'host.js');
/** The one fixture program for scenarios the host does not cover (test/fixtures/fixture.ts). */
export const FIXTURE = path.join(__dirname, 'fixtures', 'fixture.js');
/** A `--require` hook that reports on stderr whether koffi was loaded (test/fixtures/report-koffi.ts). */
export const REPORT_KOFFI = path.join(__dirname, 'fixtures', 'report-koffi.js');
export { KOFFI_LOADED } from './fixtures/koffi-marker.js';
export { BOUNDS } from './harness/bounds.js';

/** A fresh app id, so that suites and cases never share an instance. */
export function uniqueId(label = 'app'): string {
  forgetIdsOnExit();
  return `test.${label}.${process.pid}.${randomBytes(4).toString('hex')}`;
}

let forgetting = false;

/**
 * Lock files stay by design (deleting one could let a contender lock an unlinked file), so a
 * suite removes the state files of its own app ids (they carry its pid) when it ends.
 */
function forgetIdsOnExit(): void {
  if (forgetting) {
    return;
  }
  forgetting = true;
  const home = os.userInfo().homedir;
  const dirs = [stateDirFor(process.platform, home), path.join(home, `.sole-instance-${process.getuid?.() ?? 0}`)];
  const ours = new RegExp(`^test\\.[^.]+\\.${process.pid}\\.`);
  process.once('exit', () => {
    for (const dir of dirs.filter((candidate) => fs.existsSync(candidate))) {
      for (const name of fs.readdirSync(dir).filter((entry) => ours.test(entry))) {
        fs.rmSync(path.join(dir, name), { force: true });
      }
    }
  });
}

/**
 * A fresh temp dir, removed when the test process exits.
 * @param label - a prefix that tells whose it is
 * @param mode - its mode; `0o1777` makes it world-writable and sticky, like /tmp
 */
export function tempDir(label = 'si', mode = 0o700): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  fs.chmodSync(dir, mode);
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A fresh sticky temp dir made this process's (and so its children's) TMPDIR, so that a suite
 * never touches the real per-user directory.
 */
export function isolatedTmp(): string {
  const dir = tempDir('si', 0o1777);
  process.env.TMPDIR = dir;
  delete process.env.XDG_RUNTIME_DIR;
  return dir;
}

/** A real user of this machine the suites run processes as (created by .ci/run). */
export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/**
 * A test user, when this process can run processes as it (root) and it exists.
 * @param name - `sole-a` (the app's user in the suites) or `sole-b` (another user)
 */
export function testUser(name: 'sole-a' | 'sole-b'): TestUser | undefined {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  const entry = spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout.trim().split(':');
  const [, , uid, gid, , home] = entry;
  return uid && gid && home ? { name, uid: Number(uid), gid: Number(gid), home } : undefined;
}

/** Something a suite needs that a machine may lack: whether this one has it, and what a skip says when not. */
export interface Need {
  met: boolean;
  /** What is missing and how to get it. */
  missing: string;
}

/**
 * A file a suite needs (a tool, a prepared cache).
 * @param file - its path
 * @param fix - how to get it
 */
export function needFile(file: string, fix: string): Need {
  return { met: fs.existsSync(file), missing: `${file} is missing: ${fix}` };
}

/** What running processes as the test users needs: root, and both users (.ci/run creates them). */
export function needTestUsers(): Need[] {
  const root: Need = { met: process.getuid?.() === 0, missing: 'needs root to run processes as the test users' };
  const users = (['sole-a', 'sole-b'] as const).map((name): Need => ({ met: testUser(name) !== undefined, missing: `user ${name} does not exist (.ci/run creates it)` }));
  return [root, ...users];
}

/**
 * The `skip` option of every suite that needs what a machine may lack: `undefined` when each
 * need is met, else what the first unmet one says. The runner (test/harness/run.ts) lists every
 * skip with its reason when `npm test` ends, and under CI, where .ci/run provides everything,
 * fails the run on any.
 * @param needs - what the suite needs
 */
export function skipUnless(...needs: Need[]): string | undefined {
  return needs.find((need) => !need.met)?.missing;
}

/**
 * Spawn options that run a process as `user`, with the environment a login of theirs has.
 * @param user - the user
 * @param env - more environment variables
 */
export function asUser(user: TestUser, env: NodeJS.ProcessEnv = {}): SpawnOptions {
  return { uid: user.uid, gid: user.gid, cwd: user.home, env: { PATH: process.env.PATH, HOME: user.home, USER: user.name, ...env } };
}

/**
 * Where `user`'s instance of `appId` lives, derived as that user's own launches derive it.
 * @param user - the user
 * @param appId - the app id
 */
export function placesOf(user: TestUser, appId: string): Places {
  const context = { platform: process.platform, user: String(user.uid), session: null, stateDir: stateDirFor(process.platform, user.home), host: machineId(), sandbox: null, installFolderHash: null };
  return derivePlaces(appId, 'session', context);
}

/** The suites' two test users and a copy of the build they can run. */
export interface TestUsers {
  /** `sole-a`, the app's user. */
  ana: TestUser;
  /** `sole-b`, another user. */
  bob: TestUser;
  copy: ReadableCopy;
}

/** Both test users (they must exist: see {@link needTestUsers}) and a copy of the build they can run. */
export function testUsersAndBuild(): TestUsers {
  return { ana: testUser('sole-a')!, bob: testUser('sole-b')!, copy: readableCopy(tempDir('build', 0o755)) };
}

/** The built host and fixture, copied where another user can run them. */
export interface ReadableCopy {
  host: string;
  fixture: string;
}

/**
 * Copies the built host and fixture program, with the package and koffi they load, into `dir`,
 * so that another user can run them (the checkout may sit where only its owner enters).
 * @param dir - a directory the other user can read
 */
export function readableCopy(dir: string): ReadableCopy {
  const parts = ['dist', 'dist-test', 'node_modules/koffi', 'node_modules/@koromix', 'app/single-instance/package.json', 'app/single-instance/dist'];
  for (const part of parts) {
    const to = part.startsWith('app/single-instance') ? part.replace('app/single-instance', 'node_modules/sole-instance') : part;
    fs.cpSync(path.join(ROOT, part), path.join(dir, to), { recursive: true });
  }
  return { host: path.join(dir, 'dist', 'host.js'), fixture: path.join(dir, path.relative(ROOT, FIXTURE)) };
}

/** One JSON object per stdout line, as the host contract says. */
export type Line = Record<string, unknown>;

/** A process that prints one JSON object a line, with a way to wait for its lines. */
export abstract class LineProcess {
  abstract readonly child: ChildProcess;
  readonly lines: Line[] = [];
  /** Resolves with the exit code (or the signal name) once the process has exited and its output is read. */
  abstract readonly exited: Promise<number | string>;
  /** What the process wrote to stderr so far. */
  abstract readonly stderr: string;
  private readonly waiters: { count: number; resolve(): void }[] = [];

  /** Resolves once `count` lines have been printed (rejects if the process exits first). */
  async waitForLines(count: number): Promise<Line[]> {
    if (this.lines.length < count) {
      const printed = new Promise<void>((resolve) => this.waiters.push({ count, resolve }));
      const ended = this.exited.then((code) => {
        throw new Error(`exited (${code}) after ${this.lines.length} of ${count} lines; stderr: ${this.stderr}`);
      });
      await Promise.race([printed, ended]);
    }
    return this.lines;
  }

  /** The first line. */
  async first(): Promise<Line> {
    const [line] = await this.waitForLines(1);
    return line!;
  }

  /** The host's role line (`{"role":…}`), whatever trace lines come before it. */
  role(): Promise<Line> {
    return this.waitForLine((line) => 'role' in line);
  }

  /**
   * Resolves with the first traced event (a `{"trace":…}` line of a process run with
   * `SOLE_INSTANCE_TRACE=1`) named `event` that matches `detail`.
   */
  traced(event: string, detail: Line = {}, count = 1): Promise<Line> {
    return this.waitForLine((line) => line.trace === event && Object.entries(detail).every(([key, value]) => line[key] === value), count);
  }

  /** Sends `signal` to the process and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
    this.child.kill(signal);
    return this.exited;
  }

  /**
   * Runs `body` while the process is stopped (SIGSTOP: alive, holding everything, answering
   * nothing), then lets it run again and ends it with `endSignal`.
   */
  async whileStopped(body: () => Promise<void>, endSignal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.child.kill('SIGSTOP');
    try {
      await body();
    } finally {
      this.child.kill('SIGCONT');
      await this.stop(endSignal);
    }
  }

  /** Resolves with the `count`th line (past or future) that `matches` (rejects if the process exits first). */
  async waitForLine(matches: (line: Line) => boolean, count = 1): Promise<Line> {
    for (let seen = 0, found = 0; ; seen += 1) {
      const lines = await this.waitForLines(seen + 1);
      const line = lines[seen];
      if (line && matches(line) && (found += 1) === count) {
        return line;
      }
    }
  }

  /** Records a line printed by the process (JSON, or `{ text }` for a line that is not) and wakes who waits for it. */
  protected addLine(text: string): void {
    this.lines.push(parseLine(text));
    for (const waiter of this.waiters.filter((w) => this.lines.length >= w.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

function parseLine(text: string): Line {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Line) : { text };
  } catch {
    return { text };
  }
}

/** A Node process (`node <args>`) with its parsed stdout lines. */
export class NodeProcess extends LineProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  stderr = '';

  /**
   * @param args - node arguments (a script and its arguments)
   * @param options - spawn options (cwd, env, uid...)
   * @param wrapper - a command that runs node (a sandbox: `bwrap … --`), or none
   */
  constructor(args: string[], options: SpawnOptions = {}, wrapper: readonly string[] = []) {
    super();
    const [command = process.execPath, ...prefix] = [...wrapper, process.execPath];
    this.child = spawn(command, [...(wrapper.length > 0 ? prefix : []), ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    createInterface({ input: this.child.stdout! }).on('line', (text) => this.addLine(text));
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    });
  }
}

/** The headless host as a process. */
export class HostProcess extends NodeProcess {
  /**
   * @param args - host arguments
   * @param options - spawn options (cwd, env, uid...)
   * @param script - the host script (a copy elsewhere, for another user)
   * @param wrapper - a command that runs node (a sandbox), or none
   */
  constructor(args: string[], options: SpawnOptions = {}, script = HOST, wrapper: readonly string[] = []) {
    super([script, ...args], options, wrapper);
  }
}

/** bubblewrap around a process that sees everything as it is but the network: a namespace of its own (`unshare -n`, a sandbox without network). */
export const OTHER_NETWORK: readonly string[] = ['bwrap', '--dev-bind', '/', '/', '--unshare-net', '--die-with-parent', '--'];

/** Starts a host that must become the primary; resolves once it listens. */
export async function startPrimary(id: string, extra: string[] = [], options: SpawnOptions = {}, script = HOST): Promise<HostProcess> {
  const host = new HostProcess(['--id', id, ...extra], options, script);
  const line = await host.role();
  if (line.role !== 'primary') {
    throw new Error(`expected a primary, got ${JSON.stringify(line)}`);
  }
  return host;
}

/** How a process that ran to completion ended. */
export interface Finished {
  pid: number | undefined;
  code: number | string;
  lines: Line[];
  stderr: string;
}

/** Runs a process to completion. */
export async function finished(process: LineProcess): Promise<Finished> {
  const code = await process.exited;
  return { pid: process.child.pid, code, lines: process.lines, stderr: process.stderr };
}

/** Runs a host to completion and returns its exit code, lines and stderr. */
export function runHost(args: string[], options: SpawnOptions = {}): Promise<Finished> {
  return finished(new HostProcess(args, options));
}

/** Runs the fixture program to completion: `fixture.js <scenario> <args>` (see test/fixtures/fixture.ts). */
export function runFixture(args: string[], options: SpawnOptions = {}): Promise<Finished> {
  return finished(new NodeProcess([FIXTURE, ...args], options));
}

/** One event the package published on its diagnostics channel. */
export type Traced = Record<string, unknown> & { appId: string; event: string };

/**
 * Records the events the package publishes in this process (its diagnostics channel,
 * `sole-instance`) for one app id, and lets a test wait for them: synchronisation on structured
 * events, never on the wording of a log line.
 */
export class TraceRecorder {
  readonly events: Traced[] = [];
  private readonly waiters: { matches(event: Traced): boolean; count: number; resolve(event: Traced): void }[] = [];
  private readonly listener = (message: unknown): void => this.record(message as Traced);

  /** @param appId - whose events are recorded */
  constructor(private readonly appId: string) {
    subscribe('sole-instance', this.listener);
  }

  /**
   * Resolves with the `count`th event (past or future) named `event` that matches `detail`;
   * rejects, naming what it waited for, after `timeoutMs`.
   */
  waitFor(event: string, detail: Record<string, unknown> = {}, count = 1, timeoutMs = 15_000): Promise<Traced> {
    const matches = (candidate: Traced): boolean => candidate.event === event && Object.entries(detail).every(([key, value]) => candidate[key] === value);
    const seen = this.events.filter(matches);
    if (seen.length >= count) {
      return Promise.resolve(seen[count - 1]!);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no ${count}th "${event}" event ${JSON.stringify(detail)} within ${timeoutMs} ms; saw ${JSON.stringify(this.events)}`));
      }, timeoutMs);
      const waiter = { matches, count, resolve: (found: Traced) => (clearTimeout(timer), resolve(found)) };
      this.waiters.push(waiter);
    });
  }

  /** Stops recording. */
  stop(): void {
    unsubscribe('sole-instance', this.listener);
  }

  private record(event: Traced): void {
    if (event.appId !== this.appId) {
      return;
    }
    this.events.push(event);
    for (const waiter of this.waiters.filter((w) => w.matches(event))) {
      if (this.events.filter(waiter.matches).length >= waiter.count) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  }
}

/** A logger that records every message (what a test asserts a user is told). */
export class RecordingLogger {
  readonly messages: string[] = [];

  readonly debug = (...params: unknown[]): void => this.record(params);
  readonly info = (...params: unknown[]): void => this.record(params);
  readonly warn = (...params: unknown[]): void => this.record(params);
  readonly error = (...params: unknown[]): void => this.record(params);

  private record(params: unknown[]): void {
    this.messages.push(params.map(String).join(' '));
  }
}
