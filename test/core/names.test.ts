/** The one name derivation, for every platform (pure: Windows names are checked here on Linux). */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PlaceContext, derivePlaces, socketPathIn, stateDirFor, win32InstallationMutexName, win32MutexName } from '../../app/single-instance/names.js';

const SID = 'S-1-5-21-3623811015-3361044348-30300820-1013';
const OTHER_SID = 'S-1-5-21-3623811015-3361044348-30300820-1014';
const windows = (user = SID, session = 1): PlaceContext => ({
  platform: 'win32',
  user,
  session,
  stateDir: 'C:\\Users\\ana\\AppData\\Local\\sole-instance',
  host: '',
  sandbox: null,
  installFolderHash: null,
});
const linux = (overrides: Partial<PlaceContext> = {}): PlaceContext => ({
  platform: 'linux',
  user: '1000',
  session: null,
  stateDir: '/home/ana/.local/state/sole-instance',
  host: '4f1a2b3c4d5e',
  sandbox: null,
  installFolderHash: null,
  ...overrides,
});

describe('places on Windows', () => {
  it('session scope: a Local\\ mutex and a record per session', () => {
    assert.deepEqual(derivePlaces('com.example.notes', 'session', windows()), {
      record: 'C:\\Users\\ana\\AppData\\Local\\sole-instance\\com.example.notes-1.json',
      lock: `Local\\com.example.notes-${SID}`,
      stateDir: 'C:\\Users\\ana\\AppData\\Local\\sole-instance',
      beacon: null,
      semaphoreKeys: [],
      installation: null,
      installerNotes: 'C:\\Users\\ana\\AppData\\Local\\sole-instance\\com.example.notes.installer.log',
    });
  });

  it('user scope: a Global\\ mutex and one record for all sessions', () => {
    const places = derivePlaces('com.example.notes', 'user', windows());
    assert.equal(places.lock, `Global\\com.example.notes-${SID}`);
    assert.equal(places.record, 'C:\\Users\\ana\\AppData\\Local\\sole-instance\\com.example.notes-user.json');
  });

  it('two users, or two sessions of one user, never share a lock or a record', () => {
    const a = derivePlaces('com.example.notes', 'session', windows(SID, 1));
    const b = derivePlaces('com.example.notes', 'session', windows(OTHER_SID, 1));
    const c = derivePlaces('com.example.notes', 'session', windows(SID, 2));
    assert.notEqual(a.lock, b.lock);
    assert.notEqual(a.record, c.record);
  });

  it('no backslash after the namespace prefix, and within MAX_PATH even for the longest id', () => {
    for (const scope of ['session', 'user'] as const) {
      const places = derivePlaces('x'.repeat(128), scope, windows(`${SID}-${'9'.repeat(120)}`, 4_000_000_000));
      assert.equal(places.lock.split('\\').length, 2);
      assert.ok(places.lock.length <= 260, `mutex name ${places.lock.length} chars`);
      assert.ok(places.record.length < 260, `record path ${places.record.length} chars`);
    }
  });

  it('the installer uses the same mutex name as the app', () => {
    assert.equal(win32MutexName('com.example.notes', 'session', SID), derivePlaces('com.example.notes', 'session', windows()).lock);
  });

  it('an installation mutex per install folder, in Global\\ whatever the scope, within the name limit', () => {
    const places = derivePlaces('com.example.notes', 'session', { ...windows(), installFolderHash: '0badf00d' });
    assert.equal(places.installation, 'Global\\sole-instance-com.example.notes-0badf00d');
    assert.equal(derivePlaces('com.example.notes', 'user', { ...windows(OTHER_SID, 2), installFolderHash: '0badf00d' }).installation, places.installation, 'every user and session of one installation');
    assert.notEqual(win32InstallationMutexName('com.example.notes', '0badf00e'), places.installation, 'another folder, another installation');
    const longest = win32InstallationMutexName('x'.repeat(128), 'ffffffff');
    assert.ok(longest.length <= 260 && longest.endsWith('-ffffffff'), longest);
  });
});

describe('places on Linux and macOS', () => {
  it('Linux: lock and record in the state directory, named for the app and the machine; a beacon named for the user', () => {
    const places = derivePlaces('com.example.notes', 'session', linux());
    assert.equal(places.lock, '/home/ana/.local/state/sole-instance/com.example.notes@4f1a2b3c4d5e.lock');
    assert.equal(places.record, '/home/ana/.local/state/sole-instance/com.example.notes@4f1a2b3c4d5e.json');
    assert.match(places.beacon ?? '', /^sole-instance\/1000\/[0-9a-f]{32}$/);
    assert.deepEqual(derivePlaces('com.example.notes', 'user', linux()), places, 'a user\'s sessions share one instance');
  });

  it('machines sharing a home (NFS) and users sharing nothing get different places', () => {
    const here = derivePlaces('com.example.notes', 'session', linux());
    assert.notEqual(derivePlaces('com.example.notes', 'session', linux({ host: '000000000000' })).lock, here.lock);
    assert.notEqual(derivePlaces('com.example.notes', 'session', linux({ user: '1001' })).beacon, here.beacon);
  });

  it("a sandbox's instances are its own: other presence semaphore keys than the desktop's, and than another sandbox's", () => {
    const keys = (sandbox: string | null): readonly number[] => derivePlaces('com.example.notes', 'session', linux({ sandbox })).semaphoreKeys;
    const all = [null, 'snap.notes', 'flatpak.com.example.notes'].flatMap((sandbox) => keys(sandbox));
    assert.equal(new Set(all).size, all.length);
  });

  it('under snap confinement the beacon carries the snap prefix AppArmor allows', () => {
    assert.match(derivePlaces('com.example.notes', 'session', linux({ sandbox: 'snap.notes' })).beacon ?? '', /^snap\.notes\.sole-instance\/1000\//);
  });

  it('macOS: no machine id, no beacon (there are no abstract sockets)', () => {
    const places = derivePlaces('com.example.notes', 'session', linux({ platform: 'darwin', host: '', stateDir: '/Users/ana/Library/Application Support/sole-instance' }));
    assert.equal(places.lock, '/Users/ana/Library/Application Support/sole-instance/com.example.notes.lock');
    assert.equal(places.beacon, null);
  });

  it('an app id too long for a file name is hashed', () => {
    const places = derivePlaces(`com.example.${'ü'.repeat(100)}`, 'session', linux());
    assert.match(places.lock, /\/[0-9a-f]{32}@4f1a2b3c4d5e\.lock$/);
  });
});

describe('state directories and socket paths', () => {
  it('the state directory comes from the home or the known folder, never the environment', () => {
    assert.equal(stateDirFor('linux', '/home/ana'), '/home/ana/.local/state/sole-instance');
    assert.equal(stateDirFor('darwin', '/Users/ana'), '/Users/ana/Library/Application Support/sole-instance');
    assert.equal(stateDirFor('win32', 'C:\\Users\\ana\\AppData\\Local'), 'C:\\Users\\ana\\AppData\\Local\\sole-instance');
  });

  it('a socket path must fit sun_path: 107 bytes on Linux, 103 on macOS', () => {
    assert.equal(socketPathIn('linux', '/run/user/1000/sole-instance-AbC123'), '/run/user/1000/sole-instance-AbC123/s.sock');
    const dir = `/${'d'.repeat(97)}`;
    assert.equal(socketPathIn('linux', dir), `${dir}/s.sock`);
    assert.equal(socketPathIn('darwin', dir), undefined);
    assert.equal(socketPathIn('linux', `/${'d'.repeat(101)}`), undefined);
  });
});
