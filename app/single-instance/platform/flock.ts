/**
 * Linux/macOS lock: `flock(LOCK_EX | LOCK_NB)` through koffi on a file in the user's state
 * directory. The lock belongs to the open file description, which the kernel closes when the
 * process dies, so a crash never leaves a stale lock. Node opens files with `O_CLOEXEC`, so
 * children do not inherit (and keep alive) the lock. The file stays when the lock is released:
 * deleting it would let a contender lock an unlinked file; a contender that locked one anyway
 * (someone deleted the file meanwhile) notices, as its descriptor no longer matches the path.
 */
import { fs } from '../builtins.js';
import { LockError, describeOsError, errnoCode } from '../errors.js';
import { type KoffiModule, loadKoffi, loadLibc } from './koffi.js';
import type { KernelLock } from './types.js';

const LOCK_EX = 2;
const LOCK_NB = 4;
/** Rounds of "locked a file that was unlinked meanwhile" before giving up for this attempt. */
const MAX_RELINKS = 8;

type Flock = (fd: number, operation: number) => number;

/** `flock` lock on a file path. */
export class FlockLock implements KernelLock {
  private fd: number | null = null;

  private constructor(
    private readonly koffi: KoffiModule,
    private readonly flock: Flock,
    private readonly path: string,
  ) {}

  /**
   * Loads koffi and libc's `flock` for a lock file.
   * @param path - the lock file (created `0600` if missing)
   */
  static async open(path: string): Promise<FlockLock> {
    const libc = await loadLibc();
    return new FlockLock(await loadKoffi(), libc.func('int flock(int fd, int operation)') as Flock, path);
  }

  tryAcquire(): boolean {
    this.fd ??= this.lockCurrentFile();
    return this.fd !== null;
  }

  isIntact(): boolean {
    return this.fd !== null && this.isCurrentFile(this.fd);
  }

  restore(): boolean {
    const fd = this.lockCurrentFile();
    if (fd === null) {
      return false;
    }
    if (this.fd !== null) {
      fs.closeSync(this.fd);
    }
    this.fd = fd;
    return true;
  }

  release(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }

  /** A descriptor holding the lock on the file now at the path, or `null` when another process holds it. */
  private lockCurrentFile(): number | null {
    for (let round = 0; round < MAX_RELINKS; round += 1) {
      const fd = this.openFile();
      if (fd === null) {
        return null;
      }
      if (this.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
        const errno = this.koffi.errno();
        fs.closeSync(fd);
        if (errno === this.koffi.os.errno.EWOULDBLOCK || errno === this.koffi.os.errno.EAGAIN) {
          return null;
        }
        throw new LockError(`flock(${this.path}) failed with errno ${errno}.`, { osCode: errno });
      }
      if (this.isCurrentFile(fd)) {
        return fd;
      }
      fs.closeSync(fd);
    }
    return null;
  }

  /** The lock file, opened (created if needed); `null` when its directory was just deleted. */
  private openFile(): number | null {
    const { O_RDWR, O_CREAT, O_NOFOLLOW } = fs.constants;
    try {
      return fs.openSync(this.path, O_RDWR | O_CREAT | O_NOFOLLOW, 0o600);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') {
        return null;
      }
      throw new LockError(`cannot open the lock file ${this.path}: ${describeOsError(error)}`, { cause: error });
    }
  }

  private isCurrentFile(fd: number): boolean {
    const held = fs.fstatSync(fd);
    const current = fs.statSync(this.path, { throwIfNoEntry: false });
    return current !== undefined && current.ino === held.ino && current.dev === held.dev;
  }
}
