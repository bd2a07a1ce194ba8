/**
 * Launches the OS delivers to this process rather than through a second instance: macOS's
 * `open-url` (a link of the app's scheme) and `open-file`. They are taken from the moment the app
 * claims (so a cold-start link is not missed) into the core's launch queue, where they wait with
 * every other launch for the window, in arrival order.
 */
import type { Event } from 'electron';
import type { LaunchQueue, LaunchSource } from '../index.js';

/** The events of Electron's `app` this takes. */
export interface OsEvents {
  on(event: 'open-url', listener: (event: Event, url: string) => void): unknown;
  on(event: 'open-file', listener: (event: Event, path: string) => void): unknown;
}

/**
 * Takes `open-url` and `open-file` into the queue, preventing Electron's default for them.
 * @param app - Electron's `app`
 * @param queue - the launch queue the primary delivers from
 * @param report - where a launch that could not be delivered (the queue was closed) is reported
 */
export function takeOsLaunches(app: OsEvents, queue: LaunchQueue, report: (message: string) => void): void {
  const take = (source: LaunchSource, target: string, url: string | null): void => {
    queue.deliver({ argv: [target], cwd: null, data: null, pid: process.pid, env: {}, source, url }).catch((error: unknown) => {
      report(`${source} ${target} was not delivered: ${String(error)}`);
    });
  };
  app.on('open-url', (event: Event, url: string) => {
    event.preventDefault();
    take('open-url', url, url);
  });
  app.on('open-file', (event: Event, path: string) => {
    event.preventDefault();
    take('open-file', path, null);
  });
}
