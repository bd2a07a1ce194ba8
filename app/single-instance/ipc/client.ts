/**
 * The second instance's end of the hand-off: connects to the endpoint, checks the primary's
 * proof before sending anything of the launch, sends its own proof with the launch, and on the
 * primary's ack commits it (the point from which it counts as delivered) and waits for the reply.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  EndpointError,
  EndpointNotOursError,
  MessageTooLargeError,
  NoReplyError,
  PrimaryNotRespondingError,
  ProtocolError,
  errnoCode,
  errorFromWire,
} from '../errors.js';
import type { JsonValue } from '../json.js';
import {
  FrameReader,
  HEADER_BYTES,
  type Handover,
  type Message,
  PROTOCOL_VERSION,
  type WelcomeMessage,
  encodeFrame,
  newNonce,
  primaryProof,
  proofMatches,
  secondaryProof,
} from './protocol.js';

/** What a second instance needs to hand its launch over. */
export interface HandOffRequest {
  /** Socket path or pipe name. */
  endpoint: string;
  /** The primary's secret, as it published it. */
  secret: Buffer;
  /** What to hand over. */
  handover: Handover;
  /** Our cap on frames, in bytes. */
  maxMessageBytes: number;
  /** `performance.now()` by which the launch must be committed; past it, it is not delivered. */
  deadline: number;
  /** The whole claim timeout, for the error message. */
  timeoutMs: number;
  /** How long to wait for the handler's reply after the commit. */
  replyTimeoutMs: number;
  /** Called with the verified primary's pid just before the launch is sent. */
  beforeLaunch(primaryPid: number): void;
}

/**
 * How a hand-off attempt ended (errors are thrown). Every outcome but `delivered` means the
 * launch was not delivered, so another attempt is safe: `absent` (nobody, or nobody ready,
 * listens; or the primary went away before the commit), `shutdown` (the primary was releasing),
 * `busy` (the primary holds as many launches as it takes).
 */
export type HandOffOutcome =
  | { kind: 'absent'; reason: string }
  | { kind: 'shutdown' }
  | { kind: 'busy'; detail: string }
  | { kind: 'delivered'; primaryPid: number; reply: JsonValue };

/**
 * Tries once to hand the launch to a primary.
 * @param request - the endpoint, secret, launch and deadlines
 * @throws PrimaryNotRespondingError when the deadline passes before the commit (not delivered)
 * @throws NoReplyError when the primary took the commit but did not reply (delivered)
 * @throws EndpointNotOursError when the listener fails the proof (nothing is sent to it)
 * @throws MessageTooLargeError when the launch exceeds the primary's or our cap
 */
export function handOff(request: HandOffRequest): Promise<HandOffOutcome> {
  return new Promise((resolve, reject) => {
    new HandOff(request, resolve, reject).start();
  });
}

/** Connect errors that mean "no primary is listening (yet)": worth retrying. */
const ABSENT_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAGAIN']);

/** One hand-off attempt: a small state machine driven by the socket's events. */
class HandOff {
  private readonly socket: net.Socket;
  private readonly reader: FrameReader;
  private readonly nonce = newNonce();
  /** `welcome`/`ack`: nothing is delivered yet; `reply`: committed, so delivered. */
  private stage: 'welcome' | 'ack' | 'reply' = 'welcome';
  private primaryPid = 0;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;

  constructor(
    private readonly request: HandOffRequest,
    private readonly resolve: (outcome: HandOffOutcome) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.socket = net.connect(request.endpoint);
    this.reader = new FrameReader(request.maxMessageBytes);
  }

  start(): void {
    this.arm(this.request.deadline - performance.now(), () => PrimaryNotRespondingError.after(this.request.timeoutMs, this.waitingFor()));
    this.socket.once('connect', () => this.socket.write(encodeFrame({ t: 'hello', v: PROTOCOL_VERSION, nonce: this.nonce })));
    this.socket.on('error', (error) => this.socketError(error));
    this.socket.on('close', () => this.lost('closed'));
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  private receive(chunk: Buffer): void {
    try {
      for (const message of this.reader.push(chunk)) {
        this.take(message);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  private take(message: Message): void {
    if (message.t === 'error') {
      this.refused(message.code, message.message);
    } else if (this.stage === 'welcome' && message.t === 'welcome') {
      this.sendLaunch(message);
      this.stage = 'ack';
    } else if (this.stage === 'ack' && message.t === 'ack') {
      this.commit();
    } else if (this.stage === 'reply' && message.t === 'reply') {
      const primaryPid = this.primaryPid;
      this.settle(() => this.resolve({ kind: 'delivered', primaryPid, reply: message.value }));
    } else {
      throw new ProtocolError(`unexpected "${message.t}" message from the running instance`);
    }
  }

  private refused(code: string, detail: string): void {
    if (code === 'ESHUTDOWN') {
      this.settle(() => this.resolve({ kind: 'shutdown' }));
    } else if (code === 'EBUSY') {
      this.settle(() => this.resolve({ kind: 'busy', detail }));
    } else {
      this.fail(errorFromWire(code, detail));
    }
  }

  /** Checks the primary's proof, then sends ours and the launch; nothing of the launch leaves before. */
  private sendLaunch(welcome: WelcomeMessage): void {
    const { secret } = this.request;
    if (!proofMatches(primaryProof(secret, this.nonce), welcome.mac)) {
      throw EndpointNotOursError.listener('its proof is wrong');
    }
    const frame = encodeFrame({ t: 'launch', v: PROTOCOL_VERSION, ...this.request.handover });
    const limit = Math.min(welcome.max, this.request.maxMessageBytes);
    if (frame.length - HEADER_BYTES > limit) {
      throw MessageTooLargeError.of(frame.length - HEADER_BYTES, limit);
    }
    this.primaryPid = welcome.pid;
    this.request.beforeLaunch(welcome.pid);
    const auth = encodeFrame({ t: 'auth', v: PROTOCOL_VERSION, mac: secondaryProof(secret, welcome.nonce, this.nonce) });
    this.socket.write(Buffer.concat([auth, frame]));
  }

  /** The primary holds the launch: confirm it. From here on the launch counts as delivered. */
  private commit(): void {
    this.stage = 'reply';
    this.socket.write(encodeFrame({ t: 'commit', v: PROTOCOL_VERSION }));
    this.arm(this.request.replyTimeoutMs, () => NoReplyError.after(this.request.replyTimeoutMs));
  }

  private waitingFor(): string {
    return this.stage === 'welcome' ? 'no answer to the hand-off' : `pid ${this.primaryPid} did not take the launch`;
  }

  /** The socket failed: before the welcome, only a missing or refusing listener is worth another attempt. */
  private socketError(error: Error): void {
    const code = errnoCode(error) ?? String(error);
    if (this.stage === 'welcome' && !ABSENT_CODES.has(code)) {
      this.fail(new EndpointError(`cannot connect to ${this.request.endpoint}: ${String(error)}`, { cause: error }));
    } else {
      this.lost(code);
    }
  }

  /** The connection ended: before the commit nothing was delivered (retry); after it, the launch is orphaned. */
  private lost(reason: string): void {
    if (this.stage === 'reply') {
      this.fail(NoReplyError.orphaned(this.primaryPid));
    } else {
      this.settle(() => this.resolve({ kind: 'absent', reason }));
    }
  }

  /** (Re)arms the deadline: past it, the attempt fails with `error()`. */
  private arm(ms: number, error: () => Error): void {
    clearTimeout(this.timer);
    if (Number.isFinite(ms)) {
      this.timer = setTimeout(() => this.fail(error()), Math.max(0, ms));
    }
  }

  private fail(error: unknown): void {
    this.settle(() => this.reject(error));
  }

  private settle(action: () => void): void {
    if (!this.settled) {
      this.settled = true;
      clearTimeout(this.timer);
      this.socket.destroy();
      action();
    }
  }
}
