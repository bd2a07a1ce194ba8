/**
 * Linux and macOS: the presence semaphore, a System V semaphore a live primary holds raised
 * (`SEM_UNDO`: the kernel lowers it again when the primary dies, however it dies). Like the
 * beacon, no file operation can remove it; unlike the beacon, it is seen from every network
 * namespace (a launch from `unshare -n`, a sandbox without network) and on macOS, which has no
 * abstract sockets. So when a primary's lock file is deleted under it, a launch that locks a
 * re-created lock file can still tell that a primary lives, even while that primary is stopped.
 *
 * Its key is predictable, so another user could create a set of that key first: a launch believes
 * a set only when it belongs to this user and nobody else may change it, and takes the next key
 * of a short sequence when one is taken; every launch of the user makes the same choice.
 */
import { type KoffiModule, loadKoffi, loadLibc } from './koffi.js';
import type { Held } from './types.js';

/** The constants that differ between Linux and macOS, and where `ipc_perm` keeps the owner, creator and mode. */
const LAYOUT = process.platform === 'darwin'
  ? { getval: 5, uid: 0, cuid: 8, mode: 16, modeBytes: 2 }
  : { getval: 12, uid: 4, cuid: 12, mode: 20, modeBytes: 4 };
const IPC_CREAT = 0o1000;
const IPC_STAT = 2;
const SEM_UNDO = 0x1000;
/** `struct sembuf { unsigned short sem_num; short sem_op; short sem_flg; }` */
const SEMBUF_BYTES = 6;
/** Room for `struct semid_ds` on every platform. */
const SEMID_DS_BYTES = 256;

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

/** Whether the set is this user's and only this user's: owned and created by them, changeable by nobody else. */
function ours(api: SemaphoreCalls, id: number): boolean {
  const stat = Buffer.alloc(SEMID_DS_BYTES);
  if (api.semctl(id, 0, IPC_STAT, 'void *', stat) !== 0) {
    return false;
  }
  const uid = process.getuid?.();
  const mode = LAYOUT.modeBytes === 2 ? stat.readUInt16LE(LAYOUT.mode) : stat.readUInt32LE(LAYOUT.mode);
  return stat.readUInt32LE(LAYOUT.uid) === uid && stat.readUInt32LE(LAYOUT.cuid) === uid && (mode & 0o066) === 0;
}

/** Raises (+1) or lowers (-1) the semaphore; the kernel undoes it when the process dies. */
function change(api: SemaphoreCalls, id: number, by: 1 | -1): boolean {
  const operation = Buffer.alloc(SEMBUF_BYTES);
  operation.writeInt16LE(by, 2);
  operation.writeInt16LE(SEM_UNDO, 4);
  return api.semop(id, operation, 1) === 0;
}

/**
 * Raises this user's presence semaphore until closed.
 * @param keys - the key sequence (see `Places.semaphoreKeys`)
 * @returns the held semaphore, or `undefined` when every key is taken by someone else or IPC is refused
 */
export async function holdSemaphore(keys: readonly number[]): Promise<Held | undefined> {
  const api = await semaphoreCalls();
  for (const key of keys) {
    const id = api.semget(key, 1, IPC_CREAT | 0o600);
    if (id >= 0 && ours(api, id) && change(api, id, 1)) {
      return { close: () => void change(api, id, -1) };
    }
  }
  return undefined;
}

/**
 * Whether a live process of this user (other than this one, which holds none) holds the
 * presence semaphore raised.
 * @param keys - the key sequence
 */
export async function semaphoreRaised(keys: readonly number[]): Promise<boolean> {
  const api = await semaphoreCalls();
  for (const key of keys) {
    const id = api.semget(key, 1, 0);
    if (id < 0 && api.koffi.errno() === api.koffi.os.errno.ENOENT) {
      return false;
    }
    if (id >= 0 && ours(api, id)) {
      return api.semctl(id, 0, LAYOUT.getval) > 0;
    }
  }
  return false;
}
