/**
 * Connection floods against a real primary (a host process, so its memory can be read from
 * /proc): idle connections, partial 1 MiB frames and slowloris senders, reopened as fast as the
 * primary closes them. Real launches keep handing off meanwhile, each within 1 s (their
 * timeout), and the primary's resident memory stays bounded. V8 grows its young generation with
 * the allocation rate of any busy server (garbage, up to its own cap); the primary runs with it
 * pinned small, so that what the memory shows is what the primary holds.
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

/** Starts a flood of `count` connections of `mode` against the primary and waits until all have connected once. */
async function flood(primary: NodeProcess, count: number, mode: string): Promise<void> {
  const attacker = new NodeProcess([FIXTURE, 'flood', String(primary.lines[0]?.endpoint), String(count), mode]);
  running.push(attacker);
  await attacker.first();
}

/** Ten real launches, one after another, each given 1 s: all must hand over. */
async function launchesGetThrough(id: string): Promise<void> {
  for (let index = 0; index < 10; index += 1) {
    const launch = await runHost(['--id', id, '--timeout-ms', '1000', '--', `real-${index}`]);
    assert.equal(launch.code, 0, `launch ${index}: ${launch.stderr}`);
  }
}

const FLOODS: [string, number, string][] = [
  ['1000 idle connections', 1000, 'idle'],
  ['128 partial 1 MiB frames', 128, 'partial'],
  ['128 slowloris senders (a byte every 20 ms)', 128, 'slowloris'],
];

describe('floods of hostile connections (same user)', () => {
  for (const [name, count, mode] of FLOODS) {
    it(`${name}: real launches keep handing off within 1 s, and the primary's memory stays bounded`, async () => {
      const id = uniqueId(`flood-${mode}`);
      const primary = new NodeProcess(['--max-semi-space-size=1', HOST, '--id', id]);
      running.push(primary);
      assert.equal((await primary.first()).role, 'primary', primary.stderr);
      const pid = primary.child.pid ?? 0;
      const before = rssMiB(pid);
      await flood(primary, count, mode);
      await launchesGetThrough(id);
      const grown = rssMiB(pid) - before;
      assert.ok(grown < 48, `the primary grew by ${grown.toFixed(1)} MiB`);
      assert.equal(primary.lines.filter((line) => line.event === 'second-instance').length, 10);
    });
  }
});
