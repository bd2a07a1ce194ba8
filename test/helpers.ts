/** Shared helpers of the test suites: real host processes, their JSON lines, isolated temp dirs. */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

/** The headless host every suite drives. */
export const HOST = path.resolve(__dirname, '..', 'dist', 'host.js');
/** The built module, for in-process tests. */
export const MODULE = path.resolve(__dirname, '..', 'dist', 'single-instance');

/** A fresh app id, so that suites and cases never share an instance. */
export function uniqueId(label = 'app'): string {
  return `test.${label}.${process.pid}.${randomBytes(4).toString('hex')}`;
}

/**
 * A fresh world-writable (sticky, like /tmp) temp dir used as TMPDIR by hosts and this process,
 * so the suite never touches the real per-user directory.
 */
export function isolatedTmp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-'));
  fs.chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  delete process.env.XDG_RUNTIME_DIR;
  return dir;
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

  /** The first line (the host's role line). */
  async first(): Promise<Line> {
    const [line] = await this.waitForLines(1);
    return line!;
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

  /** Records a line printed by the process and wakes who waits for it. */
  protected addLine(text: string): void {
    this.lines.push(JSON.parse(text) as Line);
    for (const waiter of this.waiters.filter((w) => this.lines.length >= w.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
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
   */
  constructor(args: string[], options: SpawnOptions = {}) {
    super();
    this.child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
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
   */
  constructor(args: string[], options: SpawnOptions = {}, script = HOST) {
    super([script, ...args], options);
  }
}

/** Starts a host that must become the primary; resolves once it listens. */
export async function startPrimary(id: string, extra: string[] = [], options: SpawnOptions = {}, script = HOST): Promise<HostProcess> {
  const host = new HostProcess(['--id', id, ...extra], options, script);
  const line = await host.first();
  if (line.role !== 'primary') {
    throw new Error(`expected a primary, got ${JSON.stringify(line)}`);
  }
  return host;
}

/** Runs a host to completion and returns its exit code, lines and stderr. */
export async function runHost(
  args: string[],
  options: SpawnOptions = {},
): Promise<{ code: number | string; lines: Line[]; stderr: string }> {
  const host = new HostProcess(args, options);
  const code = await host.exited;
  return { code, lines: host.lines, stderr: host.stderr };
}

/** A logger that records every message and lets a test wait for one (synchronisation by event). */
export class RecordingLogger {
  readonly messages: string[] = [];
  private readonly waiters: { pattern: RegExp; resolve(message: string): void }[] = [];

  readonly debug = (...params: unknown[]): void => this.record(params);
  readonly info = (...params: unknown[]): void => this.record(params);
  readonly warn = (...params: unknown[]): void => this.record(params);
  readonly error = (...params: unknown[]): void => this.record(params);

  /** Resolves with the first message (past or future) matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string> {
    const seen = this.messages.find((message) => pattern.test(message));
    if (seen !== undefined) {
      return Promise.resolve(seen);
    }
    return new Promise((resolve) => this.waiters.push({ pattern, resolve }));
  }

  private record(params: unknown[]): void {
    const message = params.map(String).join(' ');
    this.messages.push(message);
    for (const waiter of this.waiters.filter((w) => w.pattern.test(message))) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(message);
    }
  }
}
