/**
 * Linux: the kernel's own account of who holds a lock file, for when the presence could not be
 * taken in full (another user took the beacon's name and every semaphore key first, or the
 * sandbox has no System V IPC). `/proc/locks` names each `flock` holder's pid and the locked
 * inode; `/proc/<pid>/fd` names the file each descriptor opened, with ` (deleted)` once it was
 * removed. A process of this user that holds an `flock` on a file that is, or was, at the lock's
 * path is a primary whose files were deleted (or a launch that locked the file before it was):
 * the launch that locked the new file hands over instead of becoming a second primary. Only this
 * user's processes count, on the state directory's file system: no other user can add one.
 */
import { fs, path } from '../builtins.js';

/** `<n>: FLOCK <ADVISORY|MANDATORY> WRITE <pid> <major>:<minor>:<inode> …`; a waiter's line has `->` and does not match. */
const FLOCK_LINE = /^\d+:\s+FLOCK\s+\S+\s+WRITE\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/;

/**
 * Whether a live process of this user other than this one holds an `flock` on a file that is,
 * or was before it was deleted, at `lockPath`; `false` where the kernel does not say (no `/proc`).
 * @param lockPath - the lock file's path
 */
export function lockHeldElsewhere(lockPath: string): boolean {
  const device = deviceOf(lockPath);
  let locks: string;
  try {
    locks = fs.readFileSync('/proc/locks', 'utf8');
  } catch {
    return false;
  }
  const uid = process.getuid?.();
  return locks.split('\n').some((line) => {
    const match = FLOCK_LINE.exec(line);
    const pid = Number(match?.[1]);
    return match !== null && pid !== process.pid && pid !== 0 && ownedBy(pid, uid) && holds(pid, lockPath, device, BigInt(match[2] ?? 0));
  });
}

/** The device of the file system `file` is on: that of the nearest folder above it that exists (a cleaner may have deleted its own). */
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

/** Whether one of `pid`'s descriptors is the file at `lockPath` (or was, before it was deleted), that inode on that device. */
function holds(pid: number, lockPath: string, device: bigint | undefined, inode: bigint): boolean {
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
      return stat.ino === inode && stat.dev === device;
    } catch {
      return false;
    }
  });
}
