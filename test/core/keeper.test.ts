/**
 * Whatever is deleted under a running primary (a file, a whole directory, at any moment; by
 * hand, by `systemd-tmpfiles --clean`), there is never a second primary, launches keep handing
 * over to the one there is, and it restores what was deleted at once, on the file system's
 * events. Real processes, real files, the real systemd-tmpfiles. The app runs as the test user
 * `sole-a`, so that deleting its state directory touches nobody's real one.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Places } from '../../app/single-instance/names.js';
import type { Restored } from '../../app/single-instance/trace.js';
import { currentPlatform } from '../../app/single-instance/platform/index.js';
import { type PrimaryRecord, readRecord, removeRecordIfOurs, writeRecord } from '../../app/single-instance/record.js';
import { type Finished, HostProcess, type ReadableCopy, type TestUser, asUser, finished, isolatedTmp, needTestUsers, placesOf, readableCopy, skipUnless, tempDir, testUser, uniqueId } from '../helpers.js';

const missing = skipUnless(...needTestUsers());
let user: TestUser;
let copy: ReadableCopy;
before(() => {
  isolatedTmp();
  if (!missing) {
    user = testUser('sole-a')!;
    copy = readableCopy(tempDir('build', 0o755));
  }
});
after(() => {
  if (!missing) {
    fs.rmSync(path.dirname(placesOf(user, 'x').record), { recursive: true, force: true });
  }
});

const running: HostProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((host) => host.stop()));
});

/** Runs the host as the test user to completion. */
function runAsUser(args: string[]): Promise<Finished> {
  return finished(new HostProcess(args, asUser(user), copy.host));
}

/** A primary host of the test user's that logs its decisions to stderr and prints its traced events (the restorations among them). */
async function loggingPrimary(id: string): Promise<{ primary: HostProcess; places: Places; record: PrimaryRecord }> {
  const primary = new HostProcess(['--id', id], asUser(user, { SOLE_INSTANCE_LOG: '1', SOLE_INSTANCE_TRACE: '1' }), copy.host);
  running.push(primary);
  assert.equal((await primary.role()).role, 'primary', primary.stderr);
  const places = placesOf(user, id);
  const record = readRecord(places.record, user.uid);
  assert.ok(record, 'the primary published its record');
  return { primary, places, record };
}

/** A launch that must hand over to `primary`: exit 0, its pid as the primary's. */
async function assertHandsOverTo(id: string, primary: HostProcess): Promise<void> {
  const launch = await runAsUser(['--id', id]);
  assert.equal(launch.code, 0, launch.stderr);
  assert.deepEqual(launch.lines[0], { role: 'secondary', primaryPid: primary.child.pid, reply: null }, 'handed over to the one primary');
}

/** What is deleted, how, and what the primary must say (trace) it restored. */
const DELETIONS: [string, (places: Places, record: PrimaryRecord) => void, Restored][] = [
  ['the whole state directory (rm -rf)', (places) => removeRacing(places.stateDir), 'record'],
  ['the socket file', (_places, record) => fs.rmSync(record.endpoint), 'endpoint'],
  ["the socket's directory", (_places, record) => removeRacing(path.dirname(record.endpoint)), 'endpoint'],
  ['the lock file', (places) => fs.rmSync(places.lock), 'lock'],
  ['the record', (places) => fs.rmSync(places.record), 'record'],
];

describe('deleted under a running primary', { skip: missing, timeout: 120_000 }, () => {
  for (const [what, remove, restoration] of DELETIONS) {
    it(`${what}: the next launch hands over to it, and it restores what was deleted`, async () => {
      const id = uniqueId('deleted');
      const { primary, places, record } = await loggingPrimary(id);
      remove(places, record);
      await assertHandsOverTo(id, primary);
      await primary.traced('restored', { what: restoration });
      assert.ok(fs.existsSync(places.lock) && fs.existsSync(places.record), 'lock file and record are back');
      await assertHandsOverTo(id, primary);
    });
  }

  it('everything deleted at a random moment of each of 20 launches: one primary, every launch delivered once', async () => {
    const id = uniqueId('deleting');
    const { primary, places } = await loggingPrimary(id);
    const deleteEverything = (): void => {
      const record = readRecord(places.record, user.uid);
      removeRacing(places.stateDir);
      if (record) {
        removeRacing(path.dirname(record.endpoint));
      }
    };
    const launches: Finished[] = [];
    for (let index = 0; index < 20; index += 1) {
      const launch = runAsUser(['--id', id, '--', `launch-${index}`]);
      const moment = setTimeout(deleteEverything, Math.random() * 60);
      launches.push(await launch);
      clearTimeout(moment);
    }
    for (const [index, launch] of launches.entries()) {
      assert.equal(launch.code, 0, `launch ${index}: ${launch.stderr}`);
      assert.equal(launch.lines[0]?.primaryPid, primary.child.pid, `launch ${index} went to the one primary`);
    }
    const events = primary.lines.filter((line) => line.event === 'second-instance').map((line) => (line.argv as string[]).at(-1));
    assert.deepEqual(events, launches.map((_, index) => `launch-${index}`));
  });
});

/** `rm -rf` of a directory the primary may be re-creating at the same moment. */
function removeRacing(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY') {
      throw error;
    }
  }
}

describe('systemd-tmpfiles --clean', { skip: missing, timeout: 60_000 }, () => {
  let config: string;
  before(() => {
    config = path.join(tempDir('tmpfiles'), 'clean.conf');
  });
  after(() => fs.rmSync(path.dirname(config), { recursive: true, force: true }));

  it('aged down to 1 s over our directories, with everything of ours made old: launches still hand over', async () => {
    const id = uniqueId('tmpfiles');
    const { primary, places, record } = await loggingPrimary(id);
    const old = new Date(Date.now() - 30 * 24 * 3600 * 1000);
    for (const file of [places.stateDir, places.lock, places.record, path.dirname(record.endpoint), record.endpoint]) {
      fs.lutimesSync(file, old, old);
    }
    // Upstream's `q /tmp 1777 root root 10d` rule, aged down to 1 s, would clean every file of
    // the machine's /tmp; `e` with a glob applies the same age clean-up to our directories only.
    // `m:` judges age by the modification time alone: what lutimes could make old.
    const rules = [`e ${path.dirname(path.dirname(record.endpoint))}/sole-instance-* - - - m:1s`, `e ${places.stateDir} - - - m:1s`];
    fs.writeFileSync(config, `${rules.join('\n')}\n`);
    const clean = spawnSync('systemd-tmpfiles', ['--clean', config], { encoding: 'utf8' });
    assert.equal(clean.status, 0, clean.stderr);
    await primary.traced('restored', { what: 'record' });
    assert.ok(fs.existsSync(record.endpoint), 'tmpfiles kept the live socket');
    await assertHandsOverTo(id, primary);
  });
});

describe("a primary's exit removes only what is still its own", () => {
  it('a record that is no longer this primary\'s stays', () => {
    const file = path.join(tempDir('record'), 'app.json');
    const ours: PrimaryRecord = { pid: 10, endpoint: '/run/ours.sock', secret: Buffer.alloc(32, 1) };
    const theirs: PrimaryRecord = { pid: 11, endpoint: '/run/theirs.sock', secret: Buffer.alloc(32, 2) };
    writeRecord(file, theirs);
    removeRecordIfOurs(file, ours, currentPlatform.owner);
    assert.deepEqual(readRecord(file, currentPlatform.owner), theirs);
    writeRecord(file, ours);
    removeRecordIfOurs(file, ours, currentPlatform.owner);
    assert.equal(fs.existsSync(file), false);
  });
});
