/** Frames and proofs of the wire protocol. */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { newNonce, primaryProof, secondaryProof } from '../../app/single-instance/ipc/challenge.js';
import {
  FrameReader,
  HANDSHAKE_MAX_BYTES,
  type Message,
  PROTOCOL_VERSION,
  encodeFrame,
  sameSecret,
} from '../../app/single-instance/ipc/protocol.js';

const v = PROTOCOL_VERSION;
const hello: Message = { t: 'hello', v, nonce: newNonce() };
const auth: Message = { t: 'auth', v, mac: 'm'.repeat(44) };
const queued: Message = { t: 'queued', v };
const taken: Message = { t: 'taken', v };

/** The messages a chunk completes. */
function read(reader: FrameReader, chunk: Buffer): Message[] {
  const messages: Message[] = [];
  reader.push(chunk, (message) => messages.push(message));
  return messages;
}

describe('frames', () => {
  it('messages split across chunks at every byte come out whole and in order', () => {
    const bytes = Buffer.concat([encodeFrame(hello), encodeFrame(auth), encodeFrame(queued), encodeFrame(taken)]);
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      const reader = new FrameReader(1024);
      const out = [...read(reader, bytes.subarray(0, cut)), ...read(reader, bytes.subarray(cut))];
      assert.deepEqual(out, [hello, auth, queued, taken]);
      assert.equal(reader.pendingBytes, 0);
    }
  });

  it('a 1 MiB frame fed one byte at a time comes out whole, the bytes counted as they come', () => {
    const launch: Message = { t: 'launch', v, argv: ['x'.repeat(1024 * 1024 - 100)], cwd: null, data: null, pid: 7, env: {}, request: null };
    const frame = encodeFrame(launch);
    const reader = new FrameReader(frame.length);
    const out: Message[] = [];
    for (let index = 0; index < frame.length; index += 1) {
      out.push(...read(reader, frame.subarray(index, index + 1)));
      if (index === frame.length - 2) {
        assert.equal(reader.pendingBytes, frame.length - 1);
      }
    }
    assert.deepEqual(out, [launch]);
  });

  it('the handshake cap is small, and the limit of a reader can be raised once its peer has proven itself', () => {
    const big = encodeFrame({ t: 'hello', v, nonce: newNonce(), padding: 'p'.repeat(2000) } as unknown as Message);
    assert.throws(() => read(new FrameReader(HANDSHAKE_MAX_BYTES), big), /exceeds the 1024-byte limit/);
    const reader = new FrameReader(HANDSHAKE_MAX_BYTES);
    reader.limit = 4096;
    assert.equal(read(reader, big).length, 1);
  });

  it('a limit raised by a message applies to the next frame of the same chunk (a proof and a large launch sent together)', () => {
    const launch: Message = { t: 'launch', v, argv: ['x'.repeat(4000)], cwd: null, data: null, pid: 7, env: {}, request: null };
    const reader = new FrameReader(HANDSHAKE_MAX_BYTES);
    const out: Message[] = [];
    reader.push(Buffer.concat([encodeFrame(auth), encodeFrame(launch)]), (message) => {
      out.push(message);
      reader.limit = 8192;
    });
    assert.deepEqual(out, [auth, launch]);
  });

  it('a header announcing more than the cap is refused before the body arrives', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(2048);
    assert.throws(() => read(new FrameReader(1024), header), /message of 2048 bytes exceeds the 1024-byte limit/);
  });

  it('malformed messages are refused with a reason', () => {
    const frame = (value: unknown): Buffer => encodeFrame(value as Message);
    const cases: [unknown, RegExp][] = [
      [[1, 2], /without a type and version/],
      [{ t: 'hello', v, nonce: 'short' }, /malformed or unknown "hello"/],
      [{ t: 'auth', v }, /malformed or unknown "auth"/],
      [{ t: 'launch', v, argv: ['a', 3], cwd: '/', data: null, pid: 2, env: {}, request: null }, /malformed or unknown "launch"/],
      [{ t: 'launch', v, argv: [], cwd: '/', pid: 2, env: {}, request: null }, /malformed or unknown "launch"/],
      [{ t: 'launch', v, argv: [], cwd: 3, data: null, pid: 2, env: {}, request: null }, /malformed or unknown "launch"/],
      [{ t: 'launch', v, argv: [], cwd: '/', data: null, pid: 2, env: {}, request: 'delete' }, /malformed or unknown "launch"/],
      [{ t: 'welcome', v, pid: -4, nonce: newNonce(), mac: 'x', max: 10 }, /malformed or unknown "welcome"/],
      [{ t: 'surprise', v }, /malformed or unknown "surprise"/],
      [{ t: 'hello', v: 1, nonce: newNonce() }, new RegExp(`speaks protocol version 1, this one speaks ${v}`)],
    ];
    for (const [value, message] of cases) {
      assert.throws(() => read(new FrameReader(1024), frame(value)), message);
    }
  });
});

describe('proofs', () => {
  const secret = randomBytes(32);
  it('challenge proofs depend on the secret and on both nonces, and differ by role', () => {
    const [a, b] = [newNonce(), newNonce()];
    assert.ok(sameSecret(primaryProof(secret, a), primaryProof(secret, a)));
    assert.ok(!sameSecret(primaryProof(secret, a), primaryProof(randomBytes(32), a)));
    assert.ok(!sameSecret(primaryProof(secret, a), primaryProof(secret, b)));
    assert.ok(!sameSecret(secondaryProof(secret, a, b), secondaryProof(secret, b, a)));
    assert.ok(!sameSecret(secondaryProof(secret, a, a), primaryProof(secret, a)));
    assert.ok(!sameSecret(primaryProof(secret, a), ''));
  });

  it('a token matches only itself: not a prefix, not an extension, not one differing in its last character', () => {
    const token = secret.toString('base64');
    assert.ok(sameSecret(token, token));
    for (const other of [token.slice(0, -1), `${token}A`, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, '']) {
      assert.ok(!sameSecret(token, other), JSON.stringify(other));
    }
  });
});
