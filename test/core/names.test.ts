/** The one name derivation, for every platform (pure: Windows names are checked here on Linux). */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type NameContext, deriveNames, privateDirFor, win32MutexName } from '../../app/single-instance/names.js';

const SID = 'S-1-5-21-3623811015-3361044348-30300820-1013';
const OTHER_SID = 'S-1-5-21-3623811015-3361044348-30300820-1014';
const windows = (user = SID, session = 1): NameContext => ({
  platform: 'win32',
  user,
  session,
  privateDir: 'C:\\Users\\ana\\AppData\\Local\\single-instance',
});
const linux = (privateDir = '/run/user/1000/single-instance'): NameContext => ({ platform: 'linux', user: '1000', session: null, privateDir });

describe('names on Windows', () => {
  it('session scope: Local\\ mutex and a pipe carrying user and session', () => {
    const names = deriveNames('com.example.notes', 'session', windows());
    assert.equal(names.lock, `Local\\com.example.notes-${SID}`);
    assert.equal(names.endpoint, `\\\\.\\pipe\\com.example.notes-${SID}-1`);
    assert.equal(names.secret, 'C:\\Users\\ana\\AppData\\Local\\single-instance\\com.example.notes-1.key');
  });

  it('user scope: Global\\ mutex and a pipe without the session', () => {
    const names = deriveNames('com.example.notes', 'user', windows());
    assert.equal(names.lock, `Global\\com.example.notes-${SID}`);
    assert.equal(names.endpoint, `\\\\.\\pipe\\com.example.notes-${SID}`);
    assert.equal(names.secret, 'C:\\Users\\ana\\AppData\\Local\\single-instance\\com.example.notes-user.key');
  });

  it('two users, or two sessions of one user, never share a name', () => {
    const a = deriveNames('com.example.notes', 'session', windows(SID, 1));
    const b = deriveNames('com.example.notes', 'session', windows(OTHER_SID, 1));
    const c = deriveNames('com.example.notes', 'session', windows(SID, 2));
    assert.notEqual(a.lock, b.lock);
    assert.notEqual(a.endpoint, b.endpoint);
    assert.notEqual(a.endpoint, c.endpoint);
    assert.notEqual(a.secret, c.secret);
  });

  it('no backslash after the namespace prefix, and within the kernel limits even for the longest id', () => {
    for (const scope of ['session', 'user'] as const) {
      const names = deriveNames('x'.repeat(128), scope, windows(`${SID}-${'9'.repeat(120)}`, 4_000_000_000));
      assert.equal(names.lock.split('\\').length, 2);
      assert.ok(names.lock.length <= 260, `mutex name ${names.lock.length} chars`);
      assert.ok(names.endpoint.length <= 256, `pipe name ${names.endpoint.length} chars`);
      assert.match(names.endpoint, /^\\\\\.\\pipe\\[^\\]+$/);
    }
  });

  it('the installer uses the same mutex name as the app', () => {
    assert.equal(win32MutexName('com.example.notes', 'session', SID), deriveNames('com.example.notes', 'session', windows()).lock);
  });

  it('the private directory is under LOCALAPPDATA, or the profile when it is unset', () => {
    assert.equal(privateDirFor('win32', { LOCALAPPDATA: 'D:\\Local' }, 'C:\\Users\\ana', 'C:\\Temp', ''), 'D:\\Local\\single-instance');
    assert.equal(privateDirFor('win32', {}, 'C:\\Users\\ana', 'C:\\Temp', ''), 'C:\\Users\\ana\\AppData\\Local\\single-instance');
  });
});

describe('names on Linux and macOS', () => {
  it('lock, socket and secret live in the private directory, named for the app', () => {
    const names = deriveNames('com.example.notes', 'session', linux());
    assert.deepEqual(names, {
      lock: '/run/user/1000/single-instance/com.example.notes.lock',
      endpoint: '/run/user/1000/single-instance/com.example.notes.sock',
      secret: '/run/user/1000/single-instance/com.example.notes.key',
      privateDir: '/run/user/1000/single-instance',
    });
  });

  it('a socket path over the limit is hashed to fit (108 bytes on Linux, 104 on macOS)', () => {
    const dir = `/tmp/${'d'.repeat(30)}/single-instance-1000`;
    const appId = `com.example.${'ü'.repeat(50)}`;
    const onLinux = deriveNames(appId, 'session', linux(dir));
    const onMac = deriveNames(appId, 'session', { ...linux(dir), platform: 'darwin' });
    assert.ok(Buffer.byteLength(onLinux.endpoint) <= 107);
    assert.ok(Buffer.byteLength(onMac.endpoint) <= 103);
    assert.match(onLinux.endpoint, /\/[0-9a-f]{32}\.sock$/);
    assert.equal(onLinux.lock.replace(/\.lock$/, ''), onLinux.endpoint.replace(/\.sock$/, ''));
    assert.notEqual(deriveNames(`${appId}x`, 'session', linux(dir)).endpoint, onLinux.endpoint);
  });

  it('a private directory too long for any socket path is a clear error', () => {
    assert.throws(() => deriveNames('a.b', 'session', linux(`/${'x'.repeat(120)}`)), /too long for a Unix socket path/);
  });

  it('the private directory: XDG_RUNTIME_DIR when set, else a per-uid directory in the temp dir', () => {
    assert.equal(privateDirFor('linux', { XDG_RUNTIME_DIR: '/run/user/1000' }, '/home/ana', '/tmp', '1000'), '/run/user/1000/single-instance');
    assert.equal(privateDirFor('linux', {}, '/home/ana', '/tmp', '1000'), '/tmp/single-instance-1000');
    assert.equal(privateDirFor('darwin', { XDG_RUNTIME_DIR: 'relative' }, '/Users/ana', '/var/folders/x/T', '501'), '/var/folders/x/T/single-instance-501');
  });
});
