/**
 * The one place where names of kernel objects, endpoints and files are derived from
 * app id + scope + user. Pure: the platform and identity come in as arguments, so the
 * Windows derivation is tested on Linux and the installer generator uses the same code.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { InvalidOptionsError } from './errors.js';

/**
 * How far the single instance reaches.
 * - `session`: one instance per user per login session (Windows: per session id; Linux and
 *   macOS: a user's sessions share one instance, as with Electron's own lock).
 * - `user`: one instance per user across all of the user's sessions.
 */
export type Scope = 'session' | 'user';

/** Who and where we are: everything a name depends on besides the app id and scope. */
export interface NameContext {
  /** The platform the names are for. */
  platform: NodeJS.Platform;
  /** The user: the numeric uid on Linux/macOS, the SID string (`S-1-5-21-...`) on Windows. */
  user: string;
  /** The Windows session id; ignored elsewhere. */
  session: number | null;
  /** The private per-user directory holding the secret (and on Linux/macOS the lock and socket). */
  privateDir: string;
}

/** The names one instance uses. */
export interface InstanceNames {
  /** Linux/macOS: path of the file we `flock`. Windows: the mutex name (`Local\...`/`Global\...`). */
  lock: string;
  /** Linux/macOS: Unix socket path. Windows: named pipe path (`\\.\pipe\...`). */
  endpoint: string;
  /** Path of the file holding the primary's secret for the mutual proof. */
  secret: string;
  /** The private directory, to be created and verified before use. */
  privateDir: string;
}

/** Longest app id accepted, in characters. */
export const MAX_APP_ID_LENGTH = 128;

/** `sun_path` sizes, terminating NUL included (Linux 108, macOS and the BSDs 104). */
const SOCKET_PATH_BYTES: Partial<Record<NodeJS.Platform, number>> = { linux: 108 };
const DEFAULT_SOCKET_PATH_BYTES = 104;
/** Longest named-pipe name Windows accepts, in characters. */
const MAX_PIPE_NAME = 256;
/** `MAX_PATH`, the limit for a kernel object's name. */
const MAX_OBJECT_NAME = 260;
/** Longest secret file name stem on Windows, keeping the whole path well inside `MAX_PATH`. */
const MAX_SECRET_NAME = 100;

/** Characters that a path component or a kernel object name cannot hold on some platform. */
const FORBIDDEN = /[\\/:*?"<>|\u0000-\u001f\u007f]/u;

/**
 * Checks an app id and returns it. An app id is the stable reverse-DNS id of the app
 * (electron-builder's `appId`), e.g. `com.example.notes`.
 * @param appId - the id to check
 * @throws InvalidOptionsError when it is not a usable id
 */
export function validateAppId(appId: unknown): string {
  if (typeof appId !== 'string' || appId.length === 0) {
    throw new InvalidOptionsError('`appId` must be a non-empty string such as "com.example.notes".');
  }
  if (appId.length > MAX_APP_ID_LENGTH) {
    throw new InvalidOptionsError(`\`appId\` is ${appId.length} characters; the limit is ${MAX_APP_ID_LENGTH}.`);
  }
  const bad = FORBIDDEN.exec(appId);
  if (bad) {
    throw new InvalidOptionsError(
      `\`appId\` ${JSON.stringify(appId)} contains ${JSON.stringify(bad[0])}, which file and kernel object ` +
        'names cannot hold; use letters, digits, dots, dashes and underscores.',
    );
  }
  if (appId !== appId.trim() || appId.endsWith('.') || appId === '..') {
    throw new InvalidOptionsError(
      `\`appId\` ${JSON.stringify(appId)} starts or ends with a space or ends with a dot, which Windows file names cannot.`,
    );
  }
  return appId;
}

/**
 * The private per-user directory for a platform, before it is created or verified.
 * Windows: `%LOCALAPPDATA%\single-instance`. Elsewhere: `$XDG_RUNTIME_DIR/single-instance`
 * when set, else `<tmpdir>/single-instance-<uid>`.
 * @param platform - the platform
 * @param env - the environment to read `XDG_RUNTIME_DIR` / `LOCALAPPDATA` from
 * @param home - the user's home directory (Windows fallback for `LOCALAPPDATA`)
 * @param tmpdir - the temp directory
 * @param user - the uid (Linux/macOS)
 */
export function privateDirFor(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  home: string,
  tmpdir: string,
  user: string,
): string {
  if (platform === 'win32') {
    const base = env.LOCALAPPDATA || path.win32.join(home, 'AppData', 'Local');
    return path.win32.join(base, 'single-instance');
  }
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && path.posix.isAbsolute(runtime)) {
    return path.posix.join(runtime, 'single-instance');
  }
  return path.posix.join(tmpdir, `single-instance-${user}`);
}

/**
 * The Windows mutex name for an app id and scope: `Local\<appId>-<SID>` for `session`,
 * `Global\<appId>-<SID>` for `user`. The installer opens the same name.
 * @param appId - a valid app id
 * @param scope - the scope
 * @param sid - the user's SID string
 */
export function win32MutexName(appId: string, scope: Scope, sid: string): string {
  const namespace = scope === 'session' ? 'Local' : 'Global';
  return `${namespace}\\${fitted(`${appId}-${sid}`, MAX_OBJECT_NAME - namespace.length - 1)}`;
}

/**
 * Derives every name one instance uses.
 * @param appId - a valid app id (see {@link validateAppId})
 * @param scope - the scope
 * @param context - platform, user, session and private directory
 * @throws InvalidOptionsError when the private directory is too long for a Unix socket path
 */
export function deriveNames(appId: string, scope: Scope, context: NameContext): InstanceNames {
  return context.platform === 'win32' ? win32Names(appId, scope, context) : posixNames(appId, context);
}

function win32Names(appId: string, scope: Scope, context: NameContext): InstanceNames {
  const sessionPart = scope === 'session' ? `-${context.session ?? 0}` : '';
  const pipePrefix = '\\\\.\\pipe\\';
  const pipeName = fitted(`${appId}-${context.user}${sessionPart}`, MAX_PIPE_NAME - pipePrefix.length);
  const secretName = fitted(`${appId}${sessionPart || '-user'}`, MAX_SECRET_NAME);
  return {
    lock: win32MutexName(appId, scope, context.user),
    endpoint: pipePrefix + pipeName,
    secret: path.win32.join(context.privateDir, `${secretName}.key`),
    privateDir: context.privateDir,
  };
}

function posixNames(appId: string, context: NameContext): InstanceNames {
  const limit = (SOCKET_PATH_BYTES[context.platform] ?? DEFAULT_SOCKET_PATH_BYTES) - 1;
  const socketFor = (tag: string): string => path.posix.join(context.privateDir, `${tag}.sock`);
  const tag = Buffer.byteLength(socketFor(appId)) <= limit ? appId : digest(appId);
  const endpoint = socketFor(tag);
  if (Buffer.byteLength(endpoint) > limit) {
    throw new InvalidOptionsError(
      `the private directory ${context.privateDir} is too long for a Unix socket path ` +
        `(${limit} bytes at most); set TMPDIR or XDG_RUNTIME_DIR to a shorter directory.`,
    );
  }
  return {
    lock: path.posix.join(context.privateDir, `${tag}.lock`),
    endpoint,
    secret: path.posix.join(context.privateDir, `${tag}.key`),
    privateDir: context.privateDir,
  };
}

/** `text` itself when it fits in `max` characters, else a readable prefix plus a digest of all of it. */
function fitted(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  const hash = digest(text);
  return `${text.slice(0, max - hash.length - 1)}-${hash}`;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
