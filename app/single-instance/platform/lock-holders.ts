/**
 * Linux: the kernel's own account of who holds a lock file, for when the presence could not be
 * taken in full (another user took the beacon's name and every semaphore key first, or the
 * sandbox has no System V IPC). `/proc/locks` names each `flock` holder's pid and the locked
 * inode; `/proc/<pid>/fd` names the file each descriptor opened, with ` (deleted)` once it was
 * removed. A process of this user that holds an `flock` on a file that is, or was, at the lock's
 * path is a primary whose files were deleted (or a launch that locked the file before it was):
 * the launch that locked the new file hands over instead of becoming a second primary. Only this
 * user's processes count, on the state directory's file system: no other user can add one.
 *
 * Limits: the kernel lists only the locks of processes in the reader's PID namespace, so a
 * primary in another one (each `flatpak run` has its own) is not seen. A launch stopped between
 * its lock and its presence, whose lock file was then deleted, counts as a holder until it runs
 * again or dies: launches hand over to nobody (exit 3) meanwhile, never becoming a second primary.
 */
import { fs, path } from '../builtins.js';

/** `<n>: FLOCK <ADVISORY|MANDATORY> WRITE <pid> <major>:<minor>:<inode> …`; a waiter's line has `->` and does not match. */
const FLOCK_LINE = /^\d+:\s+FLOCK\s+\S+\s+WRITE\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/;

/**
 * Whether a live process of this user other than this one holds an `flock` on a file that is,
 * or was before it was deleted, at `lockPath`; `false` where the kernel does not say (no `/proc`).
 * The kernel lists only the locks of processes in this launch's PID namespace.
 * @param lockPath - the lock file's path, whose current file this launch holds locked
 */
export function lockHeldElsewhere(lockPath: string): boolean {
  let locks: string;
  let self: number;
  try {
    locks = fs.readFileSync('/proc/locks', 'utf8');
    // This process as the mounted /proc numbers it (a /proc of another PID namespace numbers it otherwise).
    self = Number(fs.readlinkSync('/proc/self'));
  } catch {
    return false;
  }
  const current = fs.statSync(lockPath, { bigint: true, throwIfNoEntry: false });
  const own = current?.ino;
  const device = current?.dev ?? deviceOf(lockPath);
  const uid = process.getuid?.();
  const held = new Map<number, Set<bigint>>();
  for (const line of locks.split('\n')) {
    const match = FLOCK_LINE.exec(line);
    const pid = Number(match?.[1]);
    const inode = BigInt(match?.[2] ?? -1);
    if (match !== null && pid !== self && pid !== 0 && inode !== own) {
      held.set(pid, (held.get(pid) ?? new Set()).add(inode));
    }
  }
  return [...held].some(([pid, inodes]) => ownedBy(pid, uid) && holds(pid, lockPath, device, inodes));
}

/** The device of the file system a deleted `file` was on: that of the nearest folder above it that exists (a cleaner may have deleted its own). */
function deviceOf(file: string): bigint | undefined {
  for (let at = path.dirname(file); ; at = path.dirname(at)) {
    const stat = fs.statSync(at, { bigint: true, throwIfNoEntry: false });
    if (stat || at === path.dirname(at)) {
      return stat?.dev;
    }
  }
}

function ownedBy(pid: number, uid: number | undefined): boolean {
  return fs.statSync(`/proc/${pid}`, { throwIfNoEntry: false })?.uid === uid;
}

/** Whether one of `pid`'s descriptors is the file at `lockPath` (or was, before it was deleted), one of `inodes` on that device; its descriptors are read once. */
function holds(pid: number, lockPath: string, device: bigint | undefined, inodes: ReadonlySet<bigint>): boolean {
  const dir = `/proc/${pid}/fd`;
  let descriptors: string[];
  try {
    descriptors = fs.readdirSync(dir);
  } catch {
    return false;
  }
  return descriptors.some((descriptor) => {
    try {
      const target = fs.readlinkSync(`${dir}/${descriptor}`);
      if (target !== lockPath && target !== `${lockPath} (deleted)`) {
        return false;
      }
      const stat = fs.statSync(`${dir}/${descriptor}`, { bigint: true });
      return inodes.has(stat.ino) && stat.dev === device;
    } catch {
      return false;
    }
  });
}
