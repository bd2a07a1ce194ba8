/**
 * A launch: what a second instance hands over, and what the primary's handler receives. One
 * type from the wire to the handler.
 */
import type { JsonValue } from './json.js';
import type { Handler } from './launch-queue.js';

/** One launch of the app, as handed to the primary. */
export interface Launch {
  /** The launching process's command line, exactly as it got it (`process.argv` by default). */
  argv: string[];
  /**
   * Its working directory, or `null` when it had none: it was started from a directory that
   * has since been deleted. Resolve relative arguments against it, never against the primary's.
   */
  cwd: string | null;
  /** The `data` it was claimed with (any JSON value, `null` by default). */
  data: JsonValue;
  /** Its process id. */
  pid: number;
  /** The environment variables it was asked to forward (`forwardEnv`), those that were set. */
  env: Record<string, string>;
}

/**
 * Receives each launch in the primary. What it returns (or resolves) is sent back to the
 * second instance as the reply (`undefined` becomes `null`); a throw reaches it as a `HandlerError`.
 */
export type LaunchHandler = Handler<Launch>;

/** The command-line flag with which an installer asks the running app to quit (see `sole-instance/builder`). */
export const QUIT_REQUEST = '--sole-instance-request=quit';

/**
 * What a launch asks of the app beyond opening: `quit` when an installer sent it (its command
 * line carries {@link QUIT_REQUEST}), else `null`.
 * @param argv - the launch's command line
 */
export function launchRequest(argv: readonly string[]): 'quit' | null {
  return argv.includes(QUIT_REQUEST) ? 'quit' : null;
}

/**
 * The working directory, or `null` when this process's directory has been deleted
 * (`process.cwd()` then throws `ENOENT: uv_cwd`).
 */
export function currentDirectory(): string | null {
  try {
    return process.cwd();
  } catch {
    return null;
  }
}

/**
 * The values of the named environment variables that are set.
 * @param names - variable names
 */
export function forwardedEnv(names: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) {
      env[name] = value;
    }
  }
  return env;
}
