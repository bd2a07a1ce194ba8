/**
 * `npm run bench`: what a launch costs against the physical limit (a bare Node start, measured
 * in the same run, interleaved), storms, throughput, idle cost, a proper-lockfile comparison
 * and, where the Wine harness is ready, Wine figures. Prints a table and writes
 * `.cache/bench/results.json`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as lockfile from 'proper-lockfile';
import { claim } from 'sole-instance';
import { currentPlatform } from '../../app/single-instance/platform/index.js';
import { FIXTURE, NodeProcess, ROOT, isolatedTmp, skipUnless, startPrimary, uniqueId } from '../helpers.js';
import { stageBuild, stopWineServer, wineHost, wineNeeds, wineNode } from '../wine/harness.js';
import { type Run, bareNode, bareStorm, host, median, quantile, storm, timeNode } from './measure.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
/** An earlier build's dist/host.js (e.g. from a git worktree), measured in the same run as a baseline. */
const BASELINE_HOST = process.env.BENCH_BASELINE_HOST;
const STORM_SIZES = [8, 32, 64];
const STORM_REPEATS = 3;
const IDLE_MS = 10_000;
const OUT = path.join(ROOT, '.cache', 'bench', 'results.json');
const LOCKFILE_CLIENT = path.join(__dirname, 'lockfile-client.js');

type Row = [string, string, string, string];
const rows: Row[] = [];
const results: Record<string, unknown> = {};

function row(name: string, value: string, ratio: string, goal: string): void {
  rows.push([name, value, ratio, goal]);
  console.error(`  ${name}: ${value} ${ratio}`);
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const times = (value: number): string => `×${value.toFixed(2)}`;
const walls = (runs: Run[]): number[] => runs.map((run) => run.ms);

/** Bare start vs second instance vs new primary, interleaved so drift hits all three alike. */
async function launches(): Promise<void> {
  const id = uniqueId('bench-handoff');
  const running = await startPrimary(id);
  const floorArgs = [path.join(__dirname, 'floor-client.js'), (await currentPlatform.places(id, 'session')).record];
  const primaryId = uniqueId('bench-primary');
  const bare: Run[] = [];
  const withNet: Run[] = [];
  const withCrypto: Run[] = [];
  const floor: Run[] = [];
  const secondary: Run[] = [];
  const primary: Run[] = [];
  const previous = BASELINE_HOST ? { id: uniqueId('bench-previous'), secondary: [] as Run[], primary: [] as Run[] } : undefined;
  const previousRunning = previous && BASELINE_HOST ? await startPrimary(previous.id, [], {}, BASELINE_HOST) : undefined;
  for (let index = 0; index < RUNS; index += 1) {
    bare.push(await bareNode());
    withNet.push(await timeNode(['-e', "require('node:net')"]));
    withCrypto.push(await timeNode(['-e', "require('node:net'); require('node:crypto')"]));
    floor.push(await timeNode(floorArgs));
    secondary.push(await host(['--id', id]));
    primary.push(await host(['--id', primaryId, '--hold-ms', '0']));
    if (previous && BASELINE_HOST) {
      previous.secondary.push(await timeNode([BASELINE_HOST, '--id', previous.id]));
      previous.primary.push(await timeNode([BASELINE_HOST, '--id', uniqueId('bench-previous-primary'), '--hold-ms', '0']));
    }
  }
  await running.stop();
  await previousRunning?.stop();
  if (running.lines.length !== 1 + 2 * RUNS) {
    throw new Error(`the primary got ${running.lines.length - 1} of ${2 * RUNS} launches from the floor client and the host`);
  }
  if (secondary.some((run) => run.lines[0]?.role !== 'secondary') || primary.some((run) => run.lines[0]?.role !== 'primary')) {
    throw new Error('a launch did not take the expected role');
  }
  const base = median(walls(bare));
  const basep95 = quantile(walls(bare), 0.95);
  results.launch = {
    runs: RUNS,
    bareMedianMs: base,
    bareP95Ms: basep95,
    floorMedianMs: median(walls(floor)),
    secondaryMedianMs: median(walls(secondary)),
    secondaryP95Ms: quantile(walls(secondary), 0.95),
    primaryMedianMs: median(walls(primary)),
    primaryP95Ms: quantile(walls(primary), 0.95),
  };
  results.launch = { ...(results.launch as object), netMedianMs: median(walls(withNet)), netCryptoMedianMs: median(walls(withCrypto)) };
  row('bare `node -e ""` (baseline)', `${ms(base)} (p95 ${ms(basep95)})`, '×1.00', '');
  row('`node` + `require(\'node:net\')`', ms(median(walls(withNet))), times(median(walls(withNet)) / base), '');
  row('`node` + `net` + `crypto`', ms(median(walls(withCrypto))), times(median(walls(withCrypto)) / base), '');
  row('floor: a minimal protocol client in one file', ms(median(walls(floor))), times(median(walls(floor)) / base), '');
  row('second instance hand-off', `${ms(median(walls(secondary)))} (p95 ${ms(quantile(walls(secondary), 0.95))})`,
    `${times(median(walls(secondary)) / base)} (p95 ${times(quantile(walls(secondary), 0.95) / basep95)})`, '≤ ×1.25');
  row('new primary (claim, listen, release, exit)', `${ms(median(walls(primary)))} (p95 ${ms(quantile(walls(primary), 0.95))})`,
    `${times(median(walls(primary)) / base)} (p95 ${times(quantile(walls(primary), 0.95) / basep95)})`, '≤ ×1.6');
  if (previous) {
    const [secondaryMs, primaryMs] = [median(walls(previous.secondary)), median(walls(previous.primary))];
    results.previousBuild = { host: BASELINE_HOST, secondaryMedianMs: secondaryMs, primaryMedianMs: primaryMs };
    row('previous build: second instance hand-off', ms(secondaryMs), times(secondaryMs / base), '');
    row('previous build: new primary', ms(primaryMs), times(primaryMs / base), '');
    row('this build ÷ previous build (second instance / new primary)', '', `${times(median(walls(secondary)) / secondaryMs)} / ${times(median(walls(primary)) / primaryMs)}`, '≤ ×1.00');
  }
}

/** Hand-off time with 1000 hostile connections open (reopened as fast as the primary closes them) against a quiet one, interleaved. */
async function underFlood(): Promise<void> {
  const quietId = uniqueId('bench-quiet');
  const floodedId = uniqueId('bench-flooded');
  const quiet = await startPrimary(quietId);
  const flooded = await startPrimary(floodedId);
  const attacker = new NodeProcess([FIXTURE, 'flood', String(flooded.lines[0]?.endpoint), '1000', 'idle']);
  await attacker.first();
  const calm: Run[] = [];
  const stormy: Run[] = [];
  for (let index = 0; index < Math.min(RUNS, 20); index += 1) {
    calm.push(await host(['--id', quietId]));
    stormy.push(await host(['--id', floodedId]));
  }
  await attacker.stop('SIGKILL');
  await Promise.all([quiet.stop(), flooded.stop()]);
  if ([...calm, ...stormy].some((run) => run.lines[0]?.role !== 'secondary')) {
    throw new Error('a launch did not hand over');
  }
  const [calmMs, stormyMs] = [median(walls(calm)), median(walls(stormy))];
  results.underFlood = { hostileConnections: 1000, quietMedianMs: calmMs, floodedMedianMs: stormyMs, floodedP95Ms: quantile(walls(stormy), 0.95) };
  row('hand-off with 1000 hostile connections open (vs quiet, same run)', `${ms(stormyMs)} (p95 ${ms(quantile(walls(stormy), 0.95))}) vs ${ms(calmMs)}`, times(stormyMs / calmMs), '≤ ×2 of quiet');
}

/** N launches started together vs N bare starts started together. */
async function storms(): Promise<void> {
  const summary: Record<string, unknown>[] = [];
  for (const size of STORM_SIZES) {
    const bare: number[] = [];
    const ours: number[] = [];
    let primaries = 0;
    let delivered = 0;
    let duplicates = 0;
    let failures = 0;
    for (let repeat = 0; repeat < STORM_REPEATS; repeat += 1) {
      bare.push(await bareStorm(size));
      const result = await storm(uniqueId(`bench-storm-${size}`), size);
      ours.push(result.ms);
      primaries += result.primaries === 1 ? 0 : 1;
      delivered += result.delivered === size - 1 ? 0 : 1;
      duplicates += result.duplicates;
      failures += result.failures;
    }
    const ratio = median(ours) / median(bare);
    summary.push({ size, bareMedianMs: median(bare), stormMedianMs: median(ours), ratio, stormsWithoutExactlyOnePrimary: primaries, stormsNotDeliveringAll: delivered, duplicates, failures });
    row(`storm of ${size} (all exited, all delivered)`, `${ms(median(ours))} vs ${ms(median(bare))} bare; 1 primary ${primaries === 0 ? 'every time' : `FAILED ${primaries}×`}, ${size - 1} delivered ${delivered === 0 ? 'every time' : `FAILED ${delivered}×`}, ${duplicates} duplicates`,
      times(ratio), size === 64 ? '≤ ×1.5' : '');
  }
  results.storms = summary;
}

/** Launches per second a primary acknowledges from one client looping on claim(). */
async function throughput(): Promise<void> {
  const id = uniqueId('bench-throughput');
  const running = await startPrimary(id);
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < 2000) {
    const instance = await claim({ appId: id, argv: ['loop', String(count)] });
    if (instance.role !== 'secondary') {
      throw new Error('the loop became primary');
    }
    count += 1;
  }
  const perSecond = count / ((performance.now() - started) / 1000);
  await running.waitForLines(count + 1);
  await running.stop();
  results.throughput = { launches: count, perSecond };
  row('hand-off throughput (one client loop)', `${perSecond.toFixed(0)} launches/s`, '', '');
}

/** CPU and memory of an idle primary next to an idle bare Node process over the same 10 s. */
async function idle(): Promise<void> {
  const measure = (claimFirst: boolean): Promise<Run> =>
    timeNode([FIXTURE, 'idle', String(IDLE_MS), ...(claimFirst ? [JSON.stringify({ appId: uniqueId('bench-idle') })] : [])]);
  const [primary, bare] = await Promise.all([measure(true), measure(false)]);
  const p = primary.lines[0] as { timers: number; resources: string[]; rssMiB: number; cpuMs: number };
  const b = bare.lines[0] as { rssMiB: number; cpuMs: number };
  results.idle = { seconds: IDLE_MS / 1000, primary: p, bare: b, rssAddedMiB: p.rssMiB - b.rssMiB };
  row(`idle primary over ${IDLE_MS / 1000} s`, `${p.timers} timers, ${p.cpuMs.toFixed(1)} ms CPU (bare Node: ${b.cpuMs.toFixed(1)} ms)`, '', '0 timers, ~0 ms');
  row('RSS added by the primary (FFI + server)', `${(p.rssMiB - b.rssMiB).toFixed(1)} MiB (${p.rssMiB.toFixed(1)} vs ${b.rssMiB.toFixed(1)} MiB)`, '', '');
}

/** proper-lockfile as a single-instance lock: acquisition cost, and how long a crash locks users out. */
async function properLockfile(): Promise<void> {
  const file = path.join(os.tmpdir(), `${uniqueId('plf')}.target`);
  fs.writeFileSync(file, '');
  const bare: Run[] = [];
  const theirs: Run[] = [];
  const ours: Run[] = [];
  const primaryId = uniqueId('bench-plf-ours');
  for (let index = 0; index < Math.min(RUNS, 15); index += 1) {
    bare.push(await bareNode());
    theirs.push(await timeNode([LOCKFILE_CLIENT, 'lock', file]));
    ours.push(await host(['--id', primaryId, '--hold-ms', '0']));
  }
  const holder = new NodeProcess([LOCKFILE_CLIENT, 'hold', file]);
  await holder.first();
  await holder.stop('SIGKILL');
  const killed = performance.now();
  let refused = 0;
  for (;;) {
    try {
      const release = await lockfile.lock(file);
      await release();
      break;
    } catch {
      refused += 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const staleMs = performance.now() - killed;
  const ourId = uniqueId('bench-plf-kill');
  const ourHolder = await startPrimary(ourId);
  await ourHolder.stop('SIGKILL');
  const after = await host(['--id', ourId, '--hold-ms', '0']);
  if (after.lines[0]?.role !== 'primary') {
    throw new Error('the launch after SIGKILL did not become primary');
  }
  const base = median(walls(bare));
  results.properLockfile = {
    bareMedianMs: base,
    acquireMedianMs: median(walls(theirs)),
    oursMedianMs: median(walls(ours)),
    staleWindowMs: staleMs,
    launchesRefusedMeanwhile: refused,
    oursAfterKillMs: after.ms,
  };
  row('proper-lockfile: lock at start, exit', ms(median(walls(theirs))), times(median(walls(theirs)) / base), '');
  row('ours: become primary, exit', ms(median(walls(ours))), times(median(walls(ours)) / base), '');
  row('after SIGKILL of the holder: proper-lockfile refuses launches for', `${ms(staleMs)} (${refused} attempts refused)`, '', '');
  row('after SIGKILL of the holder: ours, the next launch is primary in', ms(after.ms), times(after.ms / base), '0 stale window');
}

/** The same two figures under Wine, labelled as Wine figures (not Windows timings). */
async function wine(): Promise<void> {
  const missing = skipUnless(...wineNeeds());
  if (missing) {
    results.wine = { skipped: missing };
    row('Wine figures', `skipped: ${missing}`, '', '');
    return;
  }
  stageBuild();
  const time = async (start: () => { exited: Promise<unknown> }): Promise<number> => {
    const started = performance.now();
    await start().exited;
    return performance.now() - started;
  };
  const id = uniqueId('bench-wine');
  const primary = wineHost(['--id', id]);
  await primary.first();
  const bare: number[] = [];
  const secondary: number[] = [];
  for (let index = 0; index < 10; index += 1) {
    bare.push(await time(() => wineNode(['-e', ''])));
    secondary.push(await time(() => wineHost(['--id', id])));
  }
  await primary.stop();
  const stormId = uniqueId('bench-wine-storm');
  const bareStormMs = await time(() => ({ exited: Promise.all(Array.from({ length: 8 }, () => wineNode(['-e', '']).exited)) }));
  const hosts = Array.from({ length: 8 }, () => wineHost(['--id', stormId]));
  const started = performance.now();
  const firsts = await Promise.all(hosts.map((entry) => entry.first()));
  const stormPrimary = hosts[firsts.findIndex((line) => line.role === 'primary')];
  await Promise.all(hosts.filter((entry) => entry !== stormPrimary).map((entry) => entry.exited));
  await stormPrimary?.waitForLines(8);
  const stormMs = performance.now() - started;
  await stormPrimary?.stop();
  stopWineServer();
  const primaries = firsts.filter((line) => line.role === 'primary').length;
  results.wine = { bareMedianMs: median(bare), secondaryMedianMs: median(secondary), bareStormMs, stormMs, primaries, delivered: (stormPrimary?.lines.length ?? 1) - 1 };
  row('Wine: second instance hand-off (node.exe)', `${ms(median(secondary))} vs ${ms(median(bare))} bare`, times(median(secondary) / median(bare)), 'Wine figure');
  row('Wine: storm of 8', `${ms(stormMs)} vs ${ms(bareStormMs)} bare; ${primaries} primary, ${(stormPrimary?.lines.length ?? 1) - 1} delivered`, times(stormMs / bareStormMs), 'Wine figure');
}

function printTable(): void {
  const header: Row = ['measure', 'figure', 'ratio to bare', 'goal'];
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((r) => (r[column] ?? '').length)));
  const line = (r: Row): string => `| ${r.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  rows.forEach((r) => console.log(line(r)));
}

async function main(): Promise<void> {
  isolatedTmp();
  results.machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, platform: `${os.type()} ${os.release()}`, date: new Date().toISOString() };
  console.error(`benchmark on ${os.cpus().length} × ${os.cpus()[0]?.model}, Node ${process.version}`);
  for (const section of [launches, underFlood, storms, throughput, idle, properLockfile, wine]) {
    console.error(`${section.name}…`);
    await section();
  }
  printTable();
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nresults written to ${path.relative(process.cwd(), OUT)}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
