/**
 * Wherever the app runs, one primary per user and app, and every launch hands over: service
 * accounts without a home, a uid without a passwd entry (with different `HOME`s), another user's
 * squat on the temp folder such accounts use, Flatpak and Snap sandboxes (simulated for real with
 * bubblewrap as their runtimes lay them out, each launch in a sandbox of its own), a full `/tmp`,
 * and an app run from a new path on every launch (AppImage, portable builds).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  type Finished,
  HostProcess,
  NodeProcess,
  type ReadableCopy,
  type TestUser,
  asUser,
  finished,
  isolatedTmp,
  needFile,
  needTestUsers,
  placesOf,
  readableCopy,
  skipUnless,
  tempDir,
  testUsersAndBuild,
  uniqueId,
} from '../helpers.js';
import { writeRecord } from '../../app/single-instance/record.js';
import { type Needed, flatpak, flatpakInfo, ownedDir, snap } from './sandbox.js';

const missing = skipUnless(...needTestUsers(), needFile('/usr/bin/bwrap', ".ci/run installs Debian's bubblewrap"), serviceAccount());
let ana: TestUser;
let bob: TestUser;
let copy: ReadableCopy;
let needed: Needed;
before(() => {
  isolatedTmp();
  if (!missing) {
    ({ ana, bob, copy } = testUsersAndBuild());
    needed = { node: path.dirname(path.dirname(process.execPath)), build: path.dirname(path.dirname(copy.host)) };
    if (!fs.existsSync('/snap')) {
      fs.mkdirSync(madeHere('/snap'));
    }
  }
});

/** The service account .ci/run makes (Debian's `adduser --system` default: home `/nonexistent`). */
function serviceAccount(): { met: boolean; missing: string } {
  const entry = spawnSync('getent', ['passwd', 'sole-svc'], { encoding: 'utf8' }).stdout.split(':');
  return { met: entry[5] === '/nonexistent', missing: 'user sole-svc with home /nonexistent does not exist (.ci/run creates it)' };
}

/** sole-svc, as a test user (its "home" does not exist). */
function service(): TestUser {
  const [, , uid, gid] = spawnSync('getent', ['passwd', 'sole-svc'], { encoding: 'utf8' }).stdout.split(':');
  return { name: 'sole-svc', uid: Number(uid), gid: Number(gid), home: '/nonexistent' };
}

const running: NodeProcess[] = [];
const made: string[] = [];
afterEach(async () => {
  for (const process of running.splice(0)) {
    process.child.kill('SIGKILL');
    await process.exited;
  }
});
after(() => {
  for (const dir of made.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A host of `user`'s (in `wrapper`, with `env`) that must become the primary. */
async function primary(id: string, user: TestUser, env: NodeJS.ProcessEnv = {}, wrapper: readonly string[] = []): Promise<HostProcess> {
  const host = new HostProcess(['--id', id], { ...asUser(user, env), cwd: '/' }, copy.host, wrapper);
  running.push(host);
  assert.equal((await host.role()).role, 'primary', host.stderr);
  return host;
}

/** A launch of `user`'s, run to completion (one that wrongly became a primary ends at once). */
function launch(id: string, user: TestUser, env: NodeJS.ProcessEnv = {}, wrapper: readonly string[] = []): Promise<Finished> {
  return finished(new HostProcess(['--id', id, '--hold-ms', '0', '--', 'handed'], { ...asUser(user, env), cwd: '/' }, copy.host, wrapper));
}

/** The launch handed over to `host`: exit 0, as a secondary, and `host` printed it. */
async function assertHandedTo(outcome: Finished, host: HostProcess): Promise<void> {
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.equal(outcome.lines[0]?.role, 'secondary', JSON.stringify(outcome.lines));
  const event = await host.waitForLine((line) => line.event === 'second-instance');
  assert.equal((event.argv as string[]).at(-1), 'handed');
}

/** Remembers a folder the suite made, removed when it ends. */
function madeHere(dir: string): string {
  made.push(dir);
  return dir;
}

describe('service accounts', { skip: missing, timeout: 60_000 }, () => {
  it("a user whose home does not exist (Debian's adduser --system default, /nonexistent): one instance, in a temp folder of its own", async () => {
    const svc = service();
    const id = uniqueId('svc');
    const host = await primary(id, svc);
    await assertHandedTo(await launch(id, svc), host);
    const dir = `/tmp/sole-instance-${svc.uid}`;
    const stat = fs.statSync(dir);
    assert.deepEqual([stat.uid, stat.mode & 0o777], [svc.uid, 0o700], `${dir} is the account's, private`);
    assert.ok(fs.readdirSync(dir).some((name) => name.startsWith(id)), 'its record and lock are there');
  });

  it('a uid without a passwd entry (a container\'s arbitrary uid): one instance whatever HOME each launch has', async () => {
    const nobody: TestUser = { name: 'uid-64123', uid: 64123, gid: 64123, home: '/' };
    madeHere(`/tmp/sole-instance-${nobody.uid}`);
    const id = uniqueId('no-passwd');
    const host = await primary(id, nobody, { HOME: '/var/empty-a' });
    await assertHandedTo(await launch(id, nobody, { HOME: '/somewhere/else' }), host);
    await assertHandedTo(await launch(id, nobody, {}), host);
  });

  it("another user squats every temp folder name it could predict: it starts in a private folder named at random, and launches find it even after the squats go", async () => {
    const svc = service();
    const named = `/tmp/sole-instance-${svc.uid}`;
    const squats = [named, ...Array.from({ length: 8 }, (_, index) => `${named}-${index + 1}`)].map((dir) => {
      fs.rmSync(madeHere(dir), { recursive: true, force: true });
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.chownSync(dir, bob.uid, bob.gid);
      return dir;
    });
    const id = uniqueId('svc-squat');
    const host = await primary(id, svc);
    const [home, ...others] = randomTempDirs(svc).filter((dir) => !squats.includes(dir));
    assert.ok(home !== undefined && others.length === 0, 'one folder named at random');
    const stat = fs.statSync(home);
    assert.deepEqual([stat.uid, stat.mode & 0o777], [svc.uid, 0o700], `${home} is the account's, private`);
    assert.ok(fs.readdirSync(home).some((name) => name.startsWith(id)), 'its record and lock are there');
    await assertHandedTo(await launch(id, svc), host);
    for (const squat of squats) {
      fs.rmSync(squat, { recursive: true, force: true });
    }
    await assertHandedTo(await launch(id, svc), host);
  });
});

describe('service accounts, continued', { skip: missing, timeout: 60_000 }, () => {
  it("its runtime folder appears (a login) while its primary runs in a temp folder named at random: launches still reach it", async () => {
    const svc = service();
    const named = madeHere(`/tmp/sole-instance-${svc.uid}`);
    fs.rmSync(named, { recursive: true, force: true });
    fs.mkdirSync(named, { mode: 0o700 });
    fs.chownSync(named, bob.uid, bob.gid);
    const id = uniqueId('svc-login');
    const host = await primary(id, svc);
    const runtime = `/run/user/${svc.uid}`;
    assert.ok(!fs.existsSync(runtime), `${runtime} exists before the test made it`);
    ownedDir(madeHere(runtime), '/run/user', svc);
    await assertHandedTo(await launch(id, svc), host);
    fs.rmSync(runtime, { recursive: true, force: true });
    randomTempDirs(svc);
  });

  it('a record a killed primary left in its runtime folder does not hide the live primary in its temp folder: launches reach the live one', async () => {
    const svc = service();
    fs.rmSync(madeHere(`/tmp/sole-instance-${svc.uid}`), { recursive: true, force: true });
    const id = uniqueId('svc-shadowed');
    const host = await primary(id, svc);
    const runtime = `/run/user/${svc.uid}`;
    assert.ok(!fs.existsSync(runtime), `${runtime} exists before the test made it`);
    const state = ownedDir(madeHere(`${runtime}/sole-instance`), '/run/user', svc);
    const deadEndpoint = ownedDir(`${runtime}/sole-instance-killed`, runtime, svc);
    const record = path.join(state, path.basename(placesOf(svc, id).record));
    writeRecord(record, { pid: 2 ** 22 + 1, endpoint: path.join(deadEndpoint, 's.sock'), secret: randomBytes(32) });
    fs.chownSync(record, svc.uid, svc.gid);
    try {
      await assertHandedTo(await launch(id, svc), host);
    } finally {
      fs.rmSync(runtime, { recursive: true, force: true });
      randomTempDirs(svc);
    }
  });
});

/** The temp folders `user`'s launches may have made with a random name (removed when the suite ends). */
function randomTempDirs(user: TestUser): string[] {
  const prefix = `sole-instance-${user.uid}-`;
  return fs.readdirSync('/tmp').filter((name) => name.startsWith(prefix)).map((name) => madeHere(path.join('/tmp', name)));
}

describe('Flatpak, simulated with bubblewrap as flatpak run lays a sandbox out', { skip: missing, timeout: 60_000 }, () => {
  it('each launch in a sandbox of its own (own PID namespace, /tmp and home): one primary, the next launch hands over, nothing written outside the app\'s folders', async () => {
    const id = uniqueId('flatpak');
    const appId = `org.example.Test${process.pid}`;
    ownedDir(madeHere(path.join(ana.home, '.var', 'app', appId)), ana.home, ana);
    madeHere(`/run/user/${ana.uid}`);
    ownedDir(path.join(`/run/user/${ana.uid}`, 'app', appId), '/run/user', ana);
    const info = path.join(tempDir('flatpak-info', 0o755), 'info');
    fs.writeFileSync(info, flatpakInfo(appId), { mode: 0o644 });
    const host = await primary(id, ana, {}, flatpak(ana, appId, info, needed));
    await assertHandedTo(await launch(id, ana, {}, flatpak(ana, appId, info, needed)), host);
    assert.ok(fs.readdirSync(path.join(ana.home, '.var', 'app', appId, '.local', 'state', 'sole-instance')).some((name) => name.startsWith(id)), 'the record is in the app\'s folder');
  });
});

describe('Snap (strict confinement), simulated with bubblewrap as snapd lays it out', { skip: missing, timeout: 60_000 }, () => {
  it("HOME in the revision's folder, the home's dot-folders read-only, a private /tmp: one primary; after a refresh (another revision, another HOME) a launch still hands over", async () => {
    const id = uniqueId('snap');
    const name = `test-${process.pid}`;
    const snaps = path.join(ana.home, 'snap');
    for (const folder of ['1', '2', 'common']) {
      ownedDir(path.join(snaps, name, folder), ana.home, ana);
    }
    madeHere(path.join(snaps, name));
    madeHere(`/run/user/${ana.uid}`);
    ownedDir(path.join(`/run/user/${ana.uid}`, `snap.${name}`), '/run/user', ana);
    const snapTmp = tempDir('snap-tmp', 0o1777);
    const host = await primary(id, ana, {}, snap(ana, name, '1', snapTmp, needed));
    await assertHandedTo(await launch(id, ana, {}, snap(ana, name, '1', snapTmp, needed)), host);
    await assertHandedTo(await launch(id, ana, {}, snap(ana, name, '2', snapTmp, needed)), host);
    assert.ok(fs.readdirSync(path.join(snaps, name, 'common', '.local', 'state', 'sole-instance')).some((entry) => entry.startsWith(id)), 'the record is in the snap\'s common folder');
  });

  it("a program started from a snap (its terminal) inherits the SNAP variables but does not run from the snap: the same instance as the desktop's launches", async () => {
    const id = uniqueId('snap-inherited');
    const inherited = { SNAP: '/snap/terminal/7', SNAP_NAME: 'terminal', SNAP_INSTANCE_NAME: 'terminal', SNAP_REVISION: '7', SNAP_USER_COMMON: path.join(ana.home, 'snap', 'terminal', 'common') };
    madeHere(path.join(ana.home, 'snap', 'terminal'));
    const host = await primary(id, ana);
    const outcome = await launch(id, ana, inherited);
    await assertHandedTo(outcome, host);
  });
});

describe('an app run from a new path on every launch (AppImage mounts, portable builds)', { skip: missing, timeout: 60_000 }, () => {
  it('two copies of the app in different folders are one instance', async () => {
    const id = uniqueId('moved');
    const elsewhere = readableCopy(tempDir('mount-b', 0o755));
    const host = await primary(id, ana);
    const outcome = await finished(new HostProcess(['--id', id, '--', 'handed'], { ...asUser(ana), cwd: '/' }, elsewhere.host));
    await assertHandedTo(outcome, host);
  });
});

describe('resources used up', { skip: missing, timeout: 60_000 }, () => {
  it('a full /tmp (a tmpfs with no inode left) where the endpoint goes: the launch exits 1 naming the cause, and lets go of everything: once there is room, the next one is the primary', async () => {
    const full = tempDir('full-tmp', 0o1777);
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,nr_inodes=64,mode=1777', 'tmpfs', full]).status, 0, 'mounted a small tmpfs');
    try {
      const id = uniqueId('full-tmp');
      // Inside the sandbox (once bubblewrap has made its mount points), /tmp is filled until no inode is left.
      const script = 'i=0; while touch /tmp/fill-$i 2>/dev/null; do i=$((i+1)); done; "$@"; echo "{\\"exit\\":$?}"; rm -f /tmp/fill-*; "$@"; echo "{\\"exit\\":$?}"';
      // No runtime folder (as for a user without a login session): /tmp is where the endpoint must go.
      const wrapper = ['bwrap', '--dev-bind', '/', '/', '--tmpfs', '/run/user', '--bind', full, '/tmp', '--ro-bind', needed.node, needed.node, '--ro-bind', needed.build, needed.build, '--die-with-parent', '--', 'sh', '-c', script, 'sh'];
      const outcome = await finished(new HostProcess(['--id', id, '--hold-ms', '0'], { ...asUser(ana), cwd: '/' }, copy.host, wrapper));
      assert.equal(outcome.code, 0, outcome.stderr);
      assert.deepEqual(outcome.lines.map((line) => line.exit ?? line.role), [1, 'primary', 0], outcome.stderr);
      assert.match(outcome.stderr, /no folder takes this app's endpoint .*\/tmp: .*ENOSPC.*the device is full: free some space/);
    } finally {
      spawnSync('umount', [full]);
    }
  });

  it('a launch at its open-file limit (ulimit -n): it exits 1 naming the limit and what to raise, and lets go of everything', async () => {
    const id = uniqueId('nofile');
    const limited = await finished(new HostProcess(['--id', id, '--hold-ms', '0'], { ...asUser(ana), cwd: '/' }, copy.host, ['prlimit', '--nofile=24:24', '--']));
    assert.equal(limited.code, 1, `${JSON.stringify(limited.lines)} ${limited.stderr}`);
    assert.match(limited.stderr, /too many open files: raise its limit \(ulimit -n\)/);
    const next = await finished(new HostProcess(['--id', id, '--hold-ms', '0'], { ...asUser(ana), cwd: '/' }, copy.host));
    assert.equal(next.lines[0]?.role, 'primary', next.stderr);
  });
});
