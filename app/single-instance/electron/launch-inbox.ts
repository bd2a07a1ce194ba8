/**
 * The Electron layer's inbox: every launch (a second instance's hand-off, a link or file macOS
 * opens) waits in the core's launch queue until the app has a window, then is delivered in
 * arrival order. The OS events are listened to from construction, so a cold-start link is
 * never missed.
 */
import type { Event } from 'electron';
import { type Handler, type JsonValue, LaunchQueue, type Logger } from '../index.js';
import type { AppLike, Launch } from './index.js';

/** Launches held until the app opens the inbox. */
export class LaunchInbox {
  private readonly queue = new LaunchQueue<Launch>();
  private opened = false;
  /** Where a launch that cannot be delivered to anyone (an OS launch) is reported. */
  logger: Logger | undefined;

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
    return this.queue.deliver(launch);
  }

  /**
   * Opens the inbox (once): what waits is delivered now, in order, and later launches at once.
   * @param deliver - hands a launch to the app
   */
  open(deliver: Handler<Launch>): void {
    if (!this.opened) {
      this.opened = true;
      this.queue.setHandler(deliver);
    }
  }

  /**
   * Refuses waiting launches and every later one: hand-offs' senders then start a new primary;
   * links and files macOS opened are reported as not delivered.
   */
  close(): void {
    this.queue.close();
  }

  private receiveFromOs(source: 'open-url' | 'open-file', target: string, url: string | null): void {
    const launch: Launch = { argv: [target], cwd: null, data: null, pid: process.pid, env: {}, source, url, request: null };
    this.receive(launch).catch((error: unknown) => {
      this.logger?.error(`${source} ${target} was not delivered: ${String(error)}`);
    });
  }
}
