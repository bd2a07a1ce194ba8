/**
 * A launch, as the primary's handlers receive it: one type from the wire (or the OS) to the handler.
 */
import type { JsonValue } from './json.js';

/** How a launch reached the primary. */
export type LaunchSource =
  /** Another process of the app handed it over (the usual case: the app was started again). */
  | 'second-instance'
  /** macOS delivered a link of the app's scheme to this process (Electron's `open-url`). */
  | 'open-url'
  /** macOS delivered a file to this process (Electron's `open-file`). */
  | 'open-file'
  /** Windows asked the app to close for an installer (the Restart Manager; Electron's `session-end`, reason `close-app`). */
  | 'session-end';

/** One launch of the app, as delivered to the primary. */
export interface Launch {
  /** The launching process's command line, exactly as it got it (`process.argv` by default); `[url]` or `[path]` for an OS launch. */
  argv: string[];
  /**
   * Its working directory, or `null` when it had none: it was started from a directory that
   * has since been deleted, or the OS delivered it. Resolve relative arguments against it, never
   * against the primary's.
   */
  cwd: string | null;
  /** The `data` it was claimed with (any JSON value, `null` by default). */
  data: JsonValue;
  /** Its process id (this process's, for an OS launch). */
  pid: number;
  /** The environment variables it forwarded (the activation tokens and `forwardEnv`), those that were set. */
  env: Record<string, string>;
  /** How it reached the primary. */
  source: LaunchSource;
  /** The first argument that is a link of the primary's `scheme`, or `null`. */
  url: string | null;
}

/**
 * Receives launches in the primary. What it returns (or resolves) is sent back to the second
 * instance as the reply (`undefined` becomes `null`); a throw reaches it as a `HandlerError`.
 */
// A handler with no return statement (`void`) must be accepted: it replies null.
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export type LaunchHandler = (launch: Launch) => JsonValue | void | Promise<JsonValue | void>;
