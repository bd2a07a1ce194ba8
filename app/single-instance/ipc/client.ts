/**
 * The second instance's end of the hand-off: connects to the endpoint, checks the primary's
 * proof before sending anything of the launch, sends the launch with its own proof, and waits
 * for the acknowledgment and then the handler's reply.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  EndpointError,
  EndpointNotOursError,
  MessageTooLargeError,
  PrimaryNotRespondingError,
  ProtocolError,
  errnoCode,
  errorFromWire,
} from '../errors.js';
import type { JsonValue } from '../json.js';
import type { Launch } from '../launch.js';
import {
  FrameReader,
  HEADER_BYTES,
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
  /** Reads the current secret (after checking where it lives); `undefined` when there is none. */
  loadSecret(): Buffer | undefined;
  /** The launch to hand over. */
  launch: Launch;
  /** Our cap on frames, in bytes. */
  maxMessageBytes: number;
  /** `performance.now()` by which the primary must have acknowledged. */
  deadline: number;
  /** The whole claim timeout, for the error message. */
  timeoutMs: number;
  /** How long to wait for the handler's reply after the acknowledgment. */
  replyTimeoutMs: number;
  /** Called with the verified primary's pid just before the launch is sent. */
  beforeLaunch(primaryPid: number): void;
}

/** How a hand-off attempt ended (errors are thrown). */
export type HandOffOutcome =
  | { kind: 'absent'; reason: string }
  | { kind: 'shutdown' }
  | { kind: 'delivered'; primaryPid: number; reply: JsonValue };

/**
 * Tries once to hand the launch to a primary. Resolves `absent` when nobody (or nobody ready)
 * listens, `shutdown` when the primary was closing before it took the launch, `delivered`
 * with the reply otherwise.
 * @param request - the endpoint, secret reader, launch and deadlines
 * @throws PrimaryNotRespondingError when the deadline passes mid-way
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
    this.arm(this.request.deadline - performance.now(), this.request.timeoutMs, 'no answer to the hand-off');
    this.socket.once('connect', () => this.socket.write(encodeFrame({ t: 'hello', v: PROTOCOL_VERSION, nonce: this.nonce })));
    this.socket.on('error', (error) => this.failed(error));
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
      if (message.code === 'ESHUTDOWN') {
        this.settle(() => this.resolve({ kind: 'shutdown' }));
      } else {
        this.fail(errorFromWire(message.code, message.message));
      }
    } else if (this.stage === 'welcome' && message.t === 'welcome') {
      this.sendLaunch(message);
      this.stage = 'ack';
    } else if (this.stage === 'ack' && message.t === 'ack') {
      this.stage = 'reply';
      this.arm(this.request.replyTimeoutMs, this.request.replyTimeoutMs, 'no reply from its handler');
    } else if (this.stage === 'reply' && message.t === 'reply') {
      const primaryPid = this.primaryPid;
      this.settle(() => this.resolve({ kind: 'delivered', primaryPid, reply: message.value }));
    } else {
      throw new ProtocolError(`unexpected "${message.t}" message from the running instance`);
    }
  }

  /** Checks the primary's proof, then sends the launch with ours; nothing of the launch leaves before. */
  private sendLaunch(welcome: WelcomeMessage): void {
    const secret = this.request.loadSecret();
    if (!secret) {
      throw EndpointNotOursError.listener('no secret exists for it');
    }
    if (!proofMatches(primaryProof(secret, this.nonce), welcome.mac)) {
      throw EndpointNotOursError.listener('its proof is wrong');
    }
    const mac = secondaryProof(secret, welcome.nonce, this.nonce);
    const frame = encodeFrame({ t: 'launch', v: PROTOCOL_VERSION, mac, ...this.request.launch });
    const limit = Math.min(welcome.max, this.request.maxMessageBytes);
    if (frame.length - HEADER_BYTES > limit) {
      throw MessageTooLargeError.of(frame.length - HEADER_BYTES, limit);
    }
    this.primaryPid = welcome.pid;
    this.request.beforeLaunch(welcome.pid);
    this.socket.write(frame);
  }

  private failed(error: Error): void {
    const code = errnoCode(error) ?? String(error);
    if (this.stage === 'welcome' && !ABSENT_CODES.has(code)) {
      this.fail(new EndpointError(`cannot connect to ${this.request.endpoint}: ${String(error)}`, { cause: error }));
    } else {
      this.lost(code);
    }
  }

  private lost(reason: string): void {
    if (this.stage === 'welcome') {
      this.settle(() => this.resolve({ kind: 'absent', reason }));
    } else {
      const step = this.stage === 'ack' ? 'took' : 'answered';
      this.fail(new ProtocolError(`the running instance closed the connection (${reason}) before it ${step} the launch`));
    }
  }

  /** (Re)arms the deadline: past it, the attempt fails as not responding. */
  private arm(ms: number, waitedMs: number, what: string): void {
    clearTimeout(this.timer);
    if (Number.isFinite(ms)) {
      this.timer = setTimeout(() => this.fail(PrimaryNotRespondingError.after(waitedMs, what)), Math.max(0, ms));
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
