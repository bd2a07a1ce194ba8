/**
 * Another user on the same machine cannot reach, squat on or inject into our endpoint.
 * Real users: the suite runs as root and drives `nobody` (skipped when not root).
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { HostProcess, isolatedTmp, runHost, startPrimary, uniqueId } from './helpers.js';

const execFileAsync = promisify(execFile);
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

let tmp: string;
/** The host, copied where `nobody` can read it (the checkout may sit in a directory only root enters). */
let nobodyHost: string;
let asNobody: { uid: number; gid: number; cwd: string; env: NodeJS.ProcessEnv };
before(() => {
  tmp = isolatedTmp();
  const copy = path.join(tmp, 'app');
  const root = path.resolve(__dirname, '..');
  for (const part of ['dist', 'node_modules/koffi', 'node_modules/@koromix']) {
    fs.cpSync(path.join(root, part), path.join(copy, part), { recursive: true });
  }
  nobodyHost = path.join(copy, 'dist', 'host.js');
  asNobody = { uid: NOBODY, gid: NOBODY, cwd: tmp, env: { PATH: process.env.PATH, TMPDIR: tmp } };
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('another user', { skip: !asRoot && 'needs root to run a second user' }, () => {
  it('cannot connect to our endpoint', async () => {
    const id = uniqueId('reach');
    const primary = await startPrimary(id);
    const endpoint = primary.lines[0]!.endpoint as string;
    const script = `require('net').connect(${JSON.stringify(endpoint)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); })`;
    const { stdout } = await execFileAsync(process.execPath, ['-e', script], asNobody);
    assert.equal(stdout.trim(), 'EACCES');
    await primary.stop();
  });

  it('launching the same app gets its own primary, not a hand-off to ours', async () => {
    const id = uniqueId('own');
    const ours = await startPrimary(id);
    const theirs = await startPrimary(id, [], asNobody, nobodyHost);
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
    const squatTmp = fs.mkdtempSync(path.join(tmp, 'squat-'));
    fs.chmodSync(squatTmp, 0o1777);
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
  const fresh = (): string => fs.mkdtempSync(path.join(tmp, 'dir-'));

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
    const target = fs.mkdtempSync(path.join(tmp, 'target-'));
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
