/**
 * The wire protocol between a second instance and the primary: length-prefixed JSON frames
 * (4-byte big-endian length, then UTF-8 JSON) and a version on every message.
 *
 * Who may talk to whom is settled before anything of the launch is sent, in one of two ways the
 * platform chooses (see `Platform.proof`):
 * - **token** (Linux, macOS): the endpoint is a socket in a private (`0700`) directory, which the
 *   second instance checks is its user's before it connects: only its user can listen there, and
 *   only its user can connect. It opens with the record's secret itself, which the primary compares.
 * - **challenge** (Windows): another user may open a named pipe, so each side proves it knows the
 *   secret with an HMAC over the other's nonce, and the secret never goes on the wire.
 *
 * ```
 * second instance                               primary
 * token:      auth {token}, launch {…}      →   frames ≤ 1 KiB until auth checks out
 * challenge:  hello {nonce}                 →
 *                                           ←   welcome {pid, nonce', mac, max}
 *             (checks mac; nothing of the launch leaves before)
 *             auth {mac}, launch {…}        →
 *                                           ←   queued                 waits for its handler
 *                                           ←   taken                  the handler has it: delivered
 *                                           ←   reply {value}  or  error {code, message}
 * ```
 *
 * `taken` makes delivery exactly-once and every exit code truthful: the primary hands a launch to
 * its handler only once `taken` has been written to a connection that is still open, and a second
 * instance counts its launch as delivered only once it has read `taken`. One that gave up (its
 * deadline passed) has closed its connection, so its launch is never taken and it may launch
 * again; one whose primary died before `taken` knows nothing was delivered.
 */
import { MessageTooLargeError, ProtocolError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { Launch } from '../launch.js';
import type { LaunchRequest } from '../quit-request.js';

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 4;
/** Default cap on one frame's JSON, in bytes (1 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Cap on frames before the second instance has proven itself: a hello or an auth is far smaller. */
export const HANDSHAKE_MAX_BYTES = 1024;
/** Size of the length prefix before each frame's JSON. */
export const HEADER_BYTES = 4;
/** Largest frame body the length prefix can announce. */
export const MAX_FRAME_BYTES = 2 ** (8 * HEADER_BYTES) - 1;

/** How the two ends prove they are the same user's app. */
export type Proof = 'token' | 'challenge';

/** A second instance opens with this (challenge only). */
export interface HelloMessage {
  t: 'hello';
  v: number;
  /** Random challenge the primary must answer with its proof. */
  nonce: string;
}

/** The primary's answer to `hello` (challenge only). */
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

/** The second instance's proof: the secret itself (token) or an HMAC over both nonces (challenge). */
export interface AuthMessage {
  t: 'auth';
  v: number;
  token?: string;
  mac?: string;
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

/** The launch waits for its handler (the app has no window yet); it is not delivered. */
export interface QueuedMessage {
  t: 'queued';
  v: number;
}

/** The handler has the launch: it is delivered, exactly once. */
export interface TakenMessage {
  t: 'taken';
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
export type Message = HelloMessage | WelcomeMessage | AuthMessage | LaunchMessage | QueuedMessage | TakenMessage | ReplyMessage | ErrorMessage;

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
 * arrived, and each chunk is copied into it once. Each message is handed over as soon as it is
 * whole, so that what it changes (the cap, once a proof checks out) applies to the next frame.
 */
export class FrameReader {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFilled = 0;
  private body: Buffer | undefined;
  private bodyFilled = 0;

  /** @param limit - largest frame body accepted; may be raised later (see {@link FrameReader.limit}) */
  constructor(public limit: number) {}

  /**
   * Adds received bytes and hands each message they complete to `take`, in order.
   * @param chunk - bytes just received
   * @param take - receives each message
   * @throws MessageTooLargeError as soon as a frame header announces more than the limit
   * @throws ProtocolError when a frame is not a valid message
   */
  push(chunk: Buffer, take: (message: Message) => void): void {
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
        const body = this.body;
        this.body = undefined;
        this.headerFilled = 0;
        this.bodyFilled = 0;
        take(parseMessage(body));
      }
    }
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
  auth: (m) => typeof m.token === 'string' || typeof m.mac === 'string',
  launch: (m) =>
    Array.isArray(m.argv) &&
    m.argv.every((arg) => typeof arg === 'string') &&
    (typeof m.cwd === 'string' || m.cwd === null) &&
    'data' in m &&
    isPid(m.pid) &&
    isRecord(m.env) &&
    Object.values(m.env).every((value) => typeof value === 'string') &&
    (m.request === null || m.request === 'quit'),
  queued: () => true,
  taken: () => true,
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

/**
 * Compares two strings in time that depends on their length only (a proof from the wire with
 * the expected one).
 * @param expected - the value computed or kept locally
 * @param received - the value from the wire
 */
export function sameSecret(expected: string, received: string): boolean {
  let difference = expected.length ^ received.length;
  for (let index = 0; index < expected.length; index += 1) {
    difference |= expected.charCodeAt(index) ^ received.charCodeAt(index % Math.max(received.length, 1));
  }
  return difference === 0;
}
