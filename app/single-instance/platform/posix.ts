/**
 * Linux and macOS. The lock file and the record live in a state directory chosen from what the
 * process knows for sure about where it runs (the password database, the sandbox it is in: see
 * locations.ts), never from variables any program can set, so `sudo -E`, a missing
 * `XDG_RUNTIME_DIR`, another `HOME` or `TMPDIR` change nothing; named for this machine where homes
 * may be shared. Each primary listens in a fresh private directory on a local file system, which
 * nobody can create first. Nothing native is loaded until the lock is needed, so the common
 * double-click never loads the FFI library.
 */
import { fs, net, os, path } from '../builtins.js';
import type { Stats } from 'node:fs';
import { EndpointError, describeOsError, errnoCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { type Places, derivePlaces, socketPathIn } from '../names.js';
import type { Trace } from '../trace.js';
import { type Locations, type PosixFacts, locationsFor } from './locations.js';
import { lockHeldElsewhere } from './lock-holders.js';
import type { Endpoint, Held, Platform } from './types.js';

const uid = process.getuid?.() ?? 0;

let machine: string | undefined;

/** Linux: this machine's id (a home may be shared between machines over NFS); the host name if there is none. */
export function machineId(): string {
  machine ??= readMachineId();
  return machine;
}

function readMachineId(): string {
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = fs.readFileSync(file, 'utf8').trim();
      if (/^[0-9a-f]{32}$/.test(id)) {
        return id.slice(0, 12);
      }
    } catch {
      // try the next one
    }
  }
  return os.hostname().replace(/[^\w.-]/g, '_');
}

let located: Locations | undefined;

/** Where this process's instances may live (found once). */
function locations(): Locations {
  located ??= locationsFor(facts());
  return located;
}

/** What this process knows for sure about where it runs. */
export function facts(): PosixFacts {
  const darwin = process.platform === 'darwin';
  return {
    platform: darwin ? 'darwin' : 'linux',
    uid,
    home: passwdHome(),
    flatpak: darwin ? null : flatpakId(),
    snap: darwin ? null : snapName(),
    macSandbox: darwin ? (process.env.APP_SANDBOX_CONTAINER_ID ?? null) : null,
    macTemp: darwin ? os.tmpdir() : null,
  };
}

/** The home directory the password database gives this user, or `null` when it has no entry. */
function passwdHome(): string | null {
  try {
    return os.userInfo().homedir;
  } catch {
    return null;
  }
}

/** Flatpak's app id, from the `/.flatpak-info` it puts at the root of every sandbox (which nothing outside one has). */
function flatpakId(): string | null {
  if (!fs.existsSync('/.flatpak-info')) {
    return null;
  }
  try {
    const info = fs.readFileSync('/.flatpak-info', 'utf8');
    const name = /^\[Application\][^[]*?^name=([\w.-]+)\s*$/m.exec(info)?.[1];
    return name ?? null;
  } catch {
    return null;
  }
}

/**
 * The snap's instance name, as snapd sets it for every process of a snap, believed only for a
 * program that runs from the snap's own folder (`$SNAP`): a program a snap started (from its
 * terminal, say) inherits the variables without running in the snap.
 */
function snapName(): string | null {
  const { SNAP: root, SNAP_INSTANCE_NAME: name } = process.env;
  const valid = name !== undefined && /^[a-z0-9][a-z0-9_-]*$/.test(name) && root !== undefined && root.startsWith('/snap/');
  return valid && process.execPath.startsWith(`${root}/`) ? name : null;
}

/** Whether `stat` is a real directory (not a symlink) of this user's. */
function isOurs(stat: Stats | undefined): stat is Stats {
  return stat !== undefined && stat.isDirectory() && stat.uid === uid;
}

/** Whether `dir` is ours, or does not exist and its nearest existing ancestor lets us create it. */
function oursOrCreatable(dir: string): boolean {
  const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (stat) {
    return isOurs(stat);
  }
  let ancestor = path.dirname(dir);
  while (!fs.existsSync(ancestor)) {
    ancestor = path.dirname(ancestor);
  }
  try {
    fs.accessSync(ancestor, fs.constants.W_OK);
    return fs.statSync(ancestor).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The state directory: the first candidate that is ours or can be made ours, else the first
 * random-named temp folder of ours, else a new one. Every launch of this user makes the same
 * choice, as it depends only on what is on disk; two first launches that each make a temp folder
 * at once still meet, as a primary's record is looked for in every folder of ours (and its
 * presence tells the other that it lives).
 * @throws EndpointError naming the target and what it needs, when none can be
 */
function stateDir(): string {
  const { stateDirs, tempPrefix, target, remedy } = locations();
  const usable = stateDirs.find(oursOrCreatable) ?? (tempPrefix === null ? undefined : tempStateDir(tempPrefix));
  if (usable === undefined) {
    throw new EndpointError(`no state directory can be made (${target}: tried ${[...stateDirs, ...(tempPrefix ? [`${tempPrefix}*`] : [])].join(', ')}); ${remedy}.`);
  }
  return usable;
}

/** The first temp folder of ours named `<prefix><random>`, or a new one; `undefined` when none can be made. */
function tempStateDir(prefix: string): string | undefined {
  const [first] = tempDirsOfOurs(prefix);
  if (first !== undefined) {
    return first;
  }
  try {
    return fs.mkdtempSync(prefix);
  } catch {
    return undefined;
  }
}

/** This user's private folders named `<prefix>…`, in name order. */
function tempDirsOfOurs(prefix: string): string[] {
  const parent = path.dirname(prefix);
  const start = path.basename(prefix);
  let names: string[];
  try {
    names = fs.readdirSync(parent).filter((name) => name.startsWith(start)).sort();
  } catch {
    return [];
  }
  return names.map((name) => path.join(parent, name)).filter((dir) => {
    const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
    return isOurs(stat) && (stat.mode & 0o077) === 0;
  });
}

/**
 * Records that another candidate directory holds: a primary that chose before someone else's
 * leftover appeared or went, or before the user's runtime folder appeared (a login while a
 * service account's primary runs), including the temp folders of random names.
 */
function otherRecords(places: Places): string[] {
  const { stateDirs, tempPrefix } = locations();
  const temp = tempPrefix === null ? [] : tempDirsOfOurs(tempPrefix);
  return [...stateDirs, ...temp]
    .filter((dir) => dir !== places.stateDir && isOurs(fs.lstatSync(dir, { throwIfNoEntry: false })))
    .map((dir) => path.join(dir, path.basename(places.record)));
}

/** Whether an endpoint may go in `base`: a runtime folder only while it is ours and private. */
function endpointBaseUsable(base: string, locations: Locations): boolean {
  if (!locations.privateBases.has(base)) {
    return true;
  }
  const stat = fs.lstatSync(base, { throwIfNoEntry: false });
  return isOurs(stat) && (stat.mode & 0o077) === 0;
}

/** What an endpoint's folder is named: this, then six random characters (`mkdtemp`). */
const ENDPOINT_DIR_PREFIX = 'sole-instance-';
const ENDPOINT_DIR = new RegExp(`^${ENDPOINT_DIR_PREFIX}[A-Za-z0-9]{6}$`);

/** A socket in a new `0700` directory of a random name, in the first base that takes one. */
function createEndpoint(): Endpoint {
  const located = locations();
  const problems: string[] = [];
  for (const base of located.endpointBases.filter((candidate) => endpointBaseUsable(candidate, located))) {
    let dir: string;
    try {
      dir = fs.mkdtempSync(path.join(base, ENDPOINT_DIR_PREFIX));
    } catch (error) {
      problems.push(`${base}: ${describeOsError(error)}`);
      continue;
    }
    const socket = socketPathIn(process.platform, dir);
    if (socket) {
      return {
        path: socket,
        watched: [dir],
        isIntact: () => fs.lstatSync(socket, { throwIfNoEntry: false })?.isSocket() === true,
        remove: () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    }
    fs.rmdirSync(dir);
    problems.push(`${base}: too long for a Unix socket path`);
  }
  throw new EndpointError(`no folder takes this app's endpoint (${located.target}: ${problems.join('; ') || 'none is usable'}); ${located.remedy}.`);
}

/**
 * Removes a dead primary's endpoint folder: a private folder of ours, named and placed as endpoints
 * are, holding nothing but the socket, on which nothing listens (a connection is refused; a
 * primary that is alive, even stopped, has the kernel accept it).
 */
async function removeDeadEndpoint(endpoint: string): Promise<boolean> {
  const dir = path.dirname(endpoint);
  const placed = locations().endpointBases.includes(path.dirname(dir)) && ENDPOINT_DIR.test(path.basename(dir));
  if (!placed || !posix.trustsEndpoint(endpoint) || !fs.lstatSync(endpoint, { throwIfNoEntry: false })?.isSocket()) {
    return false;
  }
  if (fs.readdirSync(dir).length !== 1 || !(await refused(endpoint))) {
    return false;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
}

/** Whether connecting to the socket is refused: nothing listens on it. */
function refused(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(endpoint);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error) => resolve(errnoCode(error) === 'ECONNREFUSED'));
  });
}

/** Rounds of "the state directory was deleted again right after we created it" before giving up. */
const MAX_RECREATES = 8;

/**
 * Creates the state directory (`0700`) if needed, and makes sure it is a directory of ours
 * that only we may enter; `true` when it had to be created.
 */
function prepareStateDir(dir: string): boolean {
  for (let round = 0; round < MAX_RECREATES; round += 1) {
    let created: string | undefined;
    try {
      created = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new EndpointError(`cannot create the state directory ${dir}: ${describeOsError(error)}`, { cause: error });
    }
    const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (stat) {
      verifyStateDir(dir, stat);
      return created !== undefined;
    }
  }
  throw new EndpointError(`the state directory ${dir} is deleted as fast as it is created; stop whatever removes it and launch again.`);
}

function verifyStateDir(dir: string, stat: Stats): void {
  if (!stat.isDirectory() || stat.uid !== uid) {
    throw new EndpointError(
      `${dir} is not a directory of uid ${uid} (it is uid ${stat.uid}'s ${stat.isSymbolicLink() ? 'symlink' : 'entry'}); remove it (as its owner or root) and launch again.`,
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    try {
      fs.chmodSync(dir, 0o700);
    } catch (error) {
      throw new EndpointError(`cannot make ${dir} private (mode ${(stat.mode & 0o777).toString(8)}): ${errnoCode(error) ?? String(error)}`, { cause: error });
    }
  }
}

/**
 * Holds what shows that this primary lives, whatever is deleted: the presence semaphore and, on
 * Linux, the beacon, each taken only if no live process of this user holds it. Either may be
 * refused (a sandbox without System V IPC, a name another user took); the other still guards
 * the primary, and the reason is logged. Without both, Linux asks the kernel who holds a lock
 * file at the lock's path (see lock-holders.ts): a live primary whose files were deleted is found there too.
 */
async function claimPresence(places: Places, logger: Logger, trace: Trace): Promise<Held | 'rival'> {
  const [{ claimBeacon }, { claimSemaphore }] = await Promise.all([import('./beacon.js'), import('./semaphore.js')]);
  const semaphore = await claimSemaphore(places.semaphoreKeys);
  if (semaphore === 'rival') {
    return 'rival';
  }
  const beacon = places.beacon === null
    ? undefined
    : await claimBeacon(places.beacon, logger, trace).catch((error: unknown) => {
        semaphore?.close();
        throw error;
      });
  if (beacon === 'rival') {
    semaphore?.close();
    return 'rival';
  }
  const whole = semaphore !== undefined && (places.beacon === null || beacon !== undefined);
  if (!whole && lockHeldElsewhere(places.lock)) {
    beacon?.close();
    semaphore?.close();
    return 'rival';
  }
  if (!semaphore) {
    logger.warn('cannot raise the presence semaphore (System V IPC refused, or every key taken by another user): if this app\'s files are deleted while it runs, a launch from another network namespace could start a second instance');
    trace({ event: 'degraded', what: 'semaphore' });
  }
  return {
    close: () => {
      beacon?.close();
      semaphore?.close();
    },
  };
}

/** The Linux/macOS platform. */
export const posix: Platform = {
  owner: uid,
  privateEndpoints: true,
  trustsEndpoint: (endpoint) => {
    const stat = fs.lstatSync(path.dirname(endpoint), { throwIfNoEntry: false });
    return isOurs(stat) && (stat.mode & 0o077) === 0;
  },
  places(appId, scope) {
    const dir = stateDir();
    const host = process.platform === 'linux' ? machineId() : '';
    return Promise.resolve(derivePlaces(appId, scope, { platform: process.platform, user: String(uid), session: null, stateDir: dir, host, sandbox: locations().sandbox, installFolderHash: null }));
  },
  otherRecords,
  prepareStateDir: (places) => prepareStateDir(places.stateDir),
  // The lock's code (and koffi) is loaded only by a launch that needs the lock: not by a second instance.
  createLock: async (places) => (await import('./flock.js')).FlockLock.open(places.lock),
  createEndpoint,
  removeDeadEndpoint,
  claimPresence,
  allowForeground: () => false,
};
