/** The module's API in-process: handlers, queueing, replies, release, option validation, squatters. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, before, describe, it } from 'node:test';
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { type ClaimOptions, HandlerError, InvalidOptionsError, type Launch, type PrimaryInstance, claim } from 'sole-instance';
import { PROTOCOL_VERSION } from '../../app/single-instance/ipc/protocol.js';
import { currentPlatform } from '../../app/single-instance/platform/index.js';
import { writeRecord } from '../../app/single-instance/record.js';
import { HostProcess, RecordingLogger, TraceRecorder, isolatedTmp, runFixture, runHost, startPrimary, tempDir, uniqueId } from '../helpers.js';
import { RawClient } from '../ipc/raw-client.js';

before(() => isolatedTmp());

/** Primaries a test made, released after it whether it passed or not (a live one would keep the run open). */
const held: PrimaryInstance[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((primary) => primary.release()));
});

/** The test's primary for `id`, with the recorder of its traced events. */
async function primaryFor(id: string): Promise<{ instance: PrimaryInstance; trace: TraceRecorder }> {
  const trace = new TraceRecorder(id);
  const instance = await claim({ appId: id, logger: new RecordingLogger() });
  assert.ok(instance.role === 'primary', 'the first claim is primary');
  held.push(instance);
  return { instance, trace };
}

describe('claim(): handlers and replies', () => {
  it('launches that arrive before a handler is registered are delivered, in arrival order', async () => {
    const id = uniqueId('queue');
    const { instance, trace } = await primaryFor(id);
    const first = new HostProcess(['--id', id, '--', 'first']);
    await trace.waitFor('received', { pid: first.child.pid });
    const second = new HostProcess(['--id', id, '--', 'second']);
    await trace.waitFor('received', { pid: second.child.pid });
    const seen: Launch[] = [];
    instance.onSecondInstance((launch) => {
      seen.push(launch);
      return seen.length;
    });
    assert.equal(await first.exited, 0);
    assert.equal(await second.exited, 0);
    assert.deepEqual(seen.map((launch) => launch.argv.at(-1)), ['first', 'second']);
    assert.deepEqual([first.lines[0]?.reply, second.lines[0]?.reply], [1, 2]);
    await instance.release();
  });

  it('an async handler resolves the reply; undefined becomes null', async () => {
    const id = uniqueId('async');
    const { instance } = await primaryFor(id);
    instance.onSecondInstance(async (launch) => (launch.argv.at(-1) === 'want-reply' ? { echoed: launch.argv.at(-1) ?? '' } : undefined));
    assert.deepEqual((await runHost(['--id', id, '--', 'want-reply'])).lines[0]?.reply, { echoed: 'want-reply' });
    assert.equal((await runHost(['--id', id, '--', 'none'])).lines[0]?.reply, null);
    await instance.release();
  });

  it('a handler that throws: the second instance fails with the handler error, the primary goes on', async () => {
    const id = uniqueId('throw');
    const { instance } = await primaryFor(id);
    instance.onSecondInstance((launch) => {
      if (launch.argv.at(-1) === 'boom') {
        throw new Error('cannot open that file');
      }
      return 'fine';
    });
    const failed = await runHost(['--id', id, '--', 'boom']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /handler failed: cannot open that file/);
    assert.equal((await runHost(['--id', id, '--', 'ok'])).lines[0]?.reply, 'fine');
    await instance.release();
  });

  it('a handler that throws what has no string (an object without a prototype, a revoked proxy): a clear handler error, the primary goes on', async () => {
    const id = uniqueId('throw-odd');
    const { instance } = await primaryFor(id);
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const thrown: Record<string, unknown> = { bare: Object.create(null), proxy: revoked.proxy };
    instance.onSecondInstance((launch) => {
      const what = launch.argv.at(-1) ?? '';
      if (what in thrown) {
        throw thrown[what];
      }
      return 'fine';
    });
    for (const what of Object.keys(thrown)) {
      const failed = await runHost(['--id', id, '--', what]);
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /handler failed: an object that cannot be printed/);
    }
    assert.equal((await runHost(['--id', id, '--', 'ok'])).lines[0]?.reply, 'fine');
  });

  it('a reply JSON cannot carry is a clear error, not a silent change', async () => {
    const id = uniqueId('badreply');
    const { instance } = await primaryFor(id);
    instance.onSecondInstance(() => ({ when: new Date(0) }) as never);
    const result = await runHost(['--id', id]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /reply JSON cannot carry: the reply\.when is a Date instance/);
    await instance.release();
  });

  it('the handler receives forwarded environment variables only when asked', async () => {
    const id = uniqueId('env');
    const { instance } = await primaryFor(id);
    const seen: Launch[] = [];
    instance.onSecondInstance((launch) => {
      seen.push(launch);
    });
    const child = await runFixture(['claim', JSON.stringify({ appId: id, forwardEnv: ['XDG_ACTIVATION_TOKEN', 'UNSET_VAR'] })], {
      env: { ...process.env, XDG_ACTIVATION_TOKEN: 'token-123', OTHER: 'not sent' },
    });
    assert.equal(child.lines[0]?.role, 'secondary', child.stderr);
    assert.deepEqual(seen[0]?.env, { XDG_ACTIVATION_TOKEN: 'token-123' });
    await instance.release();
  });
});

/** The ids of the presence semaphore sets that exist under `keys` (Linux/macOS, System V IPC). */
function semaphoreSets(keys: readonly number[]): number[] {
  const koffi = createRequire(__filename)('koffi') as typeof Koffi;
  const semget = koffi.load(process.platform === 'darwin' ? 'libSystem.B.dylib' : 'libc.so.6').func('int semget(int key, int nsems, int semflg)') as (key: number, count: number, flags: number) => number;
  return keys.map((key) => semget(key, 0, 0)).filter((id) => id >= 0);
}

describe('claim(): release and shutdown', () => {
  it('a primary that lets go removes its presence semaphore set: sets do not pile up, one per app id and launch', { skip: process.platform === 'win32' ? 'no System V IPC on Windows' : undefined }, async () => {
    const id = uniqueId('semaphore');
    const { semaphoreKeys } = await currentPlatform.places(id, 'session');
    const { instance } = await primaryFor(id);
    assert.equal(semaphoreSets(semaphoreKeys).length, 1, 'the primary holds one set');
    await instance.release();
    assert.deepEqual(semaphoreSets(semaphoreKeys), []);
    const exited = await runHost(['--id', id, '--hold-ms', '0']);
    assert.equal(exited.code, 0, exited.stderr);
    assert.deepEqual(semaphoreSets(semaphoreKeys), [], 'left by a primary that exited');
  });

  it('release removes the endpoint and the record and frees the lock (its file stays); the next claim is primary', async () => {
    const id = uniqueId('release');
    const { instance } = await primaryFor(id);
    const places = await currentPlatform.places(id, 'session');
    const endpoint = instance.endpoint;
    assert.ok(fs.existsSync(endpoint) && fs.existsSync(places.record) && fs.existsSync(places.lock));
    await instance.release();
    await instance.release();
    assert.deepEqual([fs.existsSync(path.dirname(endpoint)), fs.existsSync(places.record), fs.existsSync(places.lock)], [false, false, true]);
    const again = await claim({ appId: id });
    assert.equal(again.role, 'primary');
    await (again.role === 'primary' ? again.release() : undefined);
  });

  it('a launch still waiting for a handler at release is not lost: its sender becomes the new primary', async () => {
    const id = uniqueId('handover');
    const { instance, trace } = await primaryFor(id);
    const waiting = new HostProcess(['--id', id]);
    await trace.waitFor('received', { pid: waiting.child.pid });
    await instance.release();
    const line = await waiting.first();
    assert.equal(line.role, 'primary');
    await waiting.stop();
  });
});

describe('claim(): a launch from a deleted working directory', () => {
  it('as a second instance: hands over with cwd null', async () => {
    const id = uniqueId('deleted-cwd');
    const { instance, trace } = await primaryFor(id);
    const seen: Launch[] = [];
    instance.onSecondInstance((launch) => {
      seen.push(launch);
    });
    const launch = await runFixture(['claim', JSON.stringify({ appId: id, argv: ['relative.txt'] }), '--from-deleted-cwd']);
    assert.equal(launch.code, 0, launch.stderr);
    assert.equal(launch.lines[0]?.role, 'secondary');
    await trace.waitFor('received', { pid: launch.pid });
    assert.deepEqual(seen.map(({ argv, cwd }) => ({ argv, cwd })), [{ argv: ['relative.txt'], cwd: null }]);
    await instance.release();
  });

  it('as the first launch: becomes primary', async () => {
    const launch = await runFixture(['claim', JSON.stringify({ appId: uniqueId('deleted-cwd-primary') }), '--from-deleted-cwd']);
    assert.equal(launch.code, 0, launch.stderr);
    assert.equal(launch.lines[0]?.role, 'primary');
  });
});

describe('claim(): the fast path', () => {
  const probe = async (id: string): Promise<{ role: unknown; koffiLoaded: unknown }> => {
    const child = await runFixture(['claim', JSON.stringify({ appId: id })]);
    assert.equal(child.code, 0, child.stderr);
    const { role, koffiLoaded } = child.lines[0] ?? {};
    return { role, koffiLoaded };
  };

  it('a second instance that finds a running primary never loads the FFI library', async () => {
    const id = uniqueId('ffi');
    const primary = await startPrimary(id);
    assert.deepEqual(await probe(id), { role: 'secondary', koffiLoaded: false });
    await primary.stop();
  });

  it('a process that becomes primary does load it (the probe can tell)', async () => {
    assert.deepEqual(await probe(uniqueId('ffi-primary')), { role: 'primary', koffiLoaded: true });
  });
});

describe('claim(): squatters', () => {
  it('a record naming an endpoint in a directory that is not this user\'s alone (world-writable, as /tmp is): nothing is sent to its listener, the launch goes on without it', async () => {
    const id = uniqueId('squat');
    const places = await currentPlatform.places(id, 'session');
    const endpoint = path.join(tempDir('squatter', 0o1777), 's.sock');
    currentPlatform.prepareStateDir(places);
    writeRecord(places.record, { pid: 1, endpoint, secret: Buffer.alloc(32, 7) });
    let received = 0;
    const squatter = net.createServer((socket) => socket.on('data', (chunk) => (received += chunk.length)));
    await new Promise<void>((resolve) => squatter.listen(endpoint, resolve));
    try {
      const result = await runHost(['--id', id, '--hold-ms', '0', '--', 'secret-argument']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.lines[0]?.role, 'primary', 'no primary of this user runs: the launch became it');
      assert.equal(received, 0, 'the squatter got nothing');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('a raw client that cannot prove the secret reaches no handler', async () => {
    const id = uniqueId('inject');
    const { instance } = await primaryFor(id);
    let calls = 0;
    instance.onSecondInstance(() => {
      calls += 1;
    });
    const client = new RawClient(instance.endpoint);
    client.send({ t: 'auth', v: PROTOCOL_VERSION, token: Buffer.alloc(32, 1).toString('base64') });
    client.send({ t: 'launch', v: PROTOCOL_VERSION, argv: [], cwd: '/', data: null, pid: 1, env: {}, request: null });
    await client.closed;
    assert.equal(client.received[0]?.t, 'error');
    assert.equal(calls, 0);
    await instance.release();
  });
});

describe('claim(): invalid options', () => {
  const cases: [string, unknown, RegExp][] = [
    ['no options', undefined, /takes an options object/],
    ['empty appId', { appId: '' }, /non-empty string/],
    ['appId not a string', { appId: 42 }, /non-empty string/],
    ['appId with a slash', { appId: 'com/x' }, /contains "\/"/],
    ['appId with a NUL', { appId: 'com\u0000x' }, /cannot hold/],
    ['appId with a trailing space', { appId: 'com.x ' }, /starts or ends with a space/],
    ['appId too long', { appId: 'x'.repeat(200) }, /limit is 128/],
    ['unknown scope', { appId: 'a.b', scope: 'machine' }, /"session" or "user"/],
    ['data undefined', { appId: 'a.b', data: undefined }, /pass null/],
    ['data with a nested undefined', { appId: 'a.b', data: { a: [1, undefined] } }, /data\.a\[1\] is undefined/],
    ['data with a function', { appId: 'a.b', data: { f: () => 1 } }, /data\.f is function/],
    ['data with NaN', { appId: 'a.b', data: [Number.NaN] }, /NaN/],
    ['data with a Map', { appId: 'a.b', data: new Map() }, /Map instance/],
    ['data with a bigint', { appId: 'a.b', data: 1n }, /bigint/],
    ['negative timeout', { appId: 'a.b', timeoutMs: -1 }, /timeoutMs/],
    ['fractional timeout', { appId: 'a.b', timeoutMs: 1.5 }, /timeoutMs/],
    ['timeout beyond what a timer can hold', { appId: 'a.b', timeoutMs: 2 ** 31 }, /from 1 to 2147483647/],
    ['frame cap beyond the 4-byte header', { appId: 'a.b', maxMessageBytes: 2 ** 32 }, /maxMessageBytes/],
    ['argv not strings', { appId: 'a.b', argv: [1] }, /argv/],
    ['empty cwd', { appId: 'a.b', cwd: '' }, /cwd/],
    ['cwd not a string', { appId: 'a.b', cwd: 7 }, /cwd/],
  ];
  for (const [name, options, message] of cases) {
    it(`${name}: InvalidOptionsError`, async () => {
      await assert.rejects(claim(options as ClaimOptions), (error: unknown) => {
        assert.ok(error instanceof InvalidOptionsError);
        assert.equal(error.code, 'EINVALID');
        assert.match(error.message, /^sole-instance: /);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it('a cyclic data value is refused', async () => {
    const data: Record<string, unknown> = {};
    data.self = data;
    await assert.rejects(claim({ appId: 'a.b', data: data as never }), /refers back to itself/);
  });

  it('HandlerError is exported for callers to tell handler failures apart', () => {
    assert.equal(HandlerError.failed(new Error('x')).code, 'EHANDLER');
  });
});
