/**
 * The Electron layer's logger when the app passes none: electron-log's `scope('sole-instance')`
 * (an optional peer; the host app's transports are left as they are). Without electron-log,
 * warnings and errors go to the console.
 */
import type { Logger } from '../index.js';

const ignore = (): void => undefined;

/** Warnings and errors on the console, nothing else: what is left when electron-log is not installed. */
const consoleLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: (...params) => console.warn('[sole-instance]', ...params),
  error: (...params) => console.error('[sole-instance]', ...params),
};

/** What Node says when electron-log is not installed. */
const MISSING = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * The specifier is a variable on purpose: a bundler must neither bundle nor stub this optional
 * peer, so Node resolves it at run time from the app's node_modules, where it is or is not.
 */
const ELECTRON_LOG = 'electron-log/main';

/** electron-log's scope for this package, or the console when electron-log is not installed. */
export async function defaultLogger(): Promise<Logger> {
  try {
    const { default: log } = (await import(/* webpackIgnore: true */ /* @vite-ignore */ ELECTRON_LOG)) as typeof import('electron-log/main');
    return log.scope('sole-instance');
  } catch (error) {
    if (!MISSING.has(String((error as NodeJS.ErrnoException).code))) {
      consoleLogger.warn(`electron-log is installed but failed to load (${String(error)}); logging to the console`);
    }
    return consoleLogger;
  }
}
