/**
 * The one place where names of kernel objects and files are derived from app id + scope +
 * user. Pure: the platform and identity come in as arguments, so the Windows derivation is
 * tested on Linux and the installer generator uses the same code. Endpoints are not derived:
 * each primary makes an unpredictable one and publishes it in its record.
 */
import { path } from './builtins.js';
import { InvalidOptionsError } from './errors.js';

/**
 * How far the single instance reaches.
 * - `session`: one instance per user per login session (Windows: per session id; Linux and
 *   macOS: a user's sessions share one instance, as with Electron's own lock).
 * - `user`: one instance per user across all of the user's sessions.
 */
export type Scope = 'session' | 'user';

/** Who and where we are: everything a name depends on besides the app id and scope. */
export interface PlaceContext {
  /** The platform the names are for. */
  platform: NodeJS.Platform;
  /** The user: the numeric uid on Linux/macOS, the SID string (`S-1-5-21-...`) on Windows. */
  user: string;
  /** The Windows session id; ignored elsewhere. */
  session: number | null;
  /** The per-user state directory, from the user's home or known folder (see {@link stateDirFor}). */
  stateDir: string;
  /** This machine's id where a home may be shared between machines (Linux: the machine id), else `''`. */
  host: string;
  /**
   * The sandbox the app runs in, named `snap.<instance name>`, `flatpak.<app id>` or
   * `mac-app-store.<container>`; `null` on a plain desktop. Its instances are its own: the
   * presence semaphore's keys are named for it, and under snap confinement the beacon's name
   * starts with it (abstract socket names must).
   */
  sandbox: string | null;
  /** Windows: the install folder's hash (see {@link win32InstallationMutexName}); `null` elsewhere. */
  installFolderHash: string | null;
}

/** Where one app id and scope's single instance lives. */
export interface Places {
  /** The running primary's record: its pid, endpoint and secret, which a launch reads first. */
  record: string;
  /** Linux/macOS: the file we `flock`. Windows: the mutex name (`Local\...`/`Global\...`). */
  lock: string;
  /** The directory of the record (and on Linux/macOS the lock file). */
  stateDir: string;
  /** Linux: the abstract socket name (without its leading NUL) a live primary holds; `null` elsewhere. */
  beacon: string | null;
  /** Linux/macOS: the keys the presence semaphore may have, in the order tried; none on Windows. */
  semaphoreKeys: readonly number[];
  /** Windows: the mutex every running instance of this installation holds; `null` elsewhere. */
  installation: string | null;
  /** Windows: what an installer that gave up leaves for the app to log (see {@link installerNotesName}); `null` elsewhere. */
  installerNotes: string | null;
}

/** Longest app id accepted, in characters. */
export const MAX_APP_ID_LENGTH = 128;

/** `sun_path` sizes, terminating NUL included (Linux 108, macOS and the BSDs 104). */
const SOCKET_PATH_BYTES: Partial<Record<NodeJS.Platform, number>> = { linux: 108 };
const DEFAULT_SOCKET_PATH_BYTES = 104;
/** `MAX_PATH`, the limit for a kernel object's name. */
const MAX_OBJECT_NAME = 260;
/** Longest record file name stem on Windows, keeping the whole path well inside `MAX_PATH`. */
const MAX_RECORD_NAME = 100;
/** Longest app id used as it is in a Linux/macOS file name, in bytes (file names take 255). */
const MAX_FILE_STEM = 150;

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

const SCOPES: readonly Scope[] = ['session', 'user'];

/**
 * Checks a scope and returns it.
 * @param scope - the scope to check
 * @throws InvalidOptionsError when it is not `session` or `user`
 */
export function validateScope(scope: unknown): Scope {
  if (!SCOPES.includes(scope as Scope)) {
    throw new InvalidOptionsError(`\`scope\` must be "session" or "user", not ${JSON.stringify(scope)}.`);
  }
  return scope as Scope;
}

/**
 * The file an installer that gave up leaves in the state directory for the app to log on its
 * next start (Windows; see `sole-instance/builder`).
 * @param appId - a valid app id
 */
export function installerNotesName(appId: string): string {
  return `${appId}.installer.log`;
}

/**
 * The per-user state directory, from the user's home as the OS knows it (the password
 * database, not `$HOME`) or, on Windows, the Local AppData known folder: never from an
 * environment variable, so that every launch of one user finds the same one.
 * @param platform - the platform
 * @param base - the home directory (Linux/macOS) or the Local AppData folder (Windows)
 */
export function stateDirFor(platform: NodeJS.Platform, base: string): string {
  if (platform === 'win32') {
    return path.win32.join(base, 'sole-instance');
  }
  if (platform === 'darwin') {
    return path.posix.join(base, 'Library', 'Application Support', 'sole-instance');
  }
  return path.posix.join(base, '.local', 'state', 'sole-instance');
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
 * Windows: the mutex every running instance of one installation holds, whoever runs it, so
 * that its installer sees them all. Named from the app id and a hash of the install folder
 * (`RtlHashUnicodeString`, case-insensitive, X65599), which the installer computes the same way.
 * @param appId - a valid app id
 * @param folderHash - the install folder's hash as 8 hex digits
 */
export function win32InstallationMutexName(appId: string, folderHash: string): string {
  const prefix = 'Global\\sole-instance-';
  return `${prefix}${fitted(appId, MAX_OBJECT_NAME - prefix.length - folderHash.length - 1)}-${folderHash}`;
}

/**
 * Derives where one app id and scope's single instance lives.
 * @param appId - a valid app id (see {@link validateAppId})
 * @param scope - the scope
 * @param context - platform, user, session, state directory, machine and confinement
 */
export function derivePlaces(appId: string, scope: Scope, context: PlaceContext): Places {
  return context.platform === 'win32' ? win32Places(appId, scope, context) : posixPlaces(appId, context);
}

function win32Places(appId: string, scope: Scope, context: PlaceContext): Places {
  const stem = fitted(`${appId}${scope === 'session' ? `-${context.session ?? 0}` : '-user'}`, MAX_RECORD_NAME);
  return {
    record: path.win32.join(context.stateDir, `${stem}.json`),
    lock: win32MutexName(appId, scope, context.user),
    stateDir: context.stateDir,
    beacon: null,
    semaphoreKeys: [],
    installation: context.installFolderHash === null ? null : win32InstallationMutexName(appId, context.installFolderHash),
    installerNotes: path.win32.join(context.stateDir, installerNotesName(appId)),
  };
}

/** Linux/macOS: one instance per user (and machine); `session` and `user` scopes share it, as with Electron's lock. */
function posixPlaces(appId: string, context: PlaceContext): Places {
  const id = Buffer.byteLength(appId) <= MAX_FILE_STEM ? appId : digest(appId);
  const stem = context.host ? `${id}@${context.host}` : id;
  const snapPrefix = context.sandbox?.startsWith('snap.') ? `${context.sandbox}.` : '';
  return {
    record: path.posix.join(context.stateDir, `${stem}.json`),
    lock: path.posix.join(context.stateDir, `${stem}.lock`),
    stateDir: context.stateDir,
    beacon: context.platform === 'linux' ? `${snapPrefix}sole-instance/${context.user}/${digest(stem)}` : null,
    // Only a launch that takes the lock needs them: a second instance never hashes them.
    get semaphoreKeys() {
      return semaphoreKeys(`${context.sandbox ?? 'desktop'}/${context.user}/${stem}`);
    },
    installation: null,
    installerNotes: null,
  };
}

/**
 * Keys a presence semaphore may take, tried in order: a key another user took first is stepped
 * over. Anyone can compute them: one who takes all of them leaves the primary without its
 * semaphore (degraded, and said so).
 */
const SEMAPHORE_KEYS = 8;

/** The System V keys of one user's instance: positive 31-bit numbers (0 is `IPC_PRIVATE`). */
function semaphoreKeys(name: string): number[] {
  return Array.from({ length: SEMAPHORE_KEYS }, (_, index) => Number.parseInt(digest(`sole-instance/${name}/${index}`).slice(0, 8), 16) % 0x7fffffff || 1);
}

/**
 * A Unix socket path in `dir`, checked against the platform's `sun_path` size.
 * @param platform - Linux or macOS
 * @param dir - the endpoint's private directory
 * @returns the path, or `undefined` when `dir` is too long for one
 */
export function socketPathIn(platform: NodeJS.Platform, dir: string): string | undefined {
  const socket = path.posix.join(dir, 's.sock');
  return Buffer.byteLength(socket) <= (SOCKET_PATH_BYTES[platform] ?? DEFAULT_SOCKET_PATH_BYTES) - 1 ? socket : undefined;
}

/** `text` itself when it fits in `max` characters, else a readable prefix plus a digest of all of it. */
function fitted(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  const hash = digest(text);
  return `${text.slice(0, max - hash.length - 1)}-${hash}`;
}

/**
 * A 128-bit hash of `text` as 32 hex digits: four multiplicative lanes over its UTF-8 bytes, then
 * cross-mixed and finished with murmur3's avalanche. Stable names from any text, not a secret
 * (every name derived here is predictable by design); it keeps Node's crypto off a launch's path.
 */
function digest(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let a = 0x9e3779b1;
  let b = 0x85ebca6b;
  let c = 0xc2b2ae35;
  let d = 0x27d4eb2f;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index] ?? 0;
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x5bd1e995);
    c = Math.imul(c ^ byte, 0x1b873593);
    d = Math.imul(d ^ byte, 0xcc9e2d51);
  }
  const mixed = [a ^ Math.imul(b, 0x9e3779b1), b ^ Math.imul(c, 0x9e3779b1), c ^ Math.imul(d, 0x9e3779b1), d ^ Math.imul(a, 0x9e3779b1)];
  return mixed.map((lane) => avalanche(lane ^ text.length).toString(16).padStart(8, '0')).join('');
}

/** murmur3's 32-bit finaliser: every input bit flips each output bit with probability ½. */
function avalanche(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
