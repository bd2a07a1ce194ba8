/**
 * Connection floods against a real primary (a host process, so its memory can be read from
 * /proc): idle connections, partial 1 MiB frames and slowloris senders, each reopened as soon as
 * the primary closes it. The primary never holds them all at once (at its cap of connections
 * that have not proven themselves it closes the oldest for each newcomer, the rest at their
 * deadline), so the flood is measured by what it does to users: once it has opened as many
 * connections as it keeps going, real launches hand off while it churns, each within 1 s (their
 * timeout), the flood is still churning after them, and the primary's resident memory stays
 * bounded. V8 grows its young generation with the allocation rate of any busy server (garbage,
 * up to its own cap); the primary runs with it pinned small, so that what the memory shows is
 * what the primary holds.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { afterEach, before, describe, it } from 'node:test';
import { FIXTURE, HOST, NodeProcess, isolatedTmp, runHost, uniqueId } from '../helpers.js';

before(() => isolatedTmp());

const running: NodeProcess[] = [];
afterEach(async () => {
  for (const process of running.splice(0)) {
    process.child.kill('SIGKILL');
    await process.exited;
  }
});

/** Resident memory of a process, in MiB (Linux). */
function rssMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) / 1024;
}

/** Starts a flood that keeps `count` connections of `mode` going against the primary; resolves once it has opened `count` in all. */
async function flood(primary: NodeProcess, count: number, mode: string): Promise<NodeProcess> {
  const attacker = new NodeProcess([FIXTURE, 'flood', String(primary.lines[0]?.endpoint), String(count), mode]);
  running.push(attacker);
  await attacker.waitForLine((line) => Number(line.opened) >= count);
  return attacker;
}

/** Ten real launches, one after another, each given 1 s: all must hand over. */
async function launchesGetThrough(id: string): Promise<void> {
  for (let index = 0; index < 10; index += 1) {
    const launch = await runHost(['--id', id, '--timeout-ms', '1000', '--', `real-${index}`]);
    assert.equal(launch.code, 0, `launch ${index}: ${launch.stderr}`);
  }
}

/**
 * Each flood: its name, the connections it keeps going, its mode, and how much the primary may
 * grow under it (MiB of resident memory). Measured with the flood churning well past these tests
 * (8,000 to 256,000 connections), the growth levels off: idle near 31 MiB, slowloris near 17 MiB,
 * partial frames near 65 MiB (the primary reads what each refused connection sent, 512 KiB, before
 * it closes: 128 at a time, about 64 MiB of buffers in flight for the garbage collector).
 */
const FLOODS: [string, number, string, number][] = [
  ['1000 idle connections', 1000, 'idle', 48],
  ['128 partial 1 MiB frames', 128, 'partial', 96],
  ['128 slowloris senders (a byte every 20 ms)', 128, 'slowloris', 48],
];

describe('floods of hostile connections (same user)', () => {
  for (const [name, count, mode, maxGrowthMiB] of FLOODS) {
    it(`${name}, churning: real launches keep handing off within 1 s, and the primary's memory stays bounded`, async () => {
      const id = uniqueId(`flood-${mode}`);
      const primary = new NodeProcess(['--max-semi-space-size=1', HOST, '--id', id]);
      running.push(primary);
      assert.equal((await primary.first()).role, 'primary', primary.stderr);
      const pid = primary.child.pid ?? 0;
      const before = rssMiB(pid);
      const attacker = await flood(primary, count, mode);
      await launchesGetThrough(id);
      await attacker.waitForLine((line) => Number(line.opened) >= 2 * count);
      const grown = rssMiB(pid) - before;
      assert.ok(grown < maxGrowthMiB, `the primary grew by ${grown.toFixed(1)} MiB`);
      assert.equal(primary.lines.filter((line) => line.event === 'second-instance').length, 10);
    });
  }
});
