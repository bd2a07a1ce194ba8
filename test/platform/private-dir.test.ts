/**
 * Another user on the same machine cannot reach, squat on or inject into our endpoint.
 * Real users: the suite runs as root and drives `nobody` (skipped when not root).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { HostProcess, NodeProcess, type ReadableCopy, finished, isolatedTmp, readableCopy, runHost, startPrimary, tempDir, uniqueId } from '../helpers.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

let tmp: string;
/** The host and fixture, copied where `nobody` can read them. */
let copy: ReadableCopy;
let asNobody: { uid: number; gid: number; cwd: string; env: NodeJS.ProcessEnv };
before(() => {
  tmp = isolatedTmp();
  copy = readableCopy(path.join(tmp, 'app'));
  asNobody = { uid: NOBODY, gid: NOBODY, cwd: tmp, env: { PATH: process.env.PATH, TMPDIR: tmp } };
});

describe('another user', { skip: !asRoot && 'needs root to run a second user' }, () => {
  it('cannot connect to our endpoint', async () => {
    const id = uniqueId('reach');
    const primary = await startPrimary(id);
    const endpoint = primary.lines[0]!.endpoint as string;
    const attempt = await finished(new NodeProcess([copy.fixture, 'connect', endpoint], asNobody));
    assert.deepEqual(attempt.lines, [{ connected: false, error: 'EACCES' }], attempt.stderr);
    await primary.stop();
  });

  it('launching the same app gets its own primary, not a hand-off to ours', async () => {
    const id = uniqueId('own');
    const ours = await startPrimary(id);
    const theirs = await startPrimary(id, [], asNobody, copy.host);
    assert.notEqual(theirs.lines[0]!.endpoint, ours.lines[0]!.endpoint);
    const secondary = new HostProcess(['--id', id]);
    assert.equal(await secondary.exited, 0);
    assert.equal(secondary.lines[0]!.primaryPid, ours.child.pid);
    const [, event] = await ours.waitForLines(2);
    assert.equal(event!.pid, secondary.child.pid);
    await Promise.all([ours.stop(), theirs.stop()]);
    assert.equal(theirs.lines.length, 1, 'nothing reached their primary');
  });

  it('cannot squat on our private directory: we refuse to use one that is not ours', async () => {
    const squatTmp = tempDir('squat', 0o1777);
    const dir = path.join(squatTmp, `single-instance-${process.getuid?.()}`);
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chownSync(dir, NOBODY, NOBODY);
    const result = await runHost(['--id', uniqueId('squat')], { env: { ...process.env, TMPDIR: squatTmp } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /belongs to uid 65534, not to us/);
  });
});

describe('the private directory', () => {
  const privateDirIn = (base: string): string => path.join(base, `single-instance-${process.getuid?.()}`);
  const fresh = (): string => tempDir('dir');

  it('is created 0700 and owned by us', async () => {
    const base = fresh();
    const primary = await startPrimary(uniqueId('mode'), [], { env: { ...process.env, TMPDIR: base } });
    const stat = fs.lstatSync(privateDirIn(base));
    assert.equal(stat.mode & 0o777, 0o700);
    assert.equal(stat.uid, process.getuid?.());
    await primary.stop();
  });

  it('a symlink in its place is refused', async () => {
    const base = fresh();
    const target = tempDir('target');
    fs.symlinkSync(target, privateDirIn(base));
    const result = await runHost(['--id', uniqueId('link')], { env: { ...process.env, TMPDIR: base } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is not a directory \(a symlink or file is there\)/);
  });

  it('one open to other users is refused', async () => {
    const base = fresh();
    fs.mkdirSync(privateDirIn(base), { mode: 0o755 });
    fs.chmodSync(privateDirIn(base), 0o755);
    const result = await runHost(['--id', uniqueId('loose')], { env: { ...process.env, TMPDIR: base } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /open to other users \(mode 755\)/);
  });
});
