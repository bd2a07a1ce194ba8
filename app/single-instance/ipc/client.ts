/**
 * The second instance's end of the hand-off: connects to the endpoint, proves it knows the secret
 * (and, where others could listen, has the primary prove it first: nothing of the launch leaves
 * before), sends the launch, and counts it as delivered only once the primary says its handler
 * has it (`taken`); then it waits for the reply.
 *
 * Giving up on a launch that was sent is itself a message: the second instance half-closes the
 * connection (its end of file tells the primary to drop the launch) and keeps reading until the
 * primary answers it. A `taken` written before the primary read that end of file still counts
 * (delivered; the connection then ends without a reply); the primary's end of file alone means
 * it dropped the launch (not delivered). Only a primary that does neither within
 * {@link WITHDRAW_GRACE_MS} (stopped, hung) leaves the outcome to the moment the connection is closed.
 */
import { net, now } from '../builtins.js';
import type { Socket } from 'node:net';
import {
  EndpointError,
  EndpointNotOursError,
  MessageTooLargeError,
  NoReplyError,
  PrimaryNotRespondingError,
  ProtocolError,
  describeOsError,
  errnoCode,
  errorFromWire,
} from '../errors.js';
import type { JsonValue } from '../json.js';
import { newNonce, primaryProof, secondaryProof } from './challenge.js';
import {
  FrameReader,
  HEADER_BYTES,
  HANDSHAKE_MAX_BYTES,
  type Handover,
  type Message,
  PROTOCOL_VERSION,
  type Proof,
  type WelcomeMessage,
  encodeFrame,
  sameSecret,
} from './protocol.js';

/** What a second instance needs to hand its launch over. */
export interface HandOffRequest {
  /** Socket path or pipe name. */
  endpoint: string;
  /** How the two ends prove themselves. */
  proof: Proof;
  /** The primary's secret, as it published it. */
  secret: Buffer;
  /** The primary's pid, as it published it (a challenge's welcome says it again). */
  primaryPid: number;
  /** What to hand over. */
  handover: Handover;
  /** Our cap on frames, in bytes. */
  maxMessageBytes: number;
  /** `now()` by which the primary must have answered the launch; past it, nothing was delivered. */
  deadline: number;
  /** The whole claim timeout, for the error message. */
  timeoutMs: number;
  /** How long to wait for the handler once the launch waits for it, and then for its reply. */
  replyTimeoutMs: number;
  /** Called with the primary's pid just before the launch is sent. */
  beforeLaunch(primaryPid: number): void;
}

/**
 * How a hand-off attempt ended (errors are thrown). Every outcome but `delivered` means the
 * launch was not delivered, so another attempt is safe: `absent` (nobody, or nobody ready,
 * listens; or the primary went away before its handler took the launch), `shutdown` (the primary
 * was releasing), `busy` (the primary holds as many launches as it takes).
 */
export type HandOffOutcome =
  | { kind: 'absent'; reason: string }
  | { kind: 'shutdown' }
  | { kind: 'busy'; detail: string }
  | { kind: 'delivered'; primaryPid: number; reply: JsonValue };

/**
 * Tries once to hand the launch to a primary.
 * @param request - the endpoint, secret, launch and deadlines
 * @throws PrimaryNotRespondingError when the deadline passes before the handler takes the launch (not delivered)
 * @throws NoReplyError when the handler took the launch but no reply came (delivered)
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

/** How long a second instance that gave up on its launch waits for the primary to confirm it dropped it. */
export const WITHDRAW_GRACE_MS = 500;

/**
 * Where a hand-off stands: before `taken` nothing is delivered; from `taken` on, it is.
 * `withdrawing`: the launch was sent, the deadline passed, and the primary was told to drop it.
 */
type Stage = 'welcome' | 'sent' | 'queued' | 'withdrawing' | 'taken';

/** One hand-off attempt: a small state machine driven by the socket's events. */
class HandOff {
  private readonly socket: Socket;
  private readonly reader: FrameReader;
  private readonly nonce: string;
  private stage: Stage;
  /** Why the launch was not delivered, once its deadline passed and it is being withdrawn. */
  private giveUp: Error | undefined;
  private primaryPid: number;
  private connected = false;
  private timer: NodeJS.Timeout | undefined;
  private deadlines = 0;
  private settled = false;

  constructor(
    private readonly request: HandOffRequest,
    private readonly resolve: (outcome: HandOffOutcome) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.socket = net.connect(request.endpoint);
    this.reader = new FrameReader(Math.max(request.maxMessageBytes, HANDSHAKE_MAX_BYTES));
    this.primaryPid = request.primaryPid;
    this.stage = request.proof === 'challenge' ? 'welcome' : 'sent';
    this.nonce = request.proof === 'challenge' ? newNonce() : '';
  }

  start(): void {
    this.arm(this.request.deadline - now(), () => PrimaryNotRespondingError.after(this.request.timeoutMs, this.waitingFor()));
    this.socket.once('connect', () => {
      this.connected = true;
    });
    this.socket.on('error', (error) => this.socketError(error));
    this.socket.on('close', () => this.lost('closed'));
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // Queued until the connection is made, and sent as soon as it is: with a token, the proof and
    // the launch at once (the endpoint's folder was found to be the user's alone); with a challenge, the hello.
    if (this.request.proof === 'challenge') {
      this.socket.write(encodeFrame({ t: 'hello', v: PROTOCOL_VERSION, nonce: this.nonce }));
    } else {
      this.sendLaunch({ t: 'auth', v: PROTOCOL_VERSION, token: this.request.secret.toString('base64') }, this.request.maxMessageBytes);
    }
  }

  private receive(chunk: Buffer): void {
    try {
      this.reader.push(chunk, (message) => this.take(message));
    } catch (error) {
      this.fail(error);
    }
  }

  private take(message: Message): void {
    if (this.settled) {
      return;
    }
    if (message.t === 'error') {
      this.refused(message.code, message.message);
    } else if (this.stage === 'welcome' && message.t === 'welcome') {
      this.welcomed(message);
    } else if (this.stage === 'sent' && message.t === 'queued') {
      this.stage = 'queued';
      this.arm(this.request.replyTimeoutMs, () => PrimaryNotRespondingError.held(this.primaryPid, this.request.replyTimeoutMs));
    } else if ((this.stage === 'sent' || this.stage === 'queued' || this.stage === 'withdrawing') && message.t === 'taken') {
      this.stage = 'taken';
      this.arm(this.request.replyTimeoutMs, () => NoReplyError.after(this.request.replyTimeoutMs));
    } else if (this.stage === 'withdrawing' && message.t === 'queued') {
      return;
    } else if (this.stage === 'taken' && message.t === 'reply') {
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
  private welcomed(welcome: WelcomeMessage): void {
    const { secret } = this.request;
    if (!sameSecret(primaryProof(secret, this.nonce), welcome.mac)) {
      throw EndpointNotOursError.listener('its proof is wrong');
    }
    this.primaryPid = welcome.pid;
    this.stage = 'sent';
    this.sendLaunch({ t: 'auth', v: PROTOCOL_VERSION, mac: secondaryProof(secret, welcome.nonce, this.nonce) }, Math.min(welcome.max, this.request.maxMessageBytes));
  }

  /** Sends the proof and the launch in one write, once the launch is known to fit the cap. */
  private sendLaunch(auth: Message, limit: number): void {
    const frame = encodeFrame({ t: 'launch', v: PROTOCOL_VERSION, ...this.request.handover });
    if (frame.length - HEADER_BYTES > limit) {
      this.fail(MessageTooLargeError.of(frame.length - HEADER_BYTES, limit));
      return;
    }
    try {
      this.request.beforeLaunch(this.primaryPid);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.socket.write(Buffer.concat([encodeFrame(auth), frame]));
  }

  private waitingFor(): string {
    return this.stage === 'welcome' ? 'no answer to the hand-off' : `pid ${this.primaryPid} did not take the launch`;
  }

  /** The socket failed: before it connected, only a missing or refusing listener is worth another attempt. */
  private socketError(error: Error): void {
    const code = errnoCode(error) ?? String(error);
    if (!this.connected && !ABSENT_CODES.has(code)) {
      this.fail(new EndpointError(`cannot connect to ${this.request.endpoint}: ${describeOsError(error)}`, { cause: error }));
    } else {
      this.lost(code);
    }
  }

  /**
   * The connection ended: before `taken` nothing was delivered (retry); after it, the launch is
   * orphaned; while withdrawing, the primary dropped the launch (not delivered, past the deadline).
   */
  private lost(reason: string): void {
    if (this.settled) {
      return;
    }
    if (this.stage === 'taken') {
      this.fail(NoReplyError.orphaned(this.primaryPid));
    } else if (this.giveUp) {
      this.fail(this.giveUp);
    } else {
      this.settle(() => this.resolve({ kind: 'absent', reason }));
    }
  }

  /**
   * (Re)arms the deadline: past it, the attempt fails with `error()`, once what has already
   * arrived is read (a `taken` sitting in the socket decides). A launch that was sent and not
   * taken is withdrawn first.
   */
  private arm(ms: number, error: () => Error): void {
    clearTimeout(this.timer);
    const deadline = (this.deadlines += 1);
    if (Number.isFinite(ms)) {
      this.timer = setTimeout(() => {
        setImmediate(() => {
          if (deadline === this.deadlines) {
            this.expired(error());
          }
        });
      }, Math.max(0, ms));
    }
  }

  /** The deadline passed: a launch sent and not taken is withdrawn; anything else fails now. */
  private expired(error: Error): void {
    if (this.stage !== 'sent' && this.stage !== 'queued') {
      this.fail(error);
      return;
    }
    this.stage = 'withdrawing';
    this.giveUp = error;
    this.socket.end();
    this.arm(WITHDRAW_GRACE_MS, () => error);
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
