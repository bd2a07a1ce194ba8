/**
 * The primary's end of the hand-off: listens on the endpoint (a Unix domain socket on
 * Linux/macOS, a named pipe on Windows), proves itself to each second instance, checks its
 * proof, and passes the verified launch on. Nothing a peer sends can throw out of here: a
 * malformed, truncated, oversized, slow or idle connection is closed on its own.
 */
import * as net from 'node:net';
import { EndpointError, EndpointNotOursError, HandlerError, ProtocolError, SingleInstanceError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { Launch } from '../launch.js';
import type { Logger } from '../logger.js';
import {
  FrameReader,
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
  /** Where connection-level events are logged. */
  logger: Logger;
  /** Takes a verified launch; resolves the reply or rejects with the error to send back. */
  onLaunch(launch: Launch): Promise<JsonValue>;
}

/** The primary's listening endpoint. */
export interface LaunchServer {
  /**
   * Stops listening and closes every connection: at once where no launch was taken, after
   * the reply (or refusal) where one was.
   */
  close(): Promise<void>;
}

/**
 * Listens on the endpoint.
 * @param options - endpoint, secret, limits and the launch callback
 * @throws EndpointError when the endpoint cannot be listened on
 */
export function listen(options: ServerOptions): Promise<LaunchServer> {
  const connections = new Set<Connection>();
  const server = net.createServer((socket) => {
    if (connections.size >= options.maxConnections) {
      options.logger.warn(`refused a connection: ${connections.size} already open`);
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, options);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  });
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      for (const connection of connections) {
        connection.closeUnlessAnswering();
      }
    });
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      reject(new EndpointError(`cannot listen on ${options.endpoint}: ${String(error)}`, { cause: error }));
    });
    server.listen(options.endpoint, () => {
      server.removeAllListeners('error');
      server.on('error', (error) => options.logger.error(`endpoint error: ${String(error)}`));
      resolve({ close });
    });
  });
}

/** One second instance's connection, from `hello` to the reply. */
class Connection {
  private readonly reader: FrameReader;
  private readonly nonce = newNonce();
  private peerNonce = '';
  private stage: 'hello' | 'launch' | 'answering' | 'closing' = 'hello';
  private readonly deadline: NodeJS.Timeout;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: ServerOptions,
  ) {
    this.reader = new FrameReader(options.maxMessageBytes);
    this.deadline = setTimeout(() => {
      options.logger.warn(`closed a connection idle for ${options.connectionTimeoutMs} ms`);
      socket.destroy();
    }, options.connectionTimeoutMs);
    socket.once('close', () => clearTimeout(this.deadline));
    socket.on('error', (error) => options.logger.debug(`connection error: ${String(error)}`));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  /** Closes the connection unless a launch was taken and its reply is still to be sent. */
  closeUnlessAnswering(): void {
    if (this.stage !== 'answering') {
      this.socket.destroySoon();
    }
  }

  private receive(chunk: Buffer): void {
    if (this.stage !== 'hello' && this.stage !== 'launch') {
      return;
    }
    try {
      for (const message of this.reader.push(chunk)) {
        this.take(message);
      }
    } catch (error) {
      this.refuse(error instanceof SingleInstanceError ? error : new ProtocolError(String(error)));
    }
  }

  private take(message: Message): void {
    if (this.stage === 'hello' && message.t === 'hello') {
      this.peerNonce = message.nonce;
      const mac = primaryProof(this.options.secret, this.peerNonce);
      this.send({ t: 'welcome', v: PROTOCOL_VERSION, pid: process.pid, nonce: this.nonce, mac, max: this.options.maxMessageBytes });
      this.stage = 'launch';
    } else if (this.stage === 'launch' && message.t === 'launch') {
      this.takeLaunch(message);
    } else if (this.stage === 'hello' || this.stage === 'launch') {
      throw new ProtocolError(`unexpected "${message.t}" message`);
    }
  }

  private takeLaunch(message: LaunchMessage): void {
    if (!proofMatches(secondaryProof(this.options.secret, this.nonce, this.peerNonce), message.mac)) {
      throw new EndpointNotOursError('the launch carried a wrong proof');
    }
    this.stage = 'answering';
    clearTimeout(this.deadline);
    const { argv, cwd, data, pid, env } = message;
    const replied = this.options.onLaunch({ argv, cwd, data, pid, env });
    this.send({ t: 'ack', v: PROTOCOL_VERSION });
    replied
      .then(
        (value) => this.send({ t: 'reply', v: PROTOCOL_VERSION, value }),
        (error: unknown) => this.sendError(error instanceof SingleInstanceError ? error : HandlerError.failed(error)),
      )
      .finally(() => {
        if (!this.socket.writable) {
          this.options.logger.warn(`second instance ${pid} left before its reply`);
        }
        this.stage = 'closing';
        this.socket.end();
      });
  }

  private refuse(error: SingleInstanceError): void {
    this.options.logger.warn(`closed a connection: ${error.detail}`);
    this.sendError(error);
    this.stage = 'closing';
    this.socket.end();
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
