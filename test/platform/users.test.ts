/**
 * Real users. The app runs as the test user `sole-a`; `sole-b` is another user, and root plays
 * root: leftovers of theirs, and a `sudo -E`. Whatever the environment a launch has, and
 * whatever other users leave or take, there is one primary per user, nobody else can stop it
 * from starting, reach its endpoint or receive its launches.
 */
import * as assert from 'node:assert/strict';
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
  needTestUsers,
  placesOf,
  skipUnless,
  tempDir,
  testUsersAndBuild,
  uniqueId,
} from '../helpers.js';

const missing = skipUnless(...needTestUsers());
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
    for (const user of [ana, bob]) {
      fs.rmSync(path.join(user.home, '.local'), { recursive: true, force: true });
      fs.rmSync(path.join(user.home, `.sole-instance-${user.uid}`), { recursive: true, force: true });
    }
  }
});

const running: NodeProcess[] = [];
const leftovers: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((process) => process.stop()));
  for (const leftover of leftovers.splice(0)) {
    fs.rmSync(leftover, { recursive: true, force: true });
  }
});

/** A host of `user`'s that must become primary. */
async function primaryOf(user: TestUser, id: string, env: NodeJS.ProcessEnv = {}): Promise<HostProcess> {
  const host = new HostProcess(['--id', id], asUser(user, env), copy.host);
  running.push(host);
  assert.equal((await host.first()).role, 'primary', host.stderr);
  return host;
}

/** Runs a host of `user`'s to completion. */
function launchOf(user: TestUser, id: string, env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return finished(new HostProcess(['--id', id], asUser(user, env), copy.host));
}

/** A launch of `user`'s that must hand over to `primary`. */
async function assertHandsOver(user: TestUser, id: string, primary: NodeProcess, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const launch = await launchOf(user, id, env);
  assert.equal(launch.code, 0, launch.stderr);
  assert.equal(launch.lines[0]?.primaryPid, primary.child.pid, 'handed over to the one primary');
}

describe('one primary whatever the environment of a launch', { skip: missing, timeout: 60_000 }, () => {
  const environments: [string, (dir: string) => NodeJS.ProcessEnv][] = [
    ['without XDG_RUNTIME_DIR (ssh, cron, su)', () => ({})],
    ['with another TMPDIR', (dir) => ({ TMPDIR: dir })],
    ['with a relative TMPDIR and XDG_RUNTIME_DIR', () => ({ TMPDIR: 'tmp', XDG_RUNTIME_DIR: 'run' })],
    ['with another HOME (an IDE terminal, a wrapper script)', (dir) => ({ HOME: dir })],
  ];
  for (const [name, env] of environments) {
    it(`a primary started with XDG_RUNTIME_DIR and TMPDIR set; a launch ${name} hands over to it`, async () => {
      const id = uniqueId('env');
      const runtime = tempDir('runtime', 0o777);
      const primary = await primaryOf(ana, id, { XDG_RUNTIME_DIR: runtime, TMPDIR: runtime });
      await assertHandsOver(ana, id, primary, env(tempDir('elsewhere', 0o777)));
    });
  }

  it('`sudo -E` (root with the user\'s environment) gets root\'s own instance and leaves nothing in the user\'s home', async () => {
    const id = uniqueId('sudo');
    const asRoot = new HostProcess(['--id', id], { env: { ...process.env, HOME: ana.home, USER: ana.name, XDG_RUNTIME_DIR: tempDir('run') } }, copy.host);
    running.push(asRoot);
    assert.equal((await asRoot.first()).role, 'primary');
    const theirs = await primaryOf(ana, id);
    assert.notEqual(theirs.child.pid, asRoot.child.pid);
    const rootOwned = fs.readdirSync(ana.home, { recursive: true, withFileTypes: true }).filter((entry) => fs.lstatSync(path.join(entry.parentPath, entry.name)).uid === 0);
    assert.deepEqual(rootOwned.map((entry) => entry.name), []);
  });
});

describe('other users cannot stop the app from starting', { skip: missing, timeout: 60_000 }, () => {
  for (const kind of ['directory', 'symlink', 'file'] as const) {
    it(`another user's ${kind} where the old layout put the user's directory (/tmp/single-instance-<uid>): the app starts`, async () => {
      const squat = `/tmp/single-instance-${ana.uid}`;
      leftovers.push(squat);
      const made = new NodeProcess([copy.fixture, 'squat', squat, kind], asUser(bob));
      assert.equal(await made.exited, 0, made.stderr);
      const id = uniqueId('squat');
      const primary = await primaryOf(ana, id);
      await assertHandsOver(ana, id, primary);
    });
  }

  it("a root-owned leftover in the user's state directory: the app starts (beside it) and hands over", async () => {
    const id = uniqueId('leftover');
    const stateDir = path.dirname(placesOf(ana, id).record);
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    leftovers.push(stateDir);
    const primary = await primaryOf(ana, id);
    await assertHandsOver(ana, id, primary);
    assert.equal(fs.lstatSync(stateDir).uid, 0, 'the leftover is left alone');
  });

  it("another user holding the app's beacon first: the app starts and hands over, and says why it holds none", async () => {
    const id = uniqueId('beacon');
    const beacon = placesOf(ana, id).beacon;
    assert.ok(beacon);
    const squatter = new NodeProcess([copy.fixture, 'hold-beacon', beacon], asUser(bob));
    running.push(squatter);
    assert.deepEqual(await squatter.first(), { bound: true });
    const primary = new HostProcess(['--id', id], asUser(ana, { SOLE_INSTANCE_LOG: '1', SOLE_INSTANCE_TRACE: '1' }), copy.host);
    running.push(primary);
    assert.equal((await primary.role()).role, 'primary', primary.stderr);
    await primary.traced('degraded', { what: 'beacon' });
    await assertHandsOver(ana, id, primary);
  });
});

describe('other users cannot reach the endpoint or take the launches', { skip: missing, timeout: 60_000 }, () => {
  it("another user cannot connect to the user's endpoint", async () => {
    const id = uniqueId('reach');
    const primary = await primaryOf(ana, id);
    const endpoint = String(primary.lines[0]?.endpoint);
    const attempt = await finished(new NodeProcess([copy.fixture, 'connect', endpoint], asUser(bob)));
    assert.deepEqual(attempt.lines, [{ connected: false, error: 'EACCES' }], attempt.stderr);
  });

  it("another user launching the same app gets their own primary; the user's launches still reach theirs", async () => {
    const id = uniqueId('own');
    const ours = await primaryOf(ana, id);
    const theirs = await primaryOf(bob, id);
    assert.notEqual(theirs.lines[0]?.endpoint, ours.lines[0]?.endpoint);
    await assertHandsOver(ana, id, ours);
    await assertHandsOver(bob, id, theirs);
    assert.equal(ours.lines.length, 2);
    assert.equal(theirs.lines.length, 2);
  });
});
