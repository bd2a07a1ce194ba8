/** A hand-written protocol peer for tests that send what a real second instance never would. */
import * as net from 'node:net';
import { FrameReader, type Message, encodeFrame } from '../../app/single-instance/ipc/protocol.js';

/** A raw connection to an endpoint that records every message received until it closes. */
export class RawClient {
  readonly socket: net.Socket;
  readonly received: Message[] = [];
  /** Resolves once the other side has closed the connection. */
  readonly closed: Promise<void>;
  private readonly reader = new FrameReader(64 * 1024 * 1024);
  private readonly waiters: { count: number; resolve(): void }[] = [];

  /** @param endpoint - socket path or pipe name */
  constructor(endpoint: string) {
    this.socket = net.connect(endpoint);
    this.socket.on('error', () => undefined);
    this.socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk, (message) => this.received.push(message));
      for (const waiter of this.waiters.filter((w) => this.received.length >= w.count)) {
        waiter.resolve();
      }
    });
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  /** Resolves once connected. */
  connected(): Promise<void> {
    return new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  /** Sends one protocol message. */
  send(message: unknown): void {
    this.socket.write(encodeFrame(message as Message));
  }

  /** Resolves once `count` messages have arrived, or the connection closed first. */
  async waitFor(count: number): Promise<Message[]> {
    if (this.received.length < count) {
      await Promise.race([new Promise<void>((resolve) => this.waiters.push({ count, resolve })), this.closed]);
    }
    return this.received;
  }
}
