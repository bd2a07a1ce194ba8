/** Timing helpers shared by the benchmark and the demo: real processes, wall time, storms. */
import { performance } from 'node:perf_hooks';
import { HOST, HostProcess, type Line, NodeProcess } from '../helpers.js';

/** One finished process: its wall time and its stdout lines. */
export interface Run {
  ms: number;
  code: number | string;
  lines: Line[];
}

/** Starts `node <args>` and resolves when it exits, with its wall time from spawn to exit. */
export async function timeNode(args: string[]): Promise<Run> {
  const started = performance.now();
  const child = new NodeProcess(args);
  const code = await child.exited;
  return { ms: performance.now() - started, code, lines: child.lines };
}

/** Wall time of a bare `node -e ''`: the cost of starting Node at all. */
export function bareNode(): Promise<Run> {
  return timeNode(['-e', '']);
}

/** Runs the host with `args`. */
export function host(args: string[]): Promise<Run> {
  return timeNode([HOST, ...args]);
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
  const hosts = Array.from({ length: count }, (_, index) => new HostProcess(['--id', appId, '--', `launch-${index}`]));
  const roles = await Promise.all(hosts.map((entry) => entry.first().then((line) => line.role, () => 'failed')));
  const primaries = hosts.filter((_, index) => roles[index] === 'primary');
  const secondaries = hosts.filter((_, index) => roles[index] !== 'primary');
  let done = 0;
  const results = await Promise.all(
    secondaries.map(async (entry) => {
      const code = await entry.exited;
      done += 1;
      onProgress?.(done, secondaries.length);
      return { code, ms: performance.now() - started };
    }),
  );
  const primary = primaries[0];
  await primary?.waitForLines(secondaries.length + 1).catch(() => undefined);
  const ms = performance.now() - started;
  await Promise.all(primaries.map((entry) => entry.stop()));
  const launches = (primary?.lines.slice(1) ?? []).map((event) => (event.argv as string[]).at(-1));
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
  await Promise.all(Array.from({ length: count }, () => new NodeProcess(['-e', '']).exited));
  return performance.now() - started;
}
