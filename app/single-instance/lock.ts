/** The kernel lock that decides the primary: one small interface, one backend per OS. */

/** A non-blocking, crash-safe kernel lock: the kernel drops it when the owning process dies. */
export interface KernelLock {
  /** Tries to take the lock without blocking; `true` when we own it (now or already). */
  tryAcquire(): boolean;
  /** Releases the lock if we own it and frees every OS resource it holds. Idempotent. */
  release(): void;
}
