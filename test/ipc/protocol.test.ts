/** Frames and proofs of the wire protocol. */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  FrameReader,
  HANDSHAKE_MAX_BYTES,
  type Message,
  PROTOCOL_VERSION,
  encodeFrame,
  newNonce,
  primaryProof,
  proofMatches,
  secondaryProof,
} from '../../app/single-instance/ipc/protocol.js';

const v = PROTOCOL_VERSION;
const hello: Message = { t: 'hello', v, nonce: newNonce() };
const auth: Message = { t: 'auth', v, mac: 'm'.repeat(44) };
const ack: Message = { t: 'ack', v };
const commit: Message = { t: 'commit', v };

describe('frames', () => {
  it('messages split across chunks at every byte come out whole and in order', () => {
    const bytes = Buffer.concat([encodeFrame(hello), encodeFrame(auth), encodeFrame(ack), encodeFrame(commit)]);
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      const reader = new FrameReader(1024);
      const out = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
      assert.deepEqual(out, [hello, auth, ack, commit]);
      assert.equal(reader.pendingBytes, 0);
    }
  });

  it('a 1 MiB frame fed one byte at a time comes out whole, the bytes counted as they come', () => {
    const launch: Message = { t: 'launch', v, argv: ['x'.repeat(1024 * 1024 - 100)], cwd: null, data: null, pid: 7, env: {}, request: null };
    const frame = encodeFrame(launch);
    const reader = new FrameReader(frame.length);
    const out: Message[] = [];
    for (let index = 0; index < frame.length; index += 1) {
      out.push(...reader.push(frame.subarray(index, index + 1)));
      if (index === frame.length - 2) {
        assert.equal(reader.pendingBytes, frame.length - 1);
      }
    }
    assert.deepEqual(out, [launch]);
  });

  it('the handshake cap is small, and the limit of a reader can be raised once its peer has proven itself', () => {
    const big = encodeFrame({ t: 'hello', v, nonce: newNonce(), padding: 'p'.repeat(2000) } as unknown as Message);
    assert.throws(() => new FrameReader(HANDSHAKE_MAX_BYTES).push(big), /exceeds the 1024-byte limit/);
    const reader = new FrameReader(HANDSHAKE_MAX_BYTES);
    reader.limit = 4096;
    assert.equal(reader.push(big).length, 1);
  });

  it('a header announcing more than the cap is refused before the body arrives', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(2048);
    assert.throws(() => new FrameReader(1024).push(header), /message of 2048 bytes exceeds the 1024-byte limit/);
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
      assert.throws(() => new FrameReader(1024).push(frame(value)), message);
    }
  });
});

describe('proofs', () => {
  const secret = randomBytes(32);
  it('depend on the secret and on both nonces, and differ by role', () => {
    const [a, b] = [newNonce(), newNonce()];
    assert.ok(proofMatches(primaryProof(secret, a), primaryProof(secret, a)));
    assert.ok(!proofMatches(primaryProof(secret, a), primaryProof(randomBytes(32), a)));
    assert.ok(!proofMatches(primaryProof(secret, a), primaryProof(secret, b)));
    assert.ok(!proofMatches(secondaryProof(secret, a, b), secondaryProof(secret, b, a)));
    assert.ok(!proofMatches(secondaryProof(secret, a, a), primaryProof(secret, a)));
    assert.ok(!proofMatches(primaryProof(secret, a), ''));
  });
});
