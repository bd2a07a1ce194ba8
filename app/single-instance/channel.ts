/**
 * The named-IPC hand-off over Node's `net`: a Unix domain socket on Linux/macOS, a named pipe
 * on Windows. `listen` is the primary's side, `handOff` the second instance's.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  EndpointError,
  EndpointNotOursError,
  MessageTooLargeError,
  PrimaryNotRespondingError,
  ProtocolError,
  SingleInstanceError,
  errnoCode,
  remoteError,
} from './errors.js';
import type { JsonValue } from './json.js';
import type { Logger } from './logger.js';
import {
  FrameReader,
  HEADER_BYTES,
  type LaunchBody,
  type LaunchMessage,
  type Message,
  PROTOCOL_VERSION,
  encodeFrame,
  newNonce,
  primaryProof,
  proofMatches,
  secondaryProof,
} from './protocol.js';

/** What the primary's server needs. */
export interface ServerOptions {
  /** Socket path or pipe name. */
  endpoint: string;
  /** The secret behind the proof. */
  secret: Buffer;
  /** Largest frame accepted, in bytes. */
  maxMessageBytes: number;
  /** A connection that has not delivered its launch by then is closed. */
  connectionTimeoutMs: number;
  /** Connections beyond this many at once are closed on arrival. */
  maxConnections: number;
  logger: Logger;
  /** Takes a verified launch; resolves the reply or rejects with the error to send back. */
  onLaunch(launch: LaunchBody): Promise<JsonValue>;
}

/** The primary's listening endpoint. */
export interface ChannelServer {
  /**
   * Stops listening and closes every connection: at once where no launch was taken, after
   * the reply (or refusal) where one was.
   */
  close(): Promise<void>;
}

/**
 * Listens on the endpoint. Any malformed, truncated, oversized, slow or idle connection is
 * closed on its own; nothing a peer sends can throw out of here.
 * @param options - endpoint, secret, limits and the launch callback
 * @throws EndpointError when the endpoint cannot be listened on
 */
export function listen(options: ServerOptions): Promise<ChannelServer> {
  const sockets = new Set<net.Socket>();
  const answering = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    if (sockets.size >= options.maxConnections) {
      options.logger.warn(`refused a connection: ${sockets.size} already open`);
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      answering.delete(socket);
    });
    serveConnection(socket, options, () => answering.add(socket));
  });
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) {
        if (!answering.has(socket)) {
          socket.destroySoon();
        }
      }
    });
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      reject(new EndpointError(`cannot listen on ${options.endpoint}: ${String(error)}`, error));
    });
    server.listen(options.endpoint, () => {
      server.removeAllListeners('error');
      server.on('error', (error) => options.logger.error(`endpoint error: ${String(error)}`));
      resolve({ close });
    });
  });
}

function serveConnection(socket: net.Socket, options: ServerOptions, onAnswering: () => void): void {
  const { logger } = options;
  const reader = new FrameReader(options.maxMessageBytes);
  const nonce = newNonce();
  let peerNonce = '';
  let stage: 'hello' | 'launch' | 'closing' = 'hello';
  const send = (message: Message): void => {
    if (socket.writable) {
      socket.write(encodeFrame(message));
    }
  };
  const refuse = (error: SingleInstanceError): void => {
    logger.warn(`closed a connection: ${error.detail}`);
    send({ t: 'error', v: PROTOCOL_VERSION, code: error.code, message: error.detail });
    stage = 'closing';
    socket.end();
  };
  const deadline = setTimeout(() => {
    logger.warn(`closed a connection idle for ${options.connectionTimeoutMs} ms`);
    socket.destroy();
  }, options.connectionTimeoutMs);
  socket.once('close', () => clearTimeout(deadline));
  socket.on('error', (error) => logger.debug(`connection error: ${String(error)}`));

  const take = (message: Message): void => {
    if (stage === 'closing') {
      return;
    }
    if (stage === 'hello' && message.t === 'hello') {
      peerNonce = message.nonce;
      const mac = primaryProof(options.secret, peerNonce);
      send({ t: 'welcome', v: PROTOCOL_VERSION, pid: process.pid, nonce, mac, max: options.maxMessageBytes });
      stage = 'launch';
    } else if (stage === 'launch' && message.t === 'launch') {
      if (!proofMatches(secondaryProof(options.secret, nonce, peerNonce), message.mac)) {
        refuse(new SingleInstanceError('ENOTOURS', 'the launch carried a wrong proof'));
        return;
      }
      stage = 'closing';
      clearTimeout(deadline);
      onAnswering();
      deliver(socket, message, options, send);
    } else {
      refuse(new ProtocolError(`unexpected "${message.t}" message`));
    }
  };

  socket.on('data', (chunk: Buffer) => {
    if (stage === 'closing') {
      return;
    }
    try {
      reader.push(chunk).forEach(take);
    } catch (error) {
      refuse(error instanceof SingleInstanceError ? error : new ProtocolError(String(error)));
    }
  });
}

function deliver(
  socket: net.Socket,
  message: LaunchMessage,
  options: ServerOptions,
  send: (message: Message) => void,
): void {
  const { argv, cwd, data, pid, env } = message;
  const replied = options.onLaunch({ argv, cwd, data, pid, env });
  send({ t: 'ack', v: PROTOCOL_VERSION });
  replied.then(
    (value) => send({ t: 'reply', v: PROTOCOL_VERSION, value }),
    (error: unknown) => {
      const failure = error instanceof SingleInstanceError ? error : undefined;
      send({
        t: 'error',
        v: PROTOCOL_VERSION,
        code: failure?.code ?? 'EHANDLER',
        message: failure?.detail ?? (error instanceof Error ? error.message : String(error)),
      });
    },
  ).finally(() => {
    if (!socket.writable) {
      options.logger.warn(`second instance ${pid} left before its reply`);
    }
    socket.end();
  });
}

/** What a second instance needs to hand its launch over. */
export interface HandOffRequest {
  /** Socket path or pipe name. */
  endpoint: string;
  /** Reads the current secret (after checking where it lives); `undefined` when there is none. */
  loadSecret(): Buffer | undefined;
  /** The launch to hand over. */
  launch: LaunchBody;
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

/** Connect errors that mean "no primary is listening (yet)": worth retrying. */
const ABSENT_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAGAIN']);

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
    const socket = net.connect(request.endpoint);
    const reader = new FrameReader(request.maxMessageBytes);
    const nonce = newNonce();
    let stage: 'welcome' | 'ack' | 'reply' = 'welcome';
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (action: () => void): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        action();
      }
    };
    const fail = (error: unknown): void => settle(() => reject(error));
    const arm = (ms: number, waitedMs: number, what: string): void => {
      clearTimeout(timer);
      if (Number.isFinite(ms)) {
        timer = setTimeout(() => fail(new PrimaryNotRespondingError(waitedMs, what)), Math.max(0, ms));
      }
    };
    arm(request.deadline - performance.now(), request.timeoutMs, 'no answer to the hand-off');

    const lost = (reason: string): void => {
      if (stage === 'welcome') {
        settle(() => resolve({ kind: 'absent', reason }));
      } else {
        fail(new ProtocolError(`the running instance closed the connection (${reason}) before it ${stage === 'ack' ? 'took' : 'answered'} the launch`));
      }
    };
    socket.once('connect', () => socket.write(encodeFrame({ t: 'hello', v: PROTOCOL_VERSION, nonce })));
    socket.on('error', (error) => {
      const code = errnoCode(error) ?? String(error);
      if (stage === 'welcome' && !ABSENT_CODES.has(code)) {
        fail(new EndpointError(`cannot connect to ${request.endpoint}: ${String(error)}`, error));
      } else {
        lost(code);
      }
    });
    socket.on('close', () => lost('closed'));

    const take = (message: Message): void => {
      if (message.t === 'error') {
        if (message.code === 'ESHUTDOWN') {
          settle(() => resolve({ kind: 'shutdown' }));
        } else {
          fail(remoteError(message.code, message.message));
        }
      } else if (stage === 'welcome' && message.t === 'welcome') {
        sendLaunch(message.pid, message.nonce, message.mac, message.max);
        stage = 'ack';
      } else if (stage === 'ack' && message.t === 'ack') {
        stage = 'reply';
        arm(request.replyTimeoutMs, request.replyTimeoutMs, 'no reply from its handler');
      } else if (stage === 'reply' && message.t === 'reply') {
        settle(() => resolve({ kind: 'delivered', primaryPid: primaryPid, reply: message.value }));
      } else {
        throw new ProtocolError(`unexpected "${message.t}" message from the running instance`);
      }
    };

    let primaryPid = 0;
    const sendLaunch = (pid: number, primaryNonce: string, mac: string, primaryMax: number): void => {
      const secret = request.loadSecret();
      if (!secret) {
        throw new EndpointNotOursError('no secret exists for it');
      }
      if (!proofMatches(primaryProof(secret, nonce), mac)) {
        throw new EndpointNotOursError('its proof is wrong');
      }
      const launch: Message = {
        t: 'launch',
        v: PROTOCOL_VERSION,
        mac: secondaryProof(secret, primaryNonce, nonce),
        ...request.launch,
      };
      const frame = encodeFrame(launch);
      const limit = Math.min(primaryMax, request.maxMessageBytes);
      if (frame.length - HEADER_BYTES > limit) {
        throw new MessageTooLargeError(frame.length - HEADER_BYTES, limit);
      }
      primaryPid = pid;
      request.beforeLaunch(pid);
      socket.write(frame);
    };

    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk).forEach(take);
      } catch (error) {
        fail(error);
      }
    });
  });
}
