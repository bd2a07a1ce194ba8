/**
 * The primary's end of the hand-off: listens on the endpoint (a Unix domain socket on
 * Linux/macOS, a named pipe on Windows), checks each second instance's proof (and, with a
 * challenge, proves itself first), and hands its launch to the handler only once it has told the
 * second instance so (`taken`) on a connection still open. Nothing a peer sends can
 * throw out of here, and what a peer that has not proven itself can cost is bounded: frames of
 * at most {@link HANDSHAKE_MAX_BYTES}, {@link ServerOptions.handshakeTimeoutMs} to prove itself,
 * and at most {@link ServerOptions.maxConnections} such peers, the oldest closed when a new one
 * comes. Proven launches waiting for the handler are bounded on their own
 * ({@link ServerOptions.maxPendingLaunches}).
 *
 * A second instance that gives up on its launch half-closes the connection, and its end of file
 * ends the connection: read before the launch is taken, it withdraws the launch (dropped at once,
 * never handed to the handler); read after, the launch stays delivered, without its reply (the
 * second instance reads `taken`, then the end: exit 4). A reply is written, then the connection
 * closed at once, waiting for nothing from the second instance (which may be stopped, or gone).
 */
import { net, now } from '../builtins.js';
import type { Server, Socket } from 'node:net';
import { BusyError, EndpointError, EndpointNotOursError, HandlerError, ProtocolError, SingleInstanceError, describeOsError, describeThrown } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { Logger } from '../logger.js';
import type { Refusal, Trace } from '../trace.js';
import { newNonce, primaryProof, secondaryProof } from './challenge.js';
import {
  type AuthMessage,
  FrameReader,
  HANDSHAKE_MAX_BYTES,
  type Handover,
  type LaunchMessage,
  type Message,
  PROTOCOL_VERSION,
  type Proof,
  encodeFrame,
  sameSecret,
} from './protocol.js';

/** What the primary's server needs. */
export interface ServerOptions {
  /** Socket path or pipe name. */
  endpoint: string;
  /** The secret behind the proof. */
  secret: Buffer;
  /** Largest frame accepted from a proven second instance, in bytes. */
  maxMessageBytes: number;
  /** A connection must have proven itself (hello, auth) within this many ms. */
  handshakeTimeoutMs: number;
  /** A proven connection must have sent its launch within this many ms. */
  connectionTimeoutMs: number;
  /** Connections that have not proven themselves, at most; at the cap the oldest is closed. */
  maxConnections: number;
  /** Proven launches waiting for their reply, at most; beyond, a launch is refused as busy. */
  maxPendingLaunches: number;
  /** Where connection-level events are logged. */
  logger: Logger;
  /** Where they are published. */
  trace: Trace;
  /** How second instances prove themselves (and, with a challenge, the primary too). */
  proof: Proof;
  /**
   * Takes a proven launch; resolves the reply or rejects with the error to send back. It calls
   * `take` right before its handler gets the launch, and hands it over only if `take` resolves
   * true: the second instance was told, on a connection still open. `withdrawn` aborts when the
   * second instance gives up (or goes) before that: the launch is dropped at once.
   */
  onLaunch(handover: Handover, take: () => Promise<boolean>, withdrawn: AbortSignal): Promise<JsonValue>;
}

/** The primary's listening endpoint. */
export interface LaunchServer {
  /**
   * Listens on a new endpoint instead (the old one was deleted); connections already open go on.
   * @param endpoint - the new socket path or pipe name
   * @throws EndpointError when it cannot be listened on (the old listener is kept)
   */
  relocate(endpoint: string): Promise<void>;
  /**
   * Stops listening and closes every connection: at once where no launch was taken, after the
   * reply (or refusal) where one was.
   */
  close(): Promise<void>;
}

/**
 * The connections of one server, by what they have proven. Connections that have not proven
 * themselves share one deadline timer: they arrive in deadline order, so the timer only ever
 * waits for the oldest, and there is none while there are none.
 */
class Connections {
  /** Not proven yet, oldest first (a Map iterates in insertion order), with the time each must prove itself by. */
  private readonly unproven = new Map<Connection, number>();
  /** Proven, with a launch on its way, held, or waiting for its reply. */
  readonly proven = new Set<Connection>();
  private sweep: NodeJS.Timeout | undefined;

  constructor(private readonly options: ServerOptions) {}

  /** Every connection, proven or not. */
  all(): Connection[] {
    return [...this.unproven.keys(), ...this.proven];
  }

  /** Takes a new connection; at the cap, the oldest unproven one is closed to make room. */
  admit(connection: Connection): void {
    if (this.unproven.size >= this.options.maxConnections) {
      const [oldest] = this.unproven.keys();
      this.options.logger.warn(`closed the oldest of ${this.unproven.size} connections that have not proven themselves`);
      oldest?.destroy('evicted');
    }
    this.unproven.set(connection, now() + this.options.handshakeTimeoutMs);
    this.arm();
  }

  /** The connection proved itself. */
  prove(connection: Connection): void {
    this.unproven.delete(connection);
    this.proven.add(connection);
    this.disarmIfIdle();
  }

  /** The connection is gone. */
  forget(connection: Connection): void {
    this.unproven.delete(connection);
    this.proven.delete(connection);
    this.disarmIfIdle();
  }

  private arm(): void {
    const [first] = this.unproven.values();
    if (this.sweep === undefined && first !== undefined) {
      this.sweep = setTimeout(() => this.expire(), Math.max(0, first - now()));
    }
  }

  private disarmIfIdle(): void {
    if (this.unproven.size === 0) {
      clearTimeout(this.sweep);
      this.sweep = undefined;
    }
  }

  /** Closes the connections whose time to prove themselves is up, oldest first. */
  private expire(): void {
    this.sweep = undefined;
    const time = now();
    for (const [connection, deadline] of this.unproven) {
      if (deadline > time) {
        break;
      }
      this.options.logger.warn(`closed a connection that took more than ${this.options.handshakeTimeoutMs} ms to prove itself`);
      connection.destroy('handshake-timeout');
    }
    this.arm();
  }
}

/**
 * Listens on the endpoint.
 * @param options - endpoint, secret, limits and the launch callback
 * @throws EndpointError when the endpoint cannot be listened on
 */
export async function listen(options: ServerOptions): Promise<LaunchServer> {
  const connections = new Connections(options);
  const accept = (socket: Socket): void => {
    new Connection(socket, options, connections).start();
  };
  let server = await listenOn(options.endpoint, accept, options.logger);
  return {
    async relocate(endpoint) {
      const next = await listenOn(endpoint, accept, options.logger);
      server.close();
      server = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const connection of connections.all()) {
          connection.closeUnlessAnswering();
        }
      }),
  };
}

function listenOn(endpoint: string, accept: (socket: Socket) => void, logger: Logger): Promise<Server> {
  const server = net.createServer(accept);
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      reject(new EndpointError(`cannot listen on ${endpoint}: ${describeOsError(error)}`, { cause: error }));
    });
    server.listen(endpoint, () => {
      server.removeAllListeners('error');
      server.on('error', (error) => logger.error(`endpoint error: ${String(error)}`));
      resolve(server);
    });
  });
}

/** The refusals a second instance is told of, by the code it is told. */
const REFUSALS: Partial<Record<string, Refusal>> = { ENOTOURS: 'wrong-proof', ETOOLARGE: 'too-large', EBUSY: 'busy' };

/** One second instance's connection, from its first frame to the reply. */
class Connection {
  private readonly reader = new FrameReader(HANDSHAKE_MAX_BYTES);
  private nonce = '';
  private peerNonce = '';
  private handover: Handover | undefined;
  private stage: 'hello' | 'auth' | 'launch' | 'waiting' | 'answering' | 'closing';
  private deadline: NodeJS.Timeout | undefined;
  /** Aborted when the second instance withdraws its launch (or goes) before it is taken. */
  private readonly withdrawal = new AbortController();

  constructor(
    private readonly socket: Socket,
    private readonly options: ServerOptions,
    private readonly connections: Connections,
  ) {
    this.stage = options.proof === 'challenge' ? 'hello' : 'auth';
  }

  start(): void {
    this.connections.admit(this);
    this.socket.once('close', () => this.closed());
    this.socket.once('end', () => this.ended());
    this.socket.on('error', (error) => this.options.logger.debug(`connection error: ${String(error)}`));
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  /**
   * Closes the connection at once (it stops counting against the cap now, not when the close completes).
   * @param reason - why, as traced
   */
  destroy(reason: Refusal): void {
    this.options.trace({ event: 'refused', reason });
    this.connections.forget(this);
    this.socket.destroy();
  }

  /** Closes the connection unless its launch was taken and its reply is still to be sent. */
  closeUnlessAnswering(): void {
    if (this.stage !== 'answering') {
      this.socket.destroySoon();
    }
  }

  private closed(): void {
    clearTimeout(this.deadline);
    this.connections.forget(this);
    this.withdraw();
  }

  /**
   * The second instance will send nothing more: it withdrew its launch if it was not taken yet,
   * and a connection that has not sent one has nothing left to do.
   */
  private ended(): void {
    if (this.stage !== 'answering') {
      this.withdraw();
      this.stage = 'closing';
      this.socket.destroySoon();
    }
  }

  /** Drops a launch that waits to be taken: its sender gave up (or went), so it is never delivered. */
  private withdraw(): void {
    if (this.stage === 'waiting' && this.handover) {
      this.options.logger.info(`second instance ${this.handover.pid} gave up before its launch was taken: not delivered`);
      this.stage = 'closing';
      this.withdrawal.abort();
    }
  }

  private arm(ms: number, what: string): void {
    clearTimeout(this.deadline);
    this.deadline = setTimeout(() => {
      this.options.logger.warn(`closed a connection that took more than ${ms} ms ${what}`);
      this.destroy('idle');
    }, ms);
  }

  private receive(chunk: Buffer): void {
    if (this.stage === 'waiting' || this.stage === 'answering' || this.stage === 'closing') {
      return;
    }
    try {
      this.reader.push(chunk, (message) => this.take(message));
    } catch (error) {
      this.refuse(error instanceof SingleInstanceError ? error : new ProtocolError(String(error)));
    }
  }

  private take(message: Message): void {
    if (this.stage === 'hello' && message.t === 'hello') {
      this.welcome(message.nonce);
    } else if (this.stage === 'auth' && message.t === 'auth') {
      this.prove(message);
    } else if (this.stage === 'launch' && message.t === 'launch') {
      this.hold(message);
    } else if (this.stage !== 'closing') {
      throw new ProtocolError(`unexpected "${message.t}" message`);
    }
  }

  /** Challenge: proves the primary knows the secret, and asks the second instance to prove it too. */
  private welcome(peerNonce: string): void {
    this.nonce = newNonce();
    this.peerNonce = peerNonce;
    const mac = primaryProof(this.options.secret, peerNonce);
    this.send({ t: 'welcome', v: PROTOCOL_VERSION, pid: process.pid, nonce: this.nonce, mac, max: this.options.maxMessageBytes });
    this.stage = 'auth';
    this.options.logger.debug('welcomed a connection');
    this.options.trace({ event: 'welcomed' });
  }

  /** Checks the second instance's proof; from now on it may send frames up to the cap. */
  private prove(auth: AuthMessage): void {
    const expected = this.options.proof === 'challenge' ? secondaryProof(this.options.secret, this.nonce, this.peerNonce) : this.options.secret.toString('base64');
    const received = (this.options.proof === 'challenge' ? auth.mac : auth.token) ?? '';
    if (!sameSecret(expected, received)) {
      throw new EndpointNotOursError('the launch carried a wrong proof');
    }
    this.connections.prove(this);
    this.reader.limit = this.options.maxMessageBytes;
    this.stage = 'launch';
    this.arm(this.options.connectionTimeoutMs, 'to send its launch');
  }

  /**
   * Hands the launch to the primary, which calls `take` when its handler is ready; tells the
   * second instance it is queued when the handler is not there yet.
   */
  private hold(message: LaunchMessage): void {
    if (this.connections.proven.size > this.options.maxPendingLaunches) {
      throw BusyError.waiting(this.connections.proven.size - 1);
    }
    clearTimeout(this.deadline);
    const { argv, cwd, data, pid, env, request } = message;
    const handover = { argv, cwd, data, pid, env, request };
    this.handover = handover;
    this.stage = 'waiting';
    this.options
      .onLaunch(handover, () => this.taken(), this.withdrawal.signal)
      .then(
        (value) => this.send({ t: 'reply', v: PROTOCOL_VERSION, value }),
        (error: unknown) => this.sendError(error instanceof SingleInstanceError ? error : HandlerError.failed(error)),
      )
      .finally(() => this.finish(handover))
      .catch((error: unknown) => this.options.logger.error(`a launch's connection failed: ${describeThrown(error)}`));
    if (this.stage === 'waiting') {
      this.send({ t: 'queued', v: PROTOCOL_VERSION });
    }
  }

  /**
   * Tells the second instance its launch is taken; resolves whether it was told on an open
   * connection (only then may the handler have it).
   */
  private taken(): Promise<boolean> {
    if (this.stage !== 'waiting' || !this.socket.writable) {
      return Promise.resolve(false);
    }
    this.stage = 'answering';
    return new Promise((resolve) => {
      this.socket.write(encodeFrame({ t: 'taken', v: PROTOCOL_VERSION }), (error) => resolve(!error));
      // Written to the kernel at once (a peer that had closed makes the write fail right here,
      // and the socket no longer writable): the handler need not wait for the write's callback.
      if (this.socket.writable && !this.socket.errored && this.socket.writableLength === 0) {
        resolve(true);
      }
    });
  }

  private finish(handover: Handover): void {
    if (this.stage === 'answering' && !this.socket.writable) {
      this.options.logger.warn(`second instance ${handover.pid} left before its reply`);
    }
    this.stage = 'closing';
    this.socket.destroySoon();
  }

  private refuse(error: SingleInstanceError): void {
    this.options.logger.warn(`closed a connection: ${error.detail}`);
    this.options.trace({ event: 'refused', reason: REFUSALS[error.code] ?? 'protocol' });
    this.sendError(error);
    this.stage = 'closing';
    // Written, then closed: nothing more of what an unproven peer sends is read.
    this.socket.destroySoon();
  }

  private sendError(error: SingleInstanceError): void {
    this.send({ t: 'error', v: PROTOCOL_VERSION, code: error.code, message: error.detail });
  }

  private send(message: Message): void {
    if (this.socket.writable) {
      this.socket.write(encodeFrame(message));
    }
  }
}
