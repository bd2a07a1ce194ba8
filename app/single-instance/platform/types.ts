/** What differs between operating systems, behind two small interfaces: the platform and its kernel lock. */
import type { InstanceNames, Scope } from '../names.js';

/** A non-blocking, crash-safe kernel lock: the kernel drops it when the owning process dies. */
export interface KernelLock {
  /** Tries to take the lock without blocking; `true` when we own it (now or already). */
  tryAcquire(): boolean;
  /** Releases the lock if we own it and frees every OS resource it holds. Idempotent. */
  release(): void;
}

/** The operations the claim needs from the operating system, chosen once per process. */
export interface Platform {
  /** Every name for an app id and scope. */
  names(appId: string, scope: Scope): Promise<InstanceNames>;
  /**
   * Whether a primary may be listening. `false` only when it certainly is not (Linux/macOS: no
   * socket file), which is cheaper than a connect attempt.
   */
  mayBeListening(names: InstanceNames): boolean;
  /** Creates the private directory if needed and verifies it may be used. */
  preparePrivateDir(names: InstanceNames): void;
  /** Reads the primary's secret after checking where it lives; `undefined` when there is none. */
  readSecret(names: InstanceNames): Buffer | undefined;
  /** Writes a fresh secret (lock owner only) and returns it. */
  writeSecret(names: InstanceNames): Buffer;
  /** Removes what is left of a previous endpoint and this one's files (lock owner only). */
  removeEndpoint(names: InstanceNames): void;
  /** A lock backend for those names (loads the FFI library). */
  createLock(names: InstanceNames): Promise<KernelLock>;
  /**
   * Lets the primary `pid` take the foreground when it shows its window (Windows'
   * `AllowSetForegroundWindow`); returns whether the OS agreed, `false` where it does not apply.
   */
  allowForeground(pid: number): boolean;
}
