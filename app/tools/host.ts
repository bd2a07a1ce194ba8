/**
 * Headless host: uses the single-instance module exactly as an app would, for demos, tests and
 * benchmarks. Built to `dist/host.js`; other tools rely on this contract:
 *
 *   node dist/host.js --id <appId> [--scope session|user] [--data <json>] [--reply <json>]
 *                     [--timeout-ms <n>] [--hold-ms <n>] [--on-quit quit|ignore] [--] [args...]
 *
 * Primary: prints `{"role":"primary","pid":…,"endpoint":"…"}` once listening with its SIGINT/SIGTERM
 * handlers installed (a signal sent on seeing the line is handled), then one
 * `{"event":"second-instance",…}` line per launch, replying with `--reply` (default null); exits 0
 * after `--hold-ms`, or on SIGINT/SIGTERM. A launch whose own arguments (after `--`) start with an
 * installer's quit request (`--sole-instance-request=quit`) prints `{"event":"quit-request","pid":…}` and, unless
 * `--on-quit ignore`, the primary exits 0. Secondary: prints `{"role":"secondary",…}` and exits 0.
 * A quit request that finds no instance running prints `{"role":"none"}` and exits 0; it waits for
 * the primary's reply no longer than `--timeout-ms` (an installer waits on it).
 * Exit codes are the package's `ExitCode` policy: 3 the primary did not answer in time (nothing
 * delivered); 2 usage error; 1 any other failure.
 * Set `SOLE_INSTANCE_LOG=1` to log the module's decisions to stderr, and `SOLE_INSTANCE_TRACE=1` to
 * print each event of its diagnostics channel as a `{"trace":"<event>",…}` line on stdout.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeSync } from 'node:fs';
import {
  type ClaimOptions,
  ExitCode,
  type JsonValue,
  type Logger,
  type PrimaryInstance,
  QUIT_REQUEST,
  type Scope,
  TRACE_CHANNEL,
  type TraceEvent,
  claim,
  exitCodeFor,
} from 'sole-instance';

const USAGE =
  'usage: node dist/host.js --id <appId> [--scope session|user] [--data <json>] [--reply <json>]\n' +
  '                         [--timeout-ms <n>] [--hold-ms <n>] [--on-quit quit|ignore] [--] [args...]';

/** A usage mistake: printed with the usage text, exit 2. */
class UsageError extends Error {}

interface HostArgs {
  claim: ClaimOptions;
  reply: JsonValue;
  holdMs: number | undefined;
  ignoreQuit: boolean;
}

/** The core's default `timeoutMs`. */
const DEFAULT_TIMEOUT_MS = 5000;

const VALUE_FLAGS = new Set(['--id', '--scope', '--data', '--reply', '--timeout-ms', '--hold-ms', '--on-quit']);

function parseArgs(args: string[]): HostArgs {
  const values = new Map<string, string>();
  let index = 0;
  for (; index < args.length; index += 2) {
    const flag = args[index] ?? '';
    if (flag === '--' || !flag.startsWith('--')) {
      break;
    }
    const value = args[index + 1];
    if (!VALUE_FLAGS.has(flag)) {
      throw new UsageError(`unknown option ${flag}`);
    }
    if (value === undefined) {
      throw new UsageError(`${flag} needs a value`);
    }
    values.set(flag, value);
  }
  const id = values.get('--id');
  if (id === undefined) {
    throw new UsageError('--id is required');
  }
  const data = values.get('--data');
  const timeoutMs = values.get('--timeout-ms');
  const onQuit = values.get('--on-quit') ?? 'quit';
  if (onQuit !== 'quit' && onQuit !== 'ignore') {
    throw new UsageError(`--on-quit must be quit or ignore (got ${JSON.stringify(onQuit)})`);
  }
  const own = args[index] === '--' ? args.slice(index + 1) : args.slice(index);
  const request = own[0] === QUIT_REQUEST ? 'quit' : null;
  return {
    claim: {
      appId: id,
      scope: (values.get('--scope') ?? 'session') as Scope,
      // The app's own arguments follow the host's options: a quit request is the first of them, where an installer puts it.
      request,
      ...(data === undefined ? {} : { data: parseJson('--data', data) }),
      ...(timeoutMs === undefined ? {} : { timeoutMs: parseCount('--timeout-ms', timeoutMs) }),
      // An installer waits on a quit request: it waits for the reply no longer than for the hand-off.
      ...(request === 'quit' ? { replyTimeoutMs: timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : parseCount('--timeout-ms', timeoutMs) } : {}),
    },
    reply: parseJson('--reply', values.get('--reply') ?? 'null'),
    holdMs: values.has('--hold-ms') ? parseCount('--hold-ms', values.get('--hold-ms') ?? '') : undefined,
    ignoreQuit: onQuit === 'ignore',
  };
}

function parseJson(flag: string, text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new UsageError(`${flag} must be JSON (got ${JSON.stringify(text)}); quote strings: '"text"'`);
  }
}

function parseCount(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new UsageError(`${flag} must be a whole number of milliseconds (got ${JSON.stringify(text)})`);
  }
  return value;
}

/** Prints one JSON line, written at once (no stream is made for stdout: a launch's start-up pays for what it uses only). */
function print(line: object): void {
  writeSync(1, `${JSON.stringify(line)}\n`);
}

const stderrLogger: Logger = {
  debug: (...params) => console.error('[debug]', ...params),
  info: (...params) => console.error('[info]', ...params),
  warn: (...params) => console.error('[warn]', ...params),
  error: (...params) => console.error('[error]', ...params),
};

/** Prints each traced event as a line, its name under `trace`. */
function printTrace(): void {
  subscribe(TRACE_CHANNEL, (message) => {
    const { event, ...detail } = message as TraceEvent;
    print({ trace: event, ...detail });
  });
}

/** Serves launches as the primary; announces itself once its handlers are installed, so that a signal sent on seeing the line is handled. */
function serve(primary: PrimaryInstance, args: HostArgs): void {
  let hold: NodeJS.Timeout | undefined;
  const stop = (): void => {
    clearTimeout(hold);
    void primary.release();
  };
  primary.onQuitRequest((launch) => {
    print({ event: 'quit-request', pid: launch.pid });
    if (!args.ignoreQuit) {
      setImmediate(stop);
    }
    return null;
  });
  primary.onSecondInstance((launch) => {
    print({ event: 'second-instance', argv: launch.argv, cwd: launch.cwd, data: launch.data, pid: launch.pid });
    return args.reply;
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (args.holdMs === 0) {
    // Released once announced: a timer, which waits at least 1 ms, would add its wait to what a primary costs.
    setImmediate(stop);
  } else if (args.holdMs !== undefined) {
    hold = setTimeout(stop, args.holdMs);
  }
  print({ role: 'primary', pid: process.pid, endpoint: primary.endpoint });
}

async function main(): Promise<void> {
  let args: HostArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`host: ${(error as Error).message}\n${USAGE}`);
    process.exitCode = ExitCode.usage;
    return;
  }
  const logger = process.env.SOLE_INSTANCE_LOG === '1' ? stderrLogger : undefined;
  if (process.env.SOLE_INSTANCE_TRACE === '1') {
    printTrace();
  }
  try {
    const instance = await claim({ ...args.claim, ...(logger ? { logger } : {}) });
    if (instance.role === 'primary') {
      serve(instance, args);
    } else if (instance.role === 'secondary') {
      print({ role: 'secondary', primaryPid: instance.primaryPid, reply: instance.reply });
    } else {
      print({ role: 'none' });
    }
  } catch (error) {
    console.error(`host: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = exitCodeFor(error);
  }
}

void main();
