/**
 * Windows lock: ownership of a named kernel mutex, not its mere existence. We create or open
 * the mutex, then `WaitForSingleObject(h, 0)`: signalled or abandoned (the previous owner died)
 * means we own it; a timeout means a live process owns it, and we close our handle at once so
 * that a loser, an installer probe or any tool holding a handle never keeps a dead primary's
 * mutex alive. An elevated owner's mutex refuses us with `ERROR_ACCESS_DENIED`: owned by someone.
 */
import { LockError } from '../errors.js';
import type { KernelLock } from './types.js';
import { ERROR_ACCESS_DENIED, type Handle, WAIT_ABANDONED, WAIT_OBJECT_0, WAIT_TIMEOUT, type Win32Api } from './win32-api.js';

/** Named-mutex lock. */
export class Win32Mutex implements KernelLock {
  private handle: Handle = null;

  /**
   * @param api - the bound Win32 functions
   * @param name - the mutex name (`Local\...` or `Global\...`, from the instance names)
   */
  constructor(
    private readonly api: Win32Api,
    private readonly name: string,
  ) {}

  tryAcquire(): boolean {
    if (this.handle) {
      return true;
    }
    const handle = this.api.CreateMutexW(null, 0, this.name);
    const error = this.api.GetLastError();
    if (!handle) {
      if (error === ERROR_ACCESS_DENIED) {
        return false;
      }
      throw new LockError(`CreateMutexW(${this.name}) failed with Win32 error ${error}.`, { osCode: error });
    }
    const state = this.api.WaitForSingleObject(handle, 0);
    if (state === WAIT_OBJECT_0 || state === WAIT_ABANDONED) {
      this.handle = handle;
      return true;
    }
    this.api.CloseHandle(handle);
    if (state === WAIT_TIMEOUT) {
      return false;
    }
    throw new LockError(`WaitForSingleObject(${this.name}) returned ${state}.`, { osCode: this.api.GetLastError() });
  }

  /** A mutex cannot be deleted: what we own stays ours. */
  isIntact(): boolean {
    return this.handle !== null;
  }

  restore(): boolean {
    return this.tryAcquire();
  }

  release(): void {
    if (!this.handle) {
      return;
    }
    this.api.ReleaseMutex(this.handle);
    this.api.CloseHandle(this.handle);
    this.handle = null;
  }
}
