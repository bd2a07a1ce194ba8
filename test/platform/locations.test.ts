/**
 * Where an app's instances live on Linux and macOS, for every target, from what a process knows
 * for sure (pure: the Mac App Store sandbox is tested here too), and the Unix socket path limit
 * the endpoints must fit, measured on this kernel.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { type PosixFacts, locationsFor } from '../../app/single-instance/platform/locations.js';
import { socketPathIn } from '../../app/single-instance/names.js';
import { tempDir } from '../helpers.js';

const linux = (overrides: Partial<PosixFacts> = {}): PosixFacts => ({
  platform: 'linux',
  uid: 1001,
  home: '/home/ana',
  flatpak: null,
  snap: null,
  macSandbox: null,
  macTemp: null,
  ...overrides,
});
const mac = (overrides: Partial<PosixFacts> = {}): PosixFacts => linux({ platform: 'darwin', home: '/Users/ana', macTemp: '/var/folders/xy/abc/T', ...overrides });

describe('locations: a desktop', () => {
  it('Linux: the home state folder first, then a fallback in the home, the runtime folder, the temp folder, then temp folders named at random; endpoints in the runtime folder, else /tmp', () => {
    const where = locationsFor(linux());
    assert.equal(where.target, 'desktop');
    assert.equal(where.sandbox, null);
    assert.deepEqual(where.stateDirs, ['/home/ana/.local/state/sole-instance', '/home/ana/.sole-instance-1001', '/run/user/1001/sole-instance', '/tmp/sole-instance-1001']);
    assert.equal(where.tempPrefix, '/tmp/sole-instance-1001-');
    assert.deepEqual(where.endpointBases, ['/run/user/1001', '/tmp']);
    assert.ok(where.privateBases.has('/run/user/1001') && !where.privateBases.has('/tmp'));
  });

  it('a uid without a passwd entry (or whose home cannot be used): the runtime folder, then temp folders named for the uid; never $HOME', () => {
    const where = locationsFor(linux({ home: null }));
    assert.deepEqual(where.stateDirs, ['/run/user/1001/sole-instance', '/tmp/sole-instance-1001']);
    assert.equal(where.tempPrefix, '/tmp/sole-instance-1001-');
    assert.ok(where.stateDirs.every((dir) => !dir.startsWith('/home')));
  });

  it('macOS: Application Support, then the user\'s temp folder and /tmp for endpoints', () => {
    const where = locationsFor(mac());
    assert.equal(where.stateDirs[0], '/Users/ana/Library/Application Support/sole-instance');
    assert.deepEqual(where.endpointBases, ['/var/folders/xy/abc/T', '/tmp']);
  });
});

describe('locations: sandboxes', () => {
  it('Flatpak: the only folders its instances share, ~/.var/app/<id> and $XDG_RUNTIME_DIR/app/<id>; nothing elsewhere', () => {
    const where = locationsFor(linux({ flatpak: 'org.example.Notes' }));
    assert.equal(where.target, 'flatpak');
    assert.equal(where.sandbox, 'flatpak.org.example.Notes');
    assert.deepEqual(where.stateDirs, ['/home/ana/.var/app/org.example.Notes/.local/state/sole-instance']);
    assert.deepEqual(where.endpointBases, ['/run/user/1001/app/org.example.Notes']);
    assert.match(where.remedy, /flatpak run/);
  });

  it('Snap: ~/snap/<name>/common (kept across refreshes, not a dot-folder of the home), the snap\'s runtime folder or its own /tmp', () => {
    const where = locationsFor(linux({ snap: 'notes' }));
    assert.equal(where.target, 'snap');
    assert.equal(where.sandbox, 'snap.notes');
    assert.deepEqual(where.stateDirs, ['/home/ana/snap/notes/common/.local/state/sole-instance']);
    assert.deepEqual(where.endpointBases, ['/run/user/1001/snap.notes', '/tmp']);
  });

  it("the Mac App Store sandbox: the app's container only, whose path must leave room for a socket; what to change is said", () => {
    const where = locationsFor(mac({ macSandbox: 'com.example.notes' }));
    assert.equal(where.target, 'mac-app-store');
    assert.equal(where.sandbox, 'mac-app-store.com.example.notes');
    assert.deepEqual(where.stateDirs, ['/Users/ana/Library/Containers/com.example.notes/Data/Library/Application Support/sole-instance']);
    assert.deepEqual(where.endpointBases, ['/Users/ana/Library/Containers/com.example.notes/Data/tmp']);
    assert.ok(socketPathIn('darwin', path.posix.join(where.endpointBases[0]!, 'sole-instance-AbCdEf')), 'a usual home and bundle id fit in 104 bytes');
    const long = locationsFor(mac({ home: `/Users/${'a'.repeat(20)}`, macSandbox: `com.example.${'n'.repeat(30)}` }));
    assert.equal(socketPathIn('darwin', path.posix.join(long.endpointBases[0]!, 'sole-instance-AbCdEf')), undefined, 'a long one does not');
    assert.match(long.remedy, /104 bytes.*shorter bundle id/);
  });

  it('the Mac App Store sandbox wins over everything else; a sandbox without a home is a desktop', () => {
    assert.equal(locationsFor(mac({ macSandbox: 'com.example.notes', flatpak: 'x' })).target, 'mac-app-store');
    assert.equal(locationsFor(linux({ flatpak: 'org.example.Notes', home: null })).target, 'desktop');
  });
});

describe('the Unix socket path limit, on this kernel', () => {
  /** Listens on a socket whose path is exactly `bytes` long; resolves whether the kernel took it. */
  function listensAt(bytes: number): Promise<boolean> {
    const base = tempDir('sun');
    const dir = path.join(base, 'd'.repeat(bytes - base.length - 3));
    fs.mkdirSync(dir);
    const socket = path.join(dir, 's');
    assert.equal(Buffer.byteLength(socket), bytes);
    return new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(socket, () => server.close(() => resolve(true)));
    });
  }

  it('Linux takes a path of 108 bytes (all of sun_path) and not 109; socketPathIn keeps within it, leaving room for a terminating NUL', async () => {
    assert.equal(await listensAt(108), true);
    assert.equal(await listensAt(109), false);
    assert.ok(socketPathIn('linux', `/${'d'.repeat(99)}`), '107 bytes');
    assert.equal(socketPathIn('linux', `/${'d'.repeat(100)}`), undefined, '108 bytes');
  });
});
