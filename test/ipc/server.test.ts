/** The primary against hostile or broken peers: it never crashes and the next hand-off works. */
import * as assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import { type ClaimOptions, type PrimaryInstance, claim } from 'sole-instance';
import { PROTOCOL_VERSION } from '../../app/single-instance/ipc/protocol.js';
import { RecordingLogger, TraceRecorder, isolatedTmp, runHost, uniqueId } from '../helpers.js';
import { RawClient } from './raw-client.js';

before(() => isolatedTmp());

interface Fixture {
  id: string;
  primary: PrimaryInstance;
  trace: TraceRecorder;
  launches: number[];
}

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.primary.release();
  fixture = undefined;
});

async function startPrimary(options: Partial<Pick<ClaimOptions, 'handshakeTimeoutMs' | 'connectionTimeoutMs' | 'maxConnections' | 'maxMessageBytes' | 'maxPendingLaunches'>> = {}): Promise<Fixture> {
  const id = uniqueId('robust');
  const trace = new TraceRecorder(id);
  const instance = await claim({ appId: id, logger: new RecordingLogger(), ...options });
  assert.equal(instance.role, 'primary');
  const launches: number[] = [];
  instance.onSecondInstance((launch) => {
    launches.push(launch.pid);
    return 'ok';
  });
  fixture = { id, primary: instance, trace, launches };
  return fixture;
}

async function assertHandOffWorks(current: Fixture): Promise<void> {
  const result = await runHost(['--id', current.id]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.lines[0], { role: 'secondary', primaryPid: process.pid, reply: 'ok' });
}

describe('primary robustness', () => {
  it('garbage bytes: a clear error back, connection closed, next hand-off works', async () => {
    const current = await startPrimary();
    const client = new RawClient(current.primary.endpoint);
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.closed;
    assert.equal(client.received[0]?.t, 'error');
    assert.match(JSON.stringify(client.received[0]), /ETOOLARGE/);
    await assertHandOffWorks(current);
  });

  it('a small frame that is not JSON: EPROTOCOL back, next hand-off works', async () => {
    const current = await startPrimary();
    const client = new RawClient(current.primary.endpoint);
    const body = Buffer.from('{not json', 'utf8');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    client.socket.write(Buffer.concat([header, body]));
    await client.closed;
    assert.deepEqual(client.received, [
      { t: 'error', v: PROTOCOL_VERSION, code: 'EPROTOCOL', message: 'received a frame that is not JSON' },
    ]);
    await assertHandOffWorks(current);
  });

  it('a truncated frame followed by a hang-up: primary survives', async () => {
    const current = await startPrimary();
    const client = new RawClient(current.primary.endpoint);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(100);
    client.socket.end(Buffer.concat([header, Buffer.from('{"t":"hel')]));
    await client.closed;
    await assertHandOffWorks(current);
  });

  it('a frame over 1 KiB before the proof: ETOOLARGE with the limit sent back, never a silent drop', async () => {
    const current = await startPrimary({ maxMessageBytes: 4096 });
    const client = new RawClient(current.primary.endpoint);
    await client.connected();
    client.send({ t: 'auth', v: PROTOCOL_VERSION, token: 'x', padding: 'x'.repeat(2000) });
    await client.closed;
    assert.equal(client.received.length, 1);
    const [error] = client.received;
    assert.equal(error?.t, 'error');
    assert.match(JSON.stringify(error), /exceeds the 1024-byte limit/);
    await assertHandOffWorks(current);
  });

  it('a launch larger than the primary accepts: the second instance gets a clear error, nothing is delivered', async () => {
    const current = await startPrimary({ maxMessageBytes: 2000 });
    const result = await runHost(['--id', current.id, '--data', JSON.stringify('y'.repeat(5000))]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /exceeds the 2000-byte limit/);
    assert.deepEqual(current.launches, []);
    await assertHandOffWorks(current);
  });

  it('idle connections do not block hand-offs, and the primary closes them at its handshake deadline', async () => {
    const current = await startPrimary({ handshakeTimeoutMs: 300 });
    const idle = Array.from({ length: 5 }, () => new RawClient(current.primary.endpoint));
    await Promise.all(idle.map((client) => client.connected()));
    await assertHandOffWorks(current);
    await Promise.all(idle.map((client) => client.closed));
    await current.trace.waitFor('refused', { reason: 'handshake-timeout' });
  });

  it('at the cap of unproven connections, the oldest is closed for a newcomer: a real launch gets through at once', async () => {
    const current = await startPrimary({ maxConnections: 2 });
    const idle = [new RawClient(current.primary.endpoint), new RawClient(current.primary.endpoint)];
    await Promise.all(idle.map((client) => client.connected()));
    await assertHandOffWorks(current);
    await idle[0]!.closed;
    await current.trace.waitFor('refused', { reason: 'evicted' });
  });

  it('a launch with a wrong proof is refused and never reaches the handler', async () => {
    const current = await startPrimary();
    const client = new RawClient(current.primary.endpoint);
    client.send({ t: 'auth', v: PROTOCOL_VERSION, token: 'forged' });
    client.send({ t: 'launch', v: PROTOCOL_VERSION, argv: ['evil'], cwd: '/', data: null, pid: 1, env: {}, request: null });
    await client.closed;
    assert.deepEqual(client.received[0], {
      t: 'error',
      v: PROTOCOL_VERSION,
      code: 'ENOTOURS',
      message: 'the launch carried a wrong proof',
    });
    assert.deepEqual(current.launches, []);
    await assertHandOffWorks(current);
    assert.equal(current.launches.length, 1);
  });

  it('an unknown protocol version gets a clear error', async () => {
    const current = await startPrimary();
    const client = new RawClient(current.primary.endpoint);
    client.send({ t: 'auth', v: 99, token: 'x' });
    await client.closed;
    assert.equal(client.received[0]?.t, 'error');
    assert.match(JSON.stringify(client.received[0]), new RegExp(`speaks protocol version 99, this one speaks ${PROTOCOL_VERSION}`));
    await assertHandOffWorks(current);
  });

  it('a launch before the proof is refused', async () => {
    const current = await startPrimary();
    const client = new RawClient(current.primary.endpoint);
    client.send({ t: 'launch', v: PROTOCOL_VERSION, argv: [], cwd: '/', data: null, pid: 1, env: {}, request: null });
    await client.closed;
    assert.match(JSON.stringify(client.received[0]), /unexpected \\"launch\\" message/);
    await assertHandOffWorks(current);
  });
});
