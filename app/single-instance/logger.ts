/** The logger the module writes its decisions to: electron-log's level functions, or any subset-compatible object. */

/** A logger with electron-log's (and `console`'s) level functions. */
export interface Logger {
  debug(...params: unknown[]): void;
  info(...params: unknown[]): void;
  warn(...params: unknown[]): void;
  error(...params: unknown[]): void;
}

const ignore = (): void => undefined;

/** The default logger: discards everything. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
