/**
 * The wire protocol between a second instance and the primary: length-prefixed JSON frames
 * (4-byte big-endian length, then UTF-8 JSON), a version on every message, and a mutual
 * HMAC proof keyed by a per-user secret that never goes on the wire.
 *
 * secondary → `hello {v, nonce}`; primary → `welcome {v, pid, nonce, mac, max}`;
 * secondary checks `mac`, then → `launch {v, mac, argv, cwd, data, pid, env}`;
 * primary checks `mac` → `ack {v}` once the launch is queued, then `reply {v, value}`
 * or, at any step, `error {v, code, message}`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MessageTooLargeError, ProtocolError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { Launch } from '../launch.js';

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 1;
/** Default cap on one frame's JSON, in bytes (1 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Size of the length prefix before each frame's JSON. */
export const HEADER_BYTES = 4;
/** Largest frame body the length prefix can announce. */
export const MAX_FRAME_BYTES = 2 ** (8 * HEADER_BYTES) - 1;

/** A second instance opens with this. */
export interface HelloMessage {
  t: 'hello';
  v: number;
  /** Random challenge the primary must answer with its proof. */
  nonce: string;
}

/** The primary's answer to `hello`. */
export interface WelcomeMessage {
  t: 'welcome';
  v: number;
  pid: number;
  /** Random challenge the second instance must answer in its launch. */
  nonce: string;
  /** Proof of the secret over the second instance's nonce. */
  mac: string;
  /** The primary's frame cap in bytes. */
  max: number;
}

/** The launch message: the launch plus the second instance's proof. */
export interface LaunchMessage extends Launch {
  t: 'launch';
  v: number;
  mac: string;
}

/** The primary took the launch (queued for its handler). */
export interface AckMessage {
  t: 'ack';
  v: number;
}

/** The handler's result. */
export interface ReplyMessage {
  t: 'reply';
  v: number;
  value: JsonValue;
}

/** A refusal or failure, with a code from `SingleInstanceErrorCode`. */
export interface ErrorMessage {
  t: 'error';
  v: number;
  code: string;
  message: string;
}

/** Any protocol message. */
export type Message = HelloMessage | WelcomeMessage | LaunchMessage | AckMessage | ReplyMessage | ErrorMessage;

/**
 * Encodes one message as a frame.
 * @param message - the message
 */
export function encodeFrame(message: Message): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER_BYTES);
  return frame;
}

/** Splits a byte stream into frames and parses each, refusing frames over a cap. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** @param maxBytes - largest frame body accepted */
  constructor(private readonly maxBytes: number) {}

  /**
   * Adds received bytes and returns the messages completed by them, in order.
   * @param chunk - bytes just received
   * @throws MessageTooLargeError as soon as a frame header announces more than the cap
   * @throws ProtocolError when a frame is not a valid message
   */
  push(chunk: Buffer): Message[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: Message[] = [];
    while (this.buffered.length >= HEADER_BYTES) {
      const size = this.buffered.readUInt32BE(0);
      if (size > this.maxBytes) {
        throw MessageTooLargeError.of(size, this.maxBytes);
      }
      if (this.buffered.length < HEADER_BYTES + size) {
        break;
      }
      const body = this.buffered.subarray(HEADER_BYTES, HEADER_BYTES + size);
      this.buffered = this.buffered.subarray(HEADER_BYTES + size);
      messages.push(parseMessage(body));
    }
    return messages;
  }

  /** Bytes received that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.buffered.length;
  }
}

/**
 * Parses and checks one frame body.
 * @param body - the frame's bytes
 * @throws ProtocolError naming what is wrong
 */
export function parseMessage(body: Buffer): Message {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProtocolError('received a frame that is not JSON');
  }
  if (!isRecord(raw) || typeof raw.t !== 'string' || typeof raw.v !== 'number') {
    throw new ProtocolError('received a message without a type and version');
  }
  if (raw.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `the other instance speaks protocol version ${raw.v}, this one speaks ${PROTOCOL_VERSION}; ` +
        'update both to the same release.',
    );
  }
  if (!MESSAGE_CHECKS[raw.t]?.(raw)) {
    throw new ProtocolError(`received a malformed or unknown "${raw.t}" message`);
  }
  return raw as unknown as Message;
}

type Check = (raw: Record<string, unknown>) => boolean;

const MESSAGE_CHECKS: Record<string, Check> = {
  hello: (m) => isNonce(m.nonce),
  welcome: (m) => isPid(m.pid) && isNonce(m.nonce) && typeof m.mac === 'string' && isPid(m.max),
  launch: (m) =>
    typeof m.mac === 'string' &&
    Array.isArray(m.argv) &&
    m.argv.every((arg) => typeof arg === 'string') &&
    (typeof m.cwd === 'string' || m.cwd === null) &&
    'data' in m &&
    isPid(m.pid) &&
    isRecord(m.env) &&
    Object.values(m.env).every((value) => typeof value === 'string'),
  ack: () => true,
  reply: (m) => 'value' in m,
  error: (m) => typeof m.code === 'string' && typeof m.message === 'string',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPid(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isNonce(value: unknown): boolean {
  return typeof value === 'string' && value.length >= 16 && value.length <= 64;
}

/** A fresh random challenge. */
export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

/**
 * The primary's proof: HMAC-SHA256 of the second instance's nonce.
 * @param secret - the shared per-user secret
 * @param secondaryNonce - the nonce from `hello`
 */
export function primaryProof(secret: Buffer, secondaryNonce: string): string {
  return mac(secret, `primary\0${secondaryNonce}`);
}

/**
 * The second instance's proof: HMAC-SHA256 of the primary's nonce (bound to its own).
 * @param secret - the shared per-user secret
 * @param primaryNonce - the nonce from `welcome`
 * @param secondaryNonce - the nonce the second instance sent in `hello`
 */
export function secondaryProof(secret: Buffer, primaryNonce: string, secondaryNonce: string): string {
  return mac(secret, `secondary\0${primaryNonce}\0${secondaryNonce}`);
}

/**
 * Compares a received proof with the expected one in constant time.
 * @param expected - the proof computed locally
 * @param received - the proof from the wire
 */
export function proofMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function mac(secret: Buffer, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('base64');
}
