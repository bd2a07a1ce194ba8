/**
 * Exactly-once delivery when the primary misbehaves: a launch fails only when the primary truly
 * does not take it, a launch whose sender gave up is never delivered, and one the primary took
 * and then orphaned ends with its own outcome. Real processes; the fixture primary can stop
 * itself (SIGSTOP) right after it first sends a welcome. A second instance that gives up on a
 * launch it sent tells the primary (it half-closes), and what the primary answered before reading
 * that decides: hand-written primaries play each answer.
 */
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, before, describe, it } from 'node:test';
import { LaunchQueue, type PrimaryInstance, claim } from 'sole-instance';
import { now } from '../../app/single-instance/builtins.js';
import { type HandOffOutcome, WITHDRAW_GRACE_MS, handOff } from '../../app/single-instance/ipc/client.js';
import { FrameReader, HANDSHAKE_MAX_BYTES, type Message, PROTOCOL_VERSION, encodeFrame } from '../../app/single-instance/ipc/protocol.js';
import { FIXTURE, HOST, HostProcess, NodeProcess, RecordingLogger, TraceRecorder, finished, isolatedTmp, runHost, tempDir, uniqueId } from '../helpers.js';

before(() => isolatedTmp());

/** Processes a test started, stopped after it whether it passed or not. */
const started: NodeProcess[] = [];
const held: PrimaryInstance[] = [];
afterEach(async () => {
  for (const process of started.splice(0)) {
    process.child.kill('SIGKILL');
    await process.exited;
  }
  await Promise.all(held.splice(0).map((primary) => primary.release()));
});

/** The fixture primary (see test/fixtures/fixture.ts), once it listens. */
async function fixturePrimary(id: string, flags: string[] = []): Promise<NodeProcess> {
  const primary = new NodeProcess([FIXTURE, 'primary', JSON.stringify({ appId: id }), ...flags]);
  started.push(primary);
  assert.equal((await primary.first()).role, 'primary', primary.stderr);
  return primary;
}

/** The argv lines the fixture primary delivered. */
const delivered = (primary: NodeProcess): unknown[] => primary.lines.filter((line) => 'delivered' in line).map((line) => line.delivered);

describe('a primary that goes away mid-hand-off', () => {
  it('stopped as the launch arrives (before its handler takes it), then killed: never delivered, and not lost: it becomes the primary (exit 0)', async () => {
    const id = uniqueId('arrival-kill');
    const primary = await fixturePrimary(id, ['--stop-on-launch']);
    const launch = new HostProcess(['--id', id, '--', 'survivor']);
    started.push(launch);
    await primary.waitForLine((line) => line.stopping === true);
    primary.child.kill('SIGKILL');
    assert.equal((await launch.first()).role, 'primary', launch.stderr);
    assert.equal(await launch.stop(), 0);
    assert.deepEqual(delivered(primary), []);
  });

  it('stopped as the launch arrives, past the deadline: the launch exits 3 and is never delivered, even once the primary runs again; launching again delivers exactly once', async () => {
    const id = uniqueId('stall');
    const primary = await fixturePrimary(id, ['--stop-on-launch']);
    const gaveUp = await runHost(['--id', id, '--timeout-ms', '600', '--', 'first']);
    assert.equal(gaveUp.code, 3, gaveUp.stderr);
    assert.match(gaveUp.stderr, /did not take the launch|not delivered/);
    primary.child.kill('SIGCONT');
    const again = await runHost(['--id', id, '--', 'second']);
    assert.equal(again.code, 0, again.stderr);
    await primary.waitForLine((line) => 'delivered' in line);
    primary.child.kill('SIGTERM');
    await primary.exited;
    assert.deepEqual(delivered(primary), [[process.execPath, HOST, '--id', id, '--', 'second']]);
  });

  it('took the launch, then died before replying: the launch ends with its own outcome (exit 4), delivered once', async () => {
    const id = uniqueId('orphan');
    const primary = await fixturePrimary(id, ['--never-reply']);
    const launch = new HostProcess(['--id', id, '--', 'orphaned']);
    started.push(launch);
    await primary.waitForLine((line) => 'delivered' in line);
    primary.child.kill('SIGKILL');
    const outcome = await finished(launch);
    assert.equal(outcome.code, 4, outcome.stderr);
    assert.match(outcome.stderr, /took the launch, then exited before answering/);
  });

  it('a handler slower than replyTimeoutMs: delivered, and the launch says no reply came (NoReplyError)', async () => {
    const id = uniqueId('slow-reply');
    const primary = await fixturePrimary(id, ['--never-reply']);
    await assert.rejects(claim({ appId: id, replyTimeoutMs: 300 }), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'ENOREPLY');
      assert.match(String(error), /handler did not answer within 300 ms/);
      return true;
    });
    await primary.waitForLine((line) => 'delivered' in line);
  });

  it('the launch waits for a handler (no window yet), then the primary is killed: never delivered, and not lost: it becomes the primary (exit 0)', async () => {
    const id = uniqueId('queued-kill');
    const primary = await fixturePrimary(id, ['--handler-on-signal']);
    const launch = new HostProcess(['--id', id, '--', 'survivor']);
    started.push(launch);
    await primary.waitForLine((line) => line.received === launch.child.pid && line.queued === true);
    primary.child.kill('SIGKILL');
    assert.equal((await launch.role()).role, 'primary', launch.stderr);
    assert.equal(await launch.stop(), 0);
    assert.deepEqual(delivered(primary), []);
  });

  it('the launch waits for a handler longer than replyTimeoutMs: not delivered (exit 3 and its error), and the handler that comes later never sees it', async () => {
    const id = uniqueId('queued-timeout');
    const primary = await fixturePrimary(id, ['--handler-on-signal']);
    await assert.rejects(claim({ appId: id, argv: ['too-late'], replyTimeoutMs: 400 }), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'ETIMEOUT');
      assert.match(String(error), /held the launch, but its window or handler did not take it within 400 ms; the launch was not delivered/);
      return true;
    });
    primary.child.kill('SIGUSR1');
    await primary.waitForLine((line) => line.handler === true);
    const again = await runHost(['--id', id, '--', 'in-time']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(delivered(primary), [[process.execPath, HOST, '--id', id, '--', 'in-time']]);
  });
});

describe('launches waiting for the handler', () => {
  it('200 launches queued before the handler exists are all delivered, each exactly once', async () => {
    const id = uniqueId('queue-200');
    const trace = new TraceRecorder(id);
    const primary = await claim({ appId: id, logger: new RecordingLogger() });
    assert.ok(primary.role === 'primary');
    held.push(primary);
    const launches = new NodeProcess([FIXTURE, 'launches', JSON.stringify({ appId: id, timeoutMs: 20_000 }), '200']);
    started.push(launches);
    await trace.waitFor('received', {}, 200, 60_000);
    const seen: string[] = [];
    primary.onSecondInstance((launch) => {
      seen.push(launch.argv[0] ?? '');
    });
    const [{ outcomes }] = (await launches.waitForLines(1)) as [{ outcomes: string[] }];
    assert.deepEqual(outcomes, Array.from({ length: 200 }, () => 'secondary'));
    assert.equal(new Set(seen).size, 200);
    assert.equal(seen.length, 200);
  });

  it('beyond maxPendingLaunches a launch is refused as busy: not delivered, exit 3 naming the cause', async () => {
    const id = uniqueId('busy');
    const trace = new TraceRecorder(id);
    const primary = await claim({ appId: id, logger: new RecordingLogger(), maxPendingLaunches: 2 });
    assert.ok(primary.role === 'primary');
    held.push(primary);
    const waiting = [new HostProcess(['--id', id, '--', 'a']), new HostProcess(['--id', id, '--', 'b'])];
    started.push(...waiting);
    await trace.waitFor('received', {}, 2);
    const refused = await runHost(['--id', id, '--timeout-ms', '500', '--', 'c']);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /already holds 2 launches waiting/);
    const seen: string[] = [];
    primary.onSecondInstance((launch) => {
      seen.push(launch.argv.at(-1) ?? '');
    });
    assert.deepEqual(await Promise.all(waiting.map((host) => host.exited)), [0, 0]);
    assert.deepEqual(seen.sort(), ['a', 'b']);
  });
});

/** What a hand-written primary does once the second instance gives up on its launch (half-closes). */
type OnGiveUp = (socket: net.Socket) => void;

/**
 * Hands a launch with a `deadlineMs` deadline to a hand-written primary that reads it and says
 * nothing until the second instance gives up, then does `onGiveUp`.
 */
async function handOffToScripted(onGiveUp: OnGiveUp, deadlineMs = 200): Promise<HandOffOutcome> {
  const launches: Message[] = [];
  const endpoint = path.join(tempDir('scripted'), 'endpoint');
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const reader = new FrameReader(HANDSHAKE_MAX_BYTES);
    socket.on('data', (chunk: Buffer) => reader.push(chunk, (message: Message) => launches.push(message)));
    socket.once('end', () => {
      assert.deepEqual(launches.map((message) => message.t), ['auth', 'launch'], 'gave up before its launch was sent');
      onGiveUp(socket);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(endpoint, resolve));
  try {
    return await handOff({
      endpoint,
      proof: 'token',
      secret: Buffer.alloc(32, 7),
      primaryPid: process.pid,
      handover: { argv: ['late'], cwd: null, data: null, pid: process.pid, env: {}, request: null },
      maxMessageBytes: 1024 * 1024,
      deadline: now() + deadlineMs,
      timeoutMs: deadlineMs,
      replyTimeoutMs: 5_000,
      beforeLaunch: () => undefined,
    });
  } finally {
    server.close();
  }
}

/** Asserts a hand-off failed as not delivered, past its deadline (exit 3). */
function notDelivered(error: unknown): true {
  assert.equal((error as { code?: string }).code, 'ETIMEOUT', String(error));
  assert.match(String(error), /not delivered/);
  return true;
}

describe('giving up on a sent launch is a message the primary answers', () => {
  it('a `taken` the primary wrote before it read the give-up counts: delivered, with its reply (never reported as not delivered)', async () => {
    const outcome = await handOffToScripted((socket) => {
      socket.write(encodeFrame({ t: 'taken', v: PROTOCOL_VERSION }));
      socket.end(encodeFrame({ t: 'reply', v: PROTOCOL_VERSION, value: 'taken at the last moment' }));
    });
    assert.deepEqual(outcome, { kind: 'delivered', primaryPid: process.pid, reply: 'taken at the last moment' });
  });

  it('a primary that drops the launch on the give-up: not delivered (exit 3), not retried as if nobody listened', async () => {
    await assert.rejects(
      handOffToScripted((socket) => socket.end()),
      notDelivered,
    );
  });

  it('a primary that neither takes nor drops it: not delivered once the grace has passed too', async () => {
    const started = now();
    await assert.rejects(
      handOffToScripted(() => undefined),
      notDelivered,
    );
    assert.ok(now() - started >= 200 + WITHDRAW_GRACE_MS, 'gave up before the grace');
  });

  it('the primary drops a launch whose sender gave up while it waited for a handler: out of the queue at once, never delivered', async () => {
    const id = uniqueId('withdrawn');
    const queue = new LaunchQueue();
    const primary = await claim({ appId: id, queue, logger: new RecordingLogger() });
    assert.ok(primary.role === 'primary');
    held.push(primary);
    await assert.rejects(claim({ appId: id, argv: ['withdrawn'], replyTimeoutMs: 300, logger: new RecordingLogger() }), notDelivered);
    assert.equal(queue.size, 0, 'the withdrawn launch is still queued');
    const seen: string[] = [];
    primary.onSecondInstance((launch) => {
      seen.push(launch.argv.at(-1) ?? '');
    });
    assert.equal((await runHost(['--id', id, '--', 'in-time'])).code, 0);
    assert.deepEqual(seen, ['in-time']);
  });
});

describe('release and the second instances it answers', () => {
  it('a second instance stopped (SIGSTOP) once its launch was taken: release() still ends, once the reply is written', async () => {
    const id = uniqueId('stopped-answering');
    const primary = await claim({ appId: id, logger: new RecordingLogger() });
    assert.ok(primary.role === 'primary');
    held.push(primary);
    const second = new NodeProcess([FIXTURE, 'claim', JSON.stringify({ appId: id })]);
    started.push(second);
    let taken!: () => void;
    const wasTaken = new Promise<void>((resolve) => (taken = resolve));
    primary.onSecondInstance(() => {
      second.child.kill('SIGSTOP');
      taken();
      return 'late';
    });
    await wasTaken;
    let bound: NodeJS.Timeout | undefined;
    const stillReleasing = new Promise<string>((resolve) => (bound = setTimeout(() => resolve('still releasing 5 s later'), 5_000)));
    assert.equal(await Promise.race([primary.release().then(() => 'released'), stillReleasing]), 'released');
    clearTimeout(bound);
    second.child.kill('SIGCONT');
    const outcome = await finished(second);
    assert.equal(outcome.lines[0]?.reply, 'late', outcome.stderr);
  });
});

describe('a second instance whose own code fails mid-hand-off', () => {
  it('beforeLaunch throwing (a logger that throws): the hand-off fails with that error and closes its connection at once, not at the deadline', async () => {
    const endpoint = path.join(tempDir('throwing'), 'endpoint');
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.resume();
      socket.once('close', () => closed());
    });
    await new Promise<void>((resolve) => server.listen(endpoint, resolve));
    try {
      const attempt = handOff({
        endpoint,
        proof: 'token',
        secret: Buffer.alloc(32, 7),
        primaryPid: process.pid,
        handover: { argv: [], cwd: null, data: null, pid: process.pid, env: {}, request: null },
        maxMessageBytes: 1024 * 1024,
        deadline: now() + 60_000,
        timeoutMs: 60_000,
        replyTimeoutMs: 60_000,
        beforeLaunch: () => {
          throw new Error('the logger broke');
        },
      });
      await assert.rejects(attempt, /the logger broke/);
      let bound: NodeJS.Timeout | undefined;
      const stillOpen = new Promise<string>((resolve) => (bound = setTimeout(() => resolve('still open 5 s later'), 5_000)));
      assert.equal(await Promise.race([connectionClosed.then(() => 'closed'), stillOpen]), 'closed');
      clearTimeout(bound);
    } finally {
      server.close();
    }
  });
});
