/**
 * The Electron layer's inbox: every launch (a second instance's hand-off, a link or file macOS
 * opens) waits here until the app has a window, then is delivered in arrival order. The OS
 * events are listened to from construction, so a cold-start link is never missed.
 */
import type { Event } from 'electron';
import { type JsonValue, type Logger, ShutdownError } from '../index.js';
import type { AppLike, Launch } from './index.js';

interface Pending {
  launch: Launch;
  resolve(reply: JsonValue): void;
  reject(error: unknown): void;
}

/** Delivers one launch to the app and resolves its reply. */
export type Deliver = (launch: Launch) => Promise<JsonValue>;

/** Launches held until the app opens the inbox. */
export class LaunchInbox {
  private readonly waiting: Pending[] = [];
  private deliver: Deliver | undefined;
  private logger: Logger | undefined;
  private closed = false;

  /** @param app - Electron's `app`, whose `open-url` and `open-file` events are taken from now on */
  constructor(app: AppLike) {
    app.on('open-url', (event: Event, url: string) => {
      event.preventDefault();
      this.receiveFromOs('open-url', url, url);
    });
    app.on('open-file', (event: Event, path: string) => {
      event.preventDefault();
      this.receiveFromOs('open-file', path, null);
    });
  }

  /**
   * Takes a launch: delivered now if the inbox is open, else when it opens.
   * @param launch - the launch
   * @returns its reply
   */
  receive(launch: Launch): Promise<JsonValue> {
    if (this.closed) {
      return Promise.reject(new ShutdownError());
    }
    return new Promise((resolve, reject) => {
      const pending = { launch, resolve, reject };
      if (this.deliver) {
        this.run(this.deliver, pending);
      } else {
        this.waiting.push(pending);
      }
    });
  }

  /**
   * Opens the inbox: what waits is delivered now, in order, and later launches at once.
   * @param deliver - hands a launch to the app
   * @param logger - where a failed delivery of an OS launch (which has no sender to tell) is logged
   */
  open(deliver: Deliver, logger: Logger): void {
    if (this.deliver) {
      return;
    }
    this.deliver = deliver;
    this.logger = logger;
    for (const pending of this.waiting.splice(0)) {
      this.run(deliver, pending);
    }
  }

  /** Refuses waiting hand-offs (their senders then start a new primary) and every later launch. */
  close(): void {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) {
      pending.reject(new ShutdownError());
    }
  }

  private receiveFromOs(source: 'open-url' | 'open-file', target: string, url: string | null): void {
    const launch: Launch = { argv: [target], cwd: null, data: null, pid: process.pid, env: {}, source, url };
    this.receive(launch).catch((error: unknown) => {
      this.logger?.error(`${source} ${target} was not delivered: ${String(error)}`);
    });
  }

  private run(deliver: Deliver, pending: Pending): void {
    deliver(pending.launch).then(pending.resolve, pending.reject);
  }
}
