/**
 * Linux and macOS: the presence semaphore, a System V semaphore a live primary holds raised
 * (`SEM_UNDO`: the kernel lowers it again when the primary dies, however it dies). Like the
 * beacon, no file operation can remove it; unlike the beacon, it is seen from every network
 * namespace (a launch from `unshare -n`, a sandbox without network) and on macOS, which has no
 * abstract sockets. A launch that takes the lock raises it in one atomic operation that requires
 * it to be down: of two launches that each locked a lock file (one of them re-created after a
 * deletion), only one raises it, and the other knows a primary lives and hands over.
 *
 * The set has a second semaphore, raised while the set is being removed: a primary that lets go
 * lowers its presence and raises that one in one operation, then removes the set (so a user's
 * sets do not pile up), and a launch that finds it raised tries again on a fresh set.
 *
 * Its key is predictable, so another user could create a set of that key first: a launch believes
 * a set only when it belongs to this user and nobody else may change it, and takes the next key
 * of a short sequence when one is taken; every launch of the user makes the same choice.
 */
import { type KoffiModule, loadKoffi, loadLibc } from './koffi.js';
import { sleep } from '../builtins.js';
import type { Held } from './types.js';

/** The constants that differ between Linux and macOS, and where `ipc_perm` keeps the owner, creator and mode. */
const LAYOUT = process.platform === 'darwin'
  ? { getval: 5, uid: 0, cuid: 8, mode: 16, modeBytes: 2 }
  : { getval: 12, uid: 4, cuid: 12, mode: 20, modeBytes: 4 };
const IPC_CREAT = 0o1000;
const IPC_NOWAIT = 0o4000;
const IPC_RMID = 0;
const IPC_STAT = 2;
const SEM_UNDO = 0x1000;
/** The set's semaphores: the primary's presence, and the flag of a set being removed. */
const PRESENCE = 0;
const REMOVING = 1;
/** `struct sembuf { unsigned short sem_num; short sem_op; short sem_flg; }` */
const SEMBUF_BYTES = 6;
/** Room for `struct semid_ds` on every platform. */
const SEMID_DS_BYTES = 256;
/** How many times a launch tries again on a set removed (or being removed) as it raised it. */
const REMOVAL_RETRIES = 50;

/** The libc calls used. */
interface SemaphoreCalls {
  koffi: KoffiModule;
  semget(key: number, count: number, flags: number): number;
  semop(id: number, operations: Buffer, count: number): number;
  semctl(id: number, index: number, command: number, ...rest: unknown[]): number;
}

let calls: SemaphoreCalls | undefined;

async function semaphoreCalls(): Promise<SemaphoreCalls> {
  if (!calls) {
    const libc = await loadLibc();
    calls = {
      koffi: await loadKoffi(),
      semget: libc.func('int semget(int key, int nsems, int semflg)'),
      semop: libc.func('int semop(int semid, void *sops, size_t nsops)'),
      semctl: libc.func('int semctl(int semid, int semnum, int cmd, ...)'),
    };
  }
  return calls;
}

/**
 * Whether the set is this user's and only this user's (owned and created by them, changeable by
 * nobody else); `'gone'` when it was removed as it was looked at.
 */
function ownership(api: SemaphoreCalls, id: number): 'ours' | 'not-ours' | 'gone' {
  const stat = Buffer.alloc(SEMID_DS_BYTES);
  if (api.semctl(id, 0, IPC_STAT, 'void *', stat) !== 0) {
    const { EIDRM, EINVAL } = api.koffi.os.errno;
    const errno = api.koffi.errno();
    return errno === EIDRM || errno === EINVAL ? 'gone' : 'not-ours';
  }
  const uid = process.getuid?.();
  const mode = LAYOUT.modeBytes === 2 ? stat.readUInt16LE(LAYOUT.mode) : stat.readUInt32LE(LAYOUT.mode);
  return stat.readUInt32LE(LAYOUT.uid) === uid && stat.readUInt32LE(LAYOUT.cuid) === uid && (mode & 0o066) === 0 ? 'ours' : 'not-ours';
}

/** Applies `[semaphore, change, flags]` operations as one: all of them, or (returning false) none. */
function atomically(api: SemaphoreCalls, id: number, operations: readonly (readonly [number, number, number])[]): boolean {
  const buffer = Buffer.alloc(SEMBUF_BYTES * operations.length);
  operations.forEach(([semaphore, by, flags], index) => {
    buffer.writeUInt16LE(semaphore, index * SEMBUF_BYTES);
    buffer.writeInt16LE(by, index * SEMBUF_BYTES + 2);
    buffer.writeInt16LE(flags, index * SEMBUF_BYTES + 4);
  });
  return api.semop(id, buffer, operations.length) === 0;
}

/** What raising the presence on one set came to. */
type Raised = Held | 'rival' | 'again' | 'refused';

/** Raises the presence of set `id` if it is down and the set is not being removed. */
function raise(api: SemaphoreCalls, id: number): Raised {
  const { EAGAIN, EIDRM, EINVAL } = api.koffi.os.errno;
  if (atomically(api, id, [[PRESENCE, 0, IPC_NOWAIT], [REMOVING, 0, IPC_NOWAIT], [PRESENCE, 1, SEM_UNDO | IPC_NOWAIT]])) {
    return { close: () => letGo(api, id) };
  }
  const errno = api.koffi.errno();
  if (errno === EAGAIN) {
    return api.semctl(id, PRESENCE, LAYOUT.getval) > 0 ? 'rival' : 'again';
  }
  return errno === EIDRM || errno === EINVAL ? 'again' : 'refused';
}

/** Lowers the presence and marks the set as being removed in one operation, then removes it. */
function letGo(api: SemaphoreCalls, id: number): void {
  if (atomically(api, id, [[PRESENCE, -1, SEM_UNDO | IPC_NOWAIT], [REMOVING, 1, SEM_UNDO | IPC_NOWAIT]])) {
    api.semctl(id, 0, IPC_RMID);
  }
}

/**
 * Raises this user's presence semaphore, unless a live primary holds it raised.
 * @param keys - the key sequence (see `Places.semaphoreKeys`)
 * @returns the held semaphore (closing it lets go and removes the set); `'rival'` when a live
 *   process of this user holds it; `undefined` when every key is taken by someone else or IPC is refused
 */
export async function claimSemaphore(keys: readonly number[]): Promise<Held | 'rival' | undefined> {
  const api = await semaphoreCalls();
  for (let attempt = 0; attempt < REMOVAL_RETRIES; attempt += 1) {
    const raised = raiseFirstOurs(api, keys);
    if (raised !== 'again') {
      return raised === 'refused' ? undefined : raised;
    }
    await sleep(1);
  }
  return undefined;
}

/**
 * Raises the first set of the sequence that is this user's (creating it when it does not exist);
 * a set another user made, or of another shape, is skipped the same way by every launch.
 */
function raiseFirstOurs(api: SemaphoreCalls, keys: readonly number[]): Raised {
  for (const key of keys) {
    const id = api.semget(key, 2, IPC_CREAT | 0o600);
    const owner = id >= 0 ? ownership(api, id) : 'not-ours';
    if (owner !== 'not-ours') {
      return owner === 'gone' ? 'again' : raise(api, id);
    }
  }
  return 'refused';
}
