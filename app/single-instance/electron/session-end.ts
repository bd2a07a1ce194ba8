/**
 * Windows' Restart Manager, which MSI installers (electron-wix-msi, WiX), Windows Update and
 * other installers use to close the apps that hold files they replace: it sends the app's
 * top-level windows `WM_QUERYENDSESSION` and then `WM_ENDSESSION` with `ENDSESSION_CLOSEAPP`,
 * and expects the app to exit. Electron reports them as the window's `query-session-end` and
 * `session-end` events (reason `close-app`) and does nothing else, so the installer ends with a
 * files-in-use prompt or a reboot. Here the close reaches the app's quit path, the one an NSIS
 * installer's quit request takes (`onQuitRequest`, by default `app.quit()`): the app saves and
 * quits on its own terms. A real shutdown or log-off (other reasons) is left to Electron.
 */
import type { WindowSessionEndEvent } from 'electron';
import type { Launch } from '../index.js';

/** The window events the Restart Manager's close arrives through. */
export interface SessionEndEvents {
  on(event: 'session-end', listener: (event: WindowSessionEndEvent) => void): unknown;
  removeListener(event: 'session-end', listener: (event: WindowSessionEndEvent) => void): unknown;
}

/** Whether a window can report the session's end (a `BrowserWindow` can; a narrower object may not). */
export function hasSessionEvents(window: object): window is SessionEndEvents {
  const candidate = window as Partial<SessionEndEvents>;
  return typeof candidate.on === 'function' && typeof candidate.removeListener === 'function';
}

/**
 * Makes a Restart Manager close of `window` (`session-end` with reason `close-app`) take the quit
 * path, once.
 * @param window - the app's window, which Windows asks
 * @param quit - the app's quit path, given the close as a launch of source `session-end`
 * @returns a function that stops listening (when the app sets another window)
 */
export function answerRestartManager(window: SessionEndEvents, quit: (launch: Launch) => unknown): () => void {
  const listener = (event: WindowSessionEndEvent): void => {
    if (event.reasons.includes('close-app')) {
      window.removeListener('session-end', listener);
      quit({ argv: [], cwd: null, data: null, pid: process.pid, env: {}, source: 'session-end', url: null });
    }
  };
  window.on('session-end', listener);
  return () => window.removeListener('session-end', listener);
}
