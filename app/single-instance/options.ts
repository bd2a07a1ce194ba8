/** The options of `claim()`, their defaults and their validation. */
import { InvalidOptionsError } from './errors.js';
import { type JsonValue, jsonProblem } from './json.js';
import { LaunchQueue } from './launch-queue.js';
import { type Logger, silentLogger } from './logger.js';
import { type Scope, validateAppId, validateScope } from './names.js';
import { DEFAULT_MAX_MESSAGE_BYTES, MAX_FRAME_BYTES } from './ipc/protocol.js';
import { currentDirectory } from './own-launch.js';
import { type LaunchRequest, requestOf } from './quit-request.js';
import { type Trace, traceFor } from './trace.js';

/** Options of `claim()`. */
export interface ClaimOptions {
  /** The app's stable reverse-DNS id, the same as electron-builder's `appId` (e.g. `com.example.notes`). */
  appId: string;
  /**
   * How far the single instance reaches.
   * @default 'session'
   */
  scope?: Scope;
  /**
   * Any JSON value handed to the primary with the launch.
   * @default null
   */
  data?: JsonValue;
  /**
   * How long a second instance waits for a running primary to take the launch, in ms; past it,
   * nothing is delivered.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * How long a second instance waits for the primary's handler to reply once the launch is
   * delivered, in ms; `Infinity` for `--wait`-style command lines.
   * @default 30000
   */
  replyTimeoutMs?: number;
  /**
   * Largest message accepted or sent, in bytes.
   * @default 1048576 (1 MiB)
   */
  maxMessageBytes?: number;
  /**
   * The command line handed over.
   * @default process.argv
   */
  argv?: string[];
  /**
   * The working directory handed over; `null` for none.
   * @default process.cwd(), or null when this process's directory has been deleted
   */
  cwd?: string | null;
  /**
   * What this launch asks of the running instance: `'quit'` is an installer's quit request (it
   * never becomes the primary), `null` an ordinary launch.
   * @default 'quit' when the first argument after the program is `--sole-instance-request=quit`, else null
   */
  request?: LaunchRequest;
  /**
   * Names of environment variables handed over when set, beside the activation tokens
   * (`XDG_ACTIVATION_TOKEN`, `DESKTOP_STARTUP_ID`), which always are.
   * @default []
   */
  forwardEnv?: string[];
  /**
   * The app's custom protocol without `://` (e.g. `notes`): `launch.url` is the first argument
   * that is a link of it.
   * @default none: `launch.url` is always null
   */
  scheme?: string | null;
  /**
   * Primary: where launches wait for the handler. Pass your own to put launches that reach the
   * app another way (macOS's `open-url`, as the Electron layer does) in the same ordered queue,
   * from before the claim settles.
   * @default a new queue
   */
  queue?: LaunchQueue;
  /**
   * Primary: a connection must prove it knows the secret within this many ms, or is closed.
   * @default 2000
   */
  handshakeTimeoutMs?: number;
  /**
   * Primary: a proven connection must send its launch within this many ms.
   * @default 10000
   */
  connectionTimeoutMs?: number;
  /**
   * Primary: connections that have not proven themselves, at most; when one more arrives the
   * oldest of them is closed (a real launch proves itself in well under a millisecond).
   * @default 128
   */
  maxConnections?: number;
  /**
   * Primary: launches waiting for their reply (for the window, or the handler), at most; one
   * more is refused as busy and not delivered.
   * @default 512
   */
  maxPendingLaunches?: number;
  /**
   * Where decisions are logged, with their elapsed milliseconds (electron-log's scope fits).
   * @default a logger that discards everything
   */
  logger?: Logger;
}

/** Options with every default applied, checked, and the trace of the app id. */
export type Settings = Required<ClaimOptions> & { trace: Trace };

/**
 * Checks the options and applies the defaults.
 * @param options - what the caller passed
 * @throws InvalidOptionsError naming the first wrong option
 */
export function resolveOptions(options: ClaimOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionsError('`claim()` takes an options object: claim({ appId: "com.example.notes" }).');
  }
  if ('data' in options && options.data === undefined) {
    throw new InvalidOptionsError('`data` is undefined, which JSON cannot carry; pass null for "no data".');
  }
  const problem = jsonProblem(options.data ?? null, 'data');
  if (problem) {
    throw new InvalidOptionsError(`${problem}.`);
  }
  const argv = options.argv ?? process.argv;
  if (!Array.isArray(argv) || !argv.every((arg) => typeof arg === 'string')) {
    throw new InvalidOptionsError('`argv` must be an array of strings.');
  }
  const forwardEnv = options.forwardEnv ?? [];
  if (!Array.isArray(forwardEnv) || !forwardEnv.every((name) => typeof name === 'string' && name !== '')) {
    throw new InvalidOptionsError('`forwardEnv` must be an array of variable names.');
  }
  const appId = validateAppId(options.appId);
  return {
    appId,
    scope: validateScope(options.scope ?? 'session'),
    data: options.data ?? null,
    timeoutMs: positive('timeoutMs', options.timeoutMs, 5000, MAX_TIMER_MS),
    replyTimeoutMs: positive('replyTimeoutMs', options.replyTimeoutMs, 30_000, MAX_TIMER_MS, true),
    maxMessageBytes: positive('maxMessageBytes', options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES, MAX_FRAME_BYTES),
    argv,
    cwd: options.cwd === undefined ? currentDirectory() : directoryOption(options.cwd),
    request: requestOption(options.request, argv),
    forwardEnv,
    scheme: schemeOption(options.scheme),
    queue: queueOption(options.queue),
    handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs, 2000, MAX_TIMER_MS),
    connectionTimeoutMs: positive('connectionTimeoutMs', options.connectionTimeoutMs, 10_000, MAX_TIMER_MS),
    maxConnections: positive('maxConnections', options.maxConnections, 128, Number.MAX_SAFE_INTEGER),
    maxPendingLaunches: positive('maxPendingLaunches', options.maxPendingLaunches, 512, Number.MAX_SAFE_INTEGER),
    logger: options.logger ?? silentLogger,
    trace: traceFor(appId),
  };
}

/** Longest delay a Node timer takes (larger ones fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function positive(name: string, value: number | undefined, fallback: number, max: number, infiniteOk = false): number {
  if (value === undefined) {
    return fallback;
  }
  const valid =
    typeof value === 'number' &&
    ((Number.isSafeInteger(value) && value > 0 && value <= max) || (infiniteOk && value === Infinity));
  if (!valid) {
    throw new InvalidOptionsError(
      `\`${name}\` must be a whole number from 1 to ${max}${infiniteOk ? ' or Infinity' : ''}, not ${String(value)}.`,
    );
  }
  return value;
}

function directoryOption(value: string | null): string | null {
  if (value !== null && (typeof value !== 'string' || value === '')) {
    throw new InvalidOptionsError('`cwd` must be a non-empty string, or null for none.');
  }
  return value;
}

function requestOption(value: LaunchRequest | undefined, argv: readonly string[]): LaunchRequest {
  if (value === undefined) {
    return requestOf(argv);
  }
  if (value !== null && value !== 'quit') {
    throw new InvalidOptionsError(`\`request\` must be "quit" or null, not ${JSON.stringify(value)}.`);
  }
  return value;
}

function schemeOption(value: string | null | undefined): string | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*$/i.test(value)) {
    throw new InvalidOptionsError(`\`scheme\` must be a URL scheme without "://" (e.g. "notes"), not ${JSON.stringify(value)}.`);
  }
  return value;
}

function queueOption(value: LaunchQueue | undefined): LaunchQueue {
  if (value !== undefined && !(value instanceof LaunchQueue)) {
    throw new InvalidOptionsError('`queue` must be a LaunchQueue from sole-instance.');
  }
  return value ?? new LaunchQueue();
}
