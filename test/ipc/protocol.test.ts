/** Frames and proofs of the wire protocol. */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  FrameReader,
  type Message,
  encodeFrame,
  newNonce,
  primaryProof,
  proofMatches,
  secondaryProof,
} from '../../app/single-instance/ipc/protocol.js';

const hello: Message = { t: 'hello', v: 1, nonce: newNonce() };
const ack: Message = { t: 'ack', v: 1 };

describe('frames', () => {
  it('messages split across chunks at every byte come out whole and in order', () => {
    const bytes = Buffer.concat([encodeFrame(hello), encodeFrame(ack)]);
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      const reader = new FrameReader(1024);
      const out = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
      assert.deepEqual(out, [hello, ack]);
      assert.equal(reader.pendingBytes, 0);
    }
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
      [{ t: 'hello', v: 1, nonce: 'short' }, /malformed or unknown "hello"/],
      [{ t: 'launch', v: 1, mac: 'x', argv: ['a', 3], cwd: '/', data: null, pid: 2, env: {} }, /malformed or unknown "launch"/],
      [{ t: 'launch', v: 1, mac: 'x', argv: [], cwd: '/', pid: 2, env: {} }, /malformed or unknown "launch"/],
      [{ t: 'welcome', v: 1, pid: -4, nonce: newNonce(), mac: 'x', max: 10 }, /malformed or unknown "welcome"/],
      [{ t: 'surprise', v: 1 }, /malformed or unknown "surprise"/],
      [{ t: 'hello', v: 2, nonce: newNonce() }, /speaks protocol version 2, this one speaks 1/],
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
