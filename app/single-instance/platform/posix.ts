/**
 * Linux and macOS. The lock file and the record live in the user's state directory under the
 * home directory the password database gives (so `sudo -E`, a missing `XDG_RUNTIME_DIR` or
 * another `TMPDIR` change nothing), named for this machine where homes may be shared. Each
 * primary listens in a fresh private directory on a local file system (`/run/user/<uid>` or the
 * temp directory), which nobody can create first. Nothing native is loaded until the lock is
 * needed, so the common double-click never loads the FFI library.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EndpointError, errnoCode } from '../errors.js';
import { derivePlaces, socketPathIn, stateDirFor } from '../names.js';
import type { Logger } from '../logger.js';
import type { Places } from '../names.js';
import type { Trace } from '../trace.js';
import { beaconHeldByUs, holdBeacon } from './beacon.js';
import { FlockLock } from './flock.js';
import { holdSemaphore, semaphoreRaised } from './semaphore.js';
import type { Endpoint, Held, Platform } from './types.js';

const uid = process.getuid?.() ?? 0;

let home: string | undefined;

/** The home directory the password database gives this user (`$HOME` only where there is no entry). */
function homeDirectory(): string {
  if (home === undefined) {
    try {
      home = os.userInfo().homedir;
    } catch {
      home = os.homedir();
    }
  }
  return home;
}

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

/** Whether `dir` is a real directory (not a symlink) of this user's. */
function isOurs(stat: fs.Stats | undefined): stat is fs.Stats {
  return stat !== undefined && stat.isDirectory() && stat.uid === uid;
}

/**
 * The state directory: the usual one, or, when another user's leftover sits in its way (root's,
 * after a `sudo` run, say), `~/.sole-instance-<uid>`. Every launch of this user makes the same
 * choice, as it depends only on what is on disk.
 */
function usableStateDir(home: string): string {
  const usual = stateDirFor(process.platform, home);
  const fallback = path.join(home, `.sole-instance-${uid}`);
  return [usual, fallback].find(oursOrCreatable) ?? usual;
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

/** Where endpoint directories go: the user's runtime directory if it exists and is private, else the temp directory. */
function runtimeBase(): string {
  const candidate = process.platform === 'linux' ? `/run/user/${uid}` : os.tmpdir();
  const stat = fs.lstatSync(candidate, { throwIfNoEntry: false });
  return isOurs(stat) && (stat.mode & 0o077) === 0 ? candidate : '/tmp';
}

/** A socket in a new `0700` directory of a random name. */
function createEndpoint(): Endpoint {
  for (const base of [runtimeBase(), '/tmp']) {
    const dir = fs.mkdtempSync(path.join(base, 'sole-instance-'));
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
  }
  throw new EndpointError('no directory is short enough for a Unix socket path; check that /tmp exists.');
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
      throw new EndpointError(`cannot create the state directory ${dir}: ${String(error)}`, { cause: error });
    }
    const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (stat) {
      verifyStateDir(dir, stat);
      return created !== undefined;
    }
  }
  throw new EndpointError(`the state directory ${dir} is deleted as fast as it is created; stop whatever removes it and launch again.`);
}

function verifyStateDir(dir: string, stat: fs.Stats): void {
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
 * Linux, the beacon. Either may be refused (a sandbox without System V IPC, a name another user
 * took); the other still protects the primary, and the reason is logged.
 */
async function holdPresence(places: Places, logger: Logger, trace: Trace): Promise<Held | undefined> {
  const beacon = places.beacon === null ? undefined : await holdBeacon(places.beacon, logger, trace);
  const semaphore = await holdSemaphore(places.semaphoreKeys);
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
  places(appId, scope) {
    const stateDir = usableStateDir(homeDirectory());
    const host = process.platform === 'linux' ? machineId() : '';
    const snap = process.env.SNAP_INSTANCE_NAME ?? null;
    return Promise.resolve(derivePlaces(appId, scope, { platform: process.platform, user: String(uid), session: null, stateDir, host, snap, installFolderHash: null }));
  },
  prepareStateDir: (places) => prepareStateDir(places.stateDir),
  createLock: (places) => FlockLock.open(places.lock),
  createEndpoint,
  holdPresence,
  rivalAlive: async (places) => (places.beacon !== null && (await beaconHeldByUs(places.beacon))) || semaphoreRaised(places.semaphoreKeys),
  allowForeground: () => false,
};
