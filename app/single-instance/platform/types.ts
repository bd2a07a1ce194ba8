/** What differs between operating systems, behind small interfaces: the platform, its kernel lock, its endpoints. */
import type { Logger } from '../logger.js';
import type { Places, Scope } from '../names.js';
import type { Trace } from '../trace.js';

/** A non-blocking, crash-safe kernel lock: the kernel drops it when the owning process dies. */
export interface KernelLock {
  /** Tries to take the lock without blocking; `true` when we own it (now or already). */
  tryAcquire(): boolean;
  /** Whether the lock we hold is still the one at its name (Linux/macOS: its file was neither deleted nor replaced). */
  isIntact(): boolean;
  /**
   * Takes the lock at its name again after its file was deleted, keeping the old one until it
   * holds the new one; `false` while another process holds the new one.
   */
  restore(): boolean;
  /** Releases the lock if we own it (its file stays) and frees every OS resource it holds. Idempotent. */
  release(): void;
}

/** An endpoint a primary made: a socket in a fresh private directory, or a pipe of a random name. */
export interface Endpoint {
  /** Socket path or pipe name. */
  readonly path: string;
  /** Directories whose changes may mean it was deleted (watched while the primary runs). */
  readonly watched: readonly string[];
  /** Whether it is still there (a deleted socket file or directory is not). */
  isIntact(): boolean;
  /** Removes what is left of it: this primary's own files only. */
  remove(): void;
}

/** Something the primary holds until it lets go. */
export interface Held {
  close(): void;
}

/** The operations the claim needs from the operating system, chosen once per process. */
export interface Platform {
  /** The uid the state files must belong to; `undefined` where files have no owner to check (Windows). */
  readonly owner: number | undefined;
  /**
   * Whether only the user can reach an endpoint (a socket in a private directory: Linux, macOS),
   * so that a second instance may open with the secret itself; where others can open one (a named
   * pipe: Windows), each side proves it knows the secret without sending it.
   */
  readonly privateEndpoints: boolean;
  /**
   * Whether a record's endpoint is this user's alone (a socket in a directory only the user owns
   * and enters); where endpoints are not private, the proof decides instead, and this says `true`.
   */
  trustsEndpoint(endpoint: string): boolean;
  /** Where an app id and scope's single instance lives (Linux/macOS: without loading the FFI library). */
  places(appId: string, scope: Scope): Promise<Places>;
  /**
   * Where else the record may be: its place in the other candidate state directories that exist,
   * where a primary that chose differently (before another user's leftover appeared or went)
   * publishes it. Asked only when the record is not where this launch looks first.
   */
  otherRecords(places: Places): string[];
  /** Creates the state directory if needed and makes sure only its user may use it; `true` when it had to be created. */
  prepareStateDir(places: Places): boolean;
  /** A lock backend for those places (loads the FFI library). */
  createLock(places: Places): Promise<KernelLock>;
  /** A fresh endpoint nobody could have predicted or created first. */
  createEndpoint(): Endpoint;
  /**
   * Removes what a primary that died (killed, crashed) left of its endpoint: Linux/macOS, its
   * private folder and socket, only where nothing listens on it any more; Windows, nothing (a
   * pipe goes with its process).
   * @param endpoint - the endpoint a dead primary's record named
   * @returns whether something was removed
   */
  removeDeadEndpoint(endpoint: string): Promise<boolean>;
  /**
   * Takes, for as long as the primary runs, the kernel objects that show it is alive and that no
   * file operation can remove, unless a live process of this user holds them: Linux/macOS, the
   * presence semaphore and (Linux) the beacon, taken atomically, so that a launch that locked a
   * re-created lock file while a primary lives learns it here; Windows, the installation mutex
   * the installer looks for (and logs what the last installer that gave up left for the app),
   * never a rival. What cannot be held is logged and traced, and the rest still held.
   * @returns what was taken (closing it lets go), or `'rival'`: hand over to the live primary
   */
  claimPresence(places: Places, logger: Logger, trace: Trace): Promise<Held | 'rival'>;
  /**
   * Lets the primary `pid` take the foreground when it shows its window (Windows'
   * `AllowSetForegroundWindow`); returns whether the OS agreed, `false` where it does not apply.
   */
  allowForeground(pid: number): boolean;
}
