/** Timing helpers shared by the benchmark and the demo: real processes, wall time, storms. */
import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { HOST } from '../helpers.js';

/** One finished process: its wall time and its stdout lines (JSON where it printed JSON). */
export interface Run {
  ms: number;
  code: number | null;
  lines: Record<string, unknown>[];
}

/** Starts `node <args>` and resolves when it exits, with its wall time from spawn to exit. */
export function timeNode(args: string[]): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = new Lines(child);
  return new Promise((resolve) => {
    child.once('close', (code) => resolve({ ms: performance.now() - started, code, lines: lines.items }));
  });
}

/** Wall time of a bare `node -e ''`: the cost of starting Node at all. */
export function bareNode(): Promise<Run> {
  return timeNode(['-e', '']);
}

/** Runs the host with `args`. */
export function host(args: string[]): Promise<Run> {
  return timeNode([HOST, ...args]);
}

/** A child's stdout lines, parsed as JSON, with a way to wait for the n-th one. */
class Lines {
  readonly items: Record<string, unknown>[] = [];
  private readonly waiters: { count: number; resolve(): void }[] = [];
  private ended = false;

  constructor(child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      try {
        this.items.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        this.items.push({ text });
      }
      this.wake();
    });
    child.once('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  /** Resolves once `count` lines arrived or the process ended. */
  waitFor(count: number): Promise<void> {
    if (this.ended || this.items.length >= count) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  private wake(): void {
    for (const waiter of this.waiters.filter((w) => this.ended || this.items.length >= w.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

/** The value at quantile `q` (0..1) of `values` (nearest rank). */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** The median of `values`. */
export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** What a storm of simultaneous host launches did. */
export interface StormResult {
  /** From the first spawn until every secondary exited and the primary had every launch. */
  ms: number;
  primaries: number;
  delivered: number;
  duplicates: number;
  failures: number;
  /** Each secondary's wall time, spawn to exit. */
  handOffMs: number[];
  primaryPid: number | null;
}

/**
 * Starts `count` hosts with the same app id at once and waits until all secondaries have exited
 * and the primary printed every launch; then stops the primary.
 * @param appId - a fresh app id
 * @param count - how many launches
 * @param onProgress - called as secondaries finish (done, total)
 */
export async function storm(appId: string, count: number, onProgress?: (done: number, total: number) => void): Promise<StormResult> {
  const started = performance.now();
  const children = Array.from({ length: count }, (_, index) => {
    const child = spawn(process.execPath, [HOST, '--id', appId, '--', `launch-${index}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = new Lines(child);
    const exited = new Promise<{ ms: number; code: number | null }>((resolve) => {
      child.once('close', (code) => resolve({ ms: performance.now() - started, code }));
    });
    return { child, lines, exited };
  });
  await Promise.all(children.map((entry) => entry.lines.waitFor(1)));
  const isPrimary = (entry: (typeof children)[number]): boolean => entry.lines.items[0]?.role === 'primary';
  const primaries = children.filter(isPrimary);
  const secondaries = children.filter((entry) => !isPrimary(entry));
  let done = 0;
  const results = await Promise.all(
    secondaries.map((entry) =>
      entry.exited.then((result) => {
        done += 1;
        onProgress?.(done, secondaries.length);
        return result;
      }),
    ),
  );
  const primary = primaries[0];
  await primary?.lines.waitFor(secondaries.length + 1);
  const ms = performance.now() - started;
  for (const entry of primaries) {
    entry.child.kill('SIGTERM');
  }
  await Promise.all(primaries.map((entry) => entry.exited));
  const launches = (primary?.lines.items.slice(1) ?? []).map((event) => (event.argv as string[]).at(-1));
  return {
    ms,
    primaries: primaries.length,
    delivered: new Set(launches).size,
    duplicates: launches.length - new Set(launches).size,
    failures: results.filter((result) => result.code !== 0).length,
    handOffMs: results.map((result) => result.ms),
    primaryPid: primary?.child.pid ?? null,
  };
}

/** Starts `count` bare `node -e ''` at once; resolves with the wall time until all exited. */
export async function bareStorm(count: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, () => new Promise((resolve) => spawn(process.execPath, ['-e', ''], { stdio: ['ignore', 'pipe', 'pipe'] }).once('close', resolve))),
  );
  return performance.now() - started;
}
