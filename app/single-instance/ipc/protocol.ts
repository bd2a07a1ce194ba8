/**
 * The wire protocol between a second instance and the primary: length-prefixed JSON frames
 * (4-byte big-endian length, then UTF-8 JSON), a version on every message, and a mutual
 * HMAC proof keyed by a secret that never goes on the wire.
 *
 * ```
 * second instance                          primary
 * hello {nonce}                      →                                 frames ≤ 1 KiB until `auth`
 *                                    ←     welcome {pid, nonce', mac, max}   mac = proof of the secret
 * (checks mac; nothing of the launch leaves before)
 * auth {mac}, launch {argv, cwd, …}  →     (checks mac, then takes frames up to `max`)
 *                                    ←     ack                         the launch is held, not delivered
 * commit                             →     (only now is it delivered: queued for the handler)
 *                                    ←     reply {value}  or  error {code, message}
 * ```
 *
 * The commit makes delivery exactly-once: a second instance that gave up (its deadline passed
 * before the ack) never sends it, so its launch is dropped and it may launch again; one that
 * sent it counts the launch as delivered whatever happens next.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MessageTooLargeError, ProtocolError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { Launch } from '../launch.js';
import type { LaunchRequest } from '../quit-request.js';

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 3;
/** Default cap on one frame's JSON, in bytes (1 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Cap on frames before the second instance has proven itself: a hello or an auth is far smaller. */
export const HANDSHAKE_MAX_BYTES = 1024;
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
  /** Random challenge the second instance must answer in its `auth`. */
  nonce: string;
  /** Proof of the secret over the second instance's nonce. */
  mac: string;
  /** The primary's frame cap in bytes, once authenticated. */
  max: number;
}

/** The second instance's proof of the secret, over both nonces. */
export interface AuthMessage {
  t: 'auth';
  v: number;
  mac: string;
}

/** What a second instance hands over: its part of the launch, and what it asks of the primary. */
export interface Handover extends Pick<Launch, 'argv' | 'cwd' | 'data' | 'pid' | 'env'> {
  request: LaunchRequest;
}

/** The launch itself, accepted only after a valid `auth`. */
export interface LaunchMessage extends Handover {
  t: 'launch';
  v: number;
}

/** The primary holds the launch and waits for the commit; nothing is delivered yet. */
export interface AckMessage {
  t: 'ack';
  v: number;
}

/** The second instance still waits: deliver the launch. */
export interface CommitMessage {
  t: 'commit';
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
export type Message = HelloMessage | WelcomeMessage | AuthMessage | LaunchMessage | AckMessage | CommitMessage | ReplyMessage | ErrorMessage;

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

/**
 * Splits a byte stream into frames and parses each, refusing frames over a cap. Linear in the
 * bytes received however they are chunked: a frame's body is allocated once its header has
 * arrived, and each chunk is copied into it once.
 */
export class FrameReader {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFilled = 0;
  private body: Buffer | undefined;
  private bodyFilled = 0;

  /** @param limit - largest frame body accepted; may be raised later (see {@link FrameReader.limit}) */
  constructor(public limit: number) {}

  /**
   * Adds received bytes and returns the messages completed by them, in order.
   * @param chunk - bytes just received
   * @throws MessageTooLargeError as soon as a frame header announces more than the limit
   * @throws ProtocolError when a frame is not a valid message
   */
  push(chunk: Buffer): Message[] {
    const messages: Message[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.body) {
        const taken = chunk.copy(this.header, this.headerFilled, offset, offset + HEADER_BYTES - this.headerFilled);
        this.headerFilled += taken;
        offset += taken;
        if (this.headerFilled < HEADER_BYTES) {
          break;
        }
        const size = this.header.readUInt32BE(0);
        if (size > this.limit) {
          throw MessageTooLargeError.of(size, this.limit);
        }
        this.body = Buffer.allocUnsafe(size);
        this.bodyFilled = 0;
      }
      const taken = chunk.copy(this.body, this.bodyFilled, offset, offset + this.body.length - this.bodyFilled);
      this.bodyFilled += taken;
      offset += taken;
      if (this.bodyFilled === this.body.length) {
        messages.push(parseMessage(this.body));
        this.body = undefined;
        this.headerFilled = 0;
        this.bodyFilled = 0;
      }
    }
    return messages;
  }

  /** Bytes received that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.headerFilled + this.bodyFilled;
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
  auth: (m) => typeof m.mac === 'string',
  launch: (m) =>
    Array.isArray(m.argv) &&
    m.argv.every((arg) => typeof arg === 'string') &&
    (typeof m.cwd === 'string' || m.cwd === null) &&
    'data' in m &&
    isPid(m.pid) &&
    isRecord(m.env) &&
    Object.values(m.env).every((value) => typeof value === 'string') &&
    (m.request === null || m.request === 'quit'),
  ack: () => true,
  commit: () => true,
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
 * The second instance's proof (its `auth`): HMAC-SHA256 of the primary's nonce, bound to its own.
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
