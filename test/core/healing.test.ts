/**
 * A primary that never stops healing, and never a second primary, however its files are deleted:
 * again and again (until a re-created directory gets its old inode number), by a cleaner that
 * deletes all the time, while it cannot watch the file system, while it is stopped and a launch
 * comes from another network namespace or another user holds its beacon, and while a launch that
 * took the lock file has not yet taken the presence. Real processes of the
 * test user `sole-a` (another user, `sole-b`, squats), real files, real namespaces (bubblewrap).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import type { Places } from '../../app/single-instance/names.js';
import {
  type Finished,
  HostProcess,
  NodeProcess,
  OTHER_NETWORK,
  type ReadableCopy,
  type TestUser,
  asUser,
  finished,
  isolatedTmp,
  placesOf,
  needFile,
  needTestUsers,
  skipUnless,
  testUsersAndBuild,
  uniqueId,
} from '../helpers.js';

const missing = skipUnless(...needTestUsers(), needFile('/usr/bin/bwrap', '.ci/run installs Debian\'s bubblewrap'));
let ana: TestUser;
let bob: TestUser;
let copy: ReadableCopy;
before(() => {
  isolatedTmp();
  if (!missing) {
    ({ ana, bob, copy } = testUsersAndBuild());
  }
});
after(() => {
  if (!missing) {
    fs.rmSync(path.dirname(placesOf(ana, 'x').record), { recursive: true, force: true });
  }
});

const running: NodeProcess[] = [];
afterEach(async () => {
  for (const process of running.splice(0)) {
    process.child.kill('SIGCONT');
    process.child.kill('SIGKILL');
    await process.exited;
  }
});

/** A process of `user`'s, stopped after the test whatever happens. */
function started<P extends NodeProcess>(process: P): P {
  running.push(process);
  return process;
}

/** A primary host of ana's that prints its traced events. */
async function primary(id: string): Promise<{ host: HostProcess; places: Places }> {
  const host = started(new HostProcess(['--id', id], asUser(ana, { SOLE_INSTANCE_LOG: '1', SOLE_INSTANCE_TRACE: '1' }), copy.host));
  assert.equal((await host.role()).role, 'primary', host.stderr);
  return { host, places: placesOf(ana, id) };
}

/** A launch of ana's (in a sandbox where `wrapper` says), run to completion (one that wrongly became a primary ends at once). */
function launch(id: string, timeoutMs: number, wrapper: readonly string[] = []): Promise<Finished> {
  return finished(new HostProcess(['--id', id, '--timeout-ms', String(timeoutMs), '--hold-ms', '0'], asUser(ana), copy.host, wrapper));
}

/** A launch that must reach `host` within a second: exit 0, handed to its pid. */
async function assertReachable(id: string, host: HostProcess, wrapper: readonly string[] = []): Promise<void> {
  const outcome = await launch(id, 1000, wrapper);
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.equal(outcome.lines[0]?.primaryPid, host.child.pid, 'handed over to the one primary');
}

/** CPU seconds a process has used (Linux, from /proc). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('healing never gives up', { skip: missing, timeout: 120_000 }, () => {
  it('the state directory deleted 2–4 times at a time, 0–100 ms apart, in 15 bursts: reachable within a second after each burst', async () => {
    const id = uniqueId('bursts');
    const { host, places } = await primary(id);
    for (let burst = 0; burst < 15; burst += 1) {
      const deletions = 2 + Math.floor(Math.random() * 3);
      for (let deletion = 0; deletion < deletions; deletion += 1) {
        fs.rmSync(places.stateDir, { recursive: true, force: true, maxRetries: 5 });
        // A cleaner's own rhythm between two of its deletions, not a wait for anything.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
      }
      await assertReachable(id, host);
    }
  });

  it('a cleaner deleting the state directory every 10 ms for 4 s: bounded CPU meanwhile, reachable within a second after', async () => {
    const id = uniqueId('cleaner');
    const { host, places } = await primary(id);
    const pid = host.child.pid!;
    const cleaner = started(new NodeProcess([copy.fixture, 'clean', places.stateDir, '10', '4000'], asUser(ana)));
    const cpuBefore = cpuSeconds(pid);
    const [report] = await cleaner.waitForLines(1);
    const cpu = (cpuSeconds(pid) - cpuBefore) / 4;
    assert.ok(Number(report?.cleaned) > 50, `the cleaner found something to delete ${String(report?.cleaned)} times`);
    assert.ok(cpu < 0.5, `the primary used ${(cpu * 100).toFixed(0)} % of a core while the cleaner ran`);
    await assertReachable(id, host);
    assert.ok(fs.existsSync(places.record) && fs.existsSync(places.lock), 'everything is back');
  });

  it("the user's inotify instances used up by another of their programs: the primary checks on an interval instead, says so once, and still heals", async () => {
    const hog = started(new NodeProcess([copy.fixture, 'exhaust-inotify'], asUser(ana)));
    assert.ok(Number((await hog.first()).instances) > 0, hog.stderr);
    const id = uniqueId('no-inotify');
    const { host, places } = await primary(id);
    await host.traced('degraded', { what: 'watch' });
    fs.rmSync(places.record);
    await assertReachable(id, host);
    await host.traced('restored', { what: 'record' });
    assert.equal(host.lines.filter((line) => line.trace === 'degraded').length, 1, 'said once');
  });
});

describe('never two primaries', { skip: missing, timeout: 120_000 }, () => {
  /** Stops the primary, deletes everything of its own, and runs `body`; then lets it go on. */
  async function whileStoppedAndDeleted(host: HostProcess, places: Places, body: () => Promise<void>): Promise<void> {
    host.child.kill('SIGSTOP');
    try {
      fs.rmSync(places.stateDir, { recursive: true, force: true, maxRetries: 5 });
      await body();
    } finally {
      host.child.kill('SIGCONT');
    }
  }

  it('files deleted while the primary is stopped, then a launch from another network namespace: not a second primary (exit 3); once it runs again, that launch reaches it', async () => {
    const id = uniqueId('netns');
    const { host, places } = await primary(id);
    await whileStoppedAndDeleted(host, places, async () => {
      const outcome = await launch(id, 1500, OTHER_NETWORK);
      assert.equal(outcome.code, 3, `${JSON.stringify(outcome.lines)} ${outcome.stderr}`);
    });
    await host.traced('restored', { what: 'record' });
    await assertReachable(id, host, OTHER_NETWORK);
  });

  it('the lock file deleted after a launch took it, before it took the presence, and another launch comes: one primary, the first hands over to it', async () => {
    const id = uniqueId('lock-deleted');
    const first = started(new NodeProcess([copy.fixture, 'claim', JSON.stringify({ appId: id }), '--stop-when-locked'], asUser(ana)));
    await first.waitForLine((line) => line.stopping === true);
    fs.rmSync(placesOf(ana, id).stateDir, { recursive: true, force: true, maxRetries: 5 });
    const { host } = await primary(id);
    first.child.kill('SIGCONT');
    const outcome = await finished(first);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.deepEqual(outcome.lines.at(-1)?.role, 'secondary', `a second primary: ${JSON.stringify(outcome.lines)}`);
    assert.equal(outcome.lines.at(-1)?.primaryPid, host.child.pid);
  });

  it('another user holds the beacon, the primary is stopped and its files deleted: not a second primary (exit 3); once it runs again, launches reach it', async () => {
    const id = uniqueId('squat-paused');
    const beacon = placesOf(ana, id).beacon!;
    const squatter = started(new NodeProcess([copy.fixture, 'hold-beacon', beacon], asUser(bob)));
    assert.deepEqual(await squatter.first(), { bound: true });
    const { host, places } = await primary(id);
    await host.traced('degraded', { what: 'beacon' });
    await whileStoppedAndDeleted(host, places, async () => {
      const outcome = await launch(id, 1500);
      assert.equal(outcome.code, 3, `${JSON.stringify(outcome.lines)} ${outcome.stderr}`);
    });
    await host.traced('restored', { what: 'record' });
    await assertReachable(id, host);
  });

  it('another user took the beacon and every semaphore key before the app started, the primary is stopped and its files deleted: not a second primary (exit 3); once it runs again, launches reach it', async () => {
    const id = uniqueId('squat-all');
    await whilePresenceSquatted(id, async () => {
      const { host, places } = await primary(id);
      await host.traced('degraded', { what: 'semaphore' });
      await whileStoppedAndDeleted(host, places, async () => {
        const outcome = await launch(id, 1500);
        assert.equal(outcome.code, 3, `${JSON.stringify(outcome.lines)} ${outcome.stderr}`);
      });
      await host.traced('restored', { what: 'record' });
      await assertReachable(id, host);
    });
  });

  it("another user took the beacon and every semaphore key, and the launch's /proc numbers processes from another PID namespace: the first launch is still the primary", async () => {
    const id = uniqueId('squat-procns');
    await whilePresenceSquatted(id, async () => {
      const outcome = await launch(id, 1500, OTHER_PID_HOST_PROC);
      assert.equal(outcome.code, 0, `${JSON.stringify(outcome.lines)} ${outcome.stderr}`);
      assert.equal(outcome.lines.at(-1)?.role, 'primary', JSON.stringify(outcome.lines));
    });
  });

  /** Runs `body` while bob holds ana's beacon name and every presence semaphore key of `id`; his sets are removed after it. */
  async function whilePresenceSquatted(id: string, body: () => Promise<void>): Promise<void> {
    const { beacon, semaphoreKeys } = placesOf(ana, id);
    const beaconSquatter = started(new NodeProcess([copy.fixture, 'hold-beacon', beacon!], asUser(bob)));
    const semaphoreSquatter = started(new NodeProcess([copy.fixture, 'hold-semaphores', semaphoreKeys.join(',')], asUser(bob)));
    try {
      assert.deepEqual(await beaconSquatter.first(), { bound: true });
      assert.deepEqual(await semaphoreSquatter.first(), { held: semaphoreKeys.length });
      await body();
    } finally {
      removeSemaphoreSets(semaphoreKeys);
    }
  }
});

/** bubblewrap around a process with a PID namespace of its own that still sees the host's `/proc` (a sandbox that did not mount its own). */
const OTHER_PID_HOST_PROC: readonly string[] = ['bwrap', '--dev-bind', '/', '/', '--unshare-pid', '--die-with-parent', '--'];

/** Removes the System V semaphore sets at `keys` (the test runs as root, which may remove any). */
function removeSemaphoreSets(keys: readonly number[]): void {
  const libc = (createRequire(__filename)('koffi') as typeof Koffi).load('libc.so.6');
  const semget = libc.func('int semget(int key, int nsems, int semflg)') as (key: number, count: number, flags: number) => number;
  const semctl = libc.func('int semctl(int semid, int semnum, int cmd)') as (id: number, index: number, command: number) => number;
  const IPC_RMID = 0;
  for (const id of keys.map((key) => semget(key, 0, 0)).filter((found) => found >= 0)) {
    semctl(id, 0, IPC_RMID);
  }
}
