/**
 * Structured events for programs, beside the log lines for people: every decision worth acting on
 * is published on Node's diagnostics channel `sole-instance` (`node:diagnostics_channel`), as one
 * object with an `event` name and the app id. Nothing is built or sent while nobody subscribes.
 *
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe('sole-instance', (message) => telemetry.record(message));
 * ```
 */
import { channel } from 'node:diagnostics_channel';

/** The name of the diagnostics channel the package publishes on. */
export const TRACE_CHANNEL = 'sole-instance';

/** What was restored after it was deleted under a running primary. */
export type Restored = 'state-dir' | 'lock' | 'endpoint' | 'record';

/** Why the primary closed a connection or refused a launch. */
export type Refusal = 'handshake-timeout' | 'evicted' | 'idle' | 'wrong-proof' | 'protocol' | 'too-large' | 'busy';

/** One event, as published (with the app id it concerns). */
export type TraceEvent =
  /** This launch was handed to the running primary and answered. */
  | { event: 'handed-off'; primaryPid: number; ms: number }
  /** This launch became the primary and listens. */
  | { event: 'primary'; endpoint: string; ms: number }
  /** This launch was an installer's quit request, and no instance runs. */
  | { event: 'none'; ms: number }
  /** The primary answered a connection's hello with its proof. */
  | { event: 'welcomed' }
  /** This launch took the lock; it takes the presence next, and becomes the primary unless a primary whose files were deleted holds it. */
  | { event: 'locked' }
  /** The primary received a proven launch: queued until its handler exists, or on its way to it. */
  | { event: 'received'; pid: number; request: 'quit' | null; queued: boolean }
  /** The primary closed a connection or refused a launch. */
  | { event: 'refused'; reason: Refusal }
  /** The primary found the endpoint of one that died before it, and removed it unless something still listens there. */
  | { event: 'leftover'; endpoint: string; removed: boolean }
  /** The primary restored something that was deleted under it. */
  | { event: 'restored'; what: Restored }
  /** The primary runs without something that protects it (the reason is logged). */
  | { event: 'degraded'; what: 'beacon' | 'semaphore' | 'installation' | 'watch' }
  /** The primary let go of its lock and endpoint. */
  | { event: 'released' };

/** Publishes the events of one app id. */
export type Trace = (event: TraceEvent) => void;

const published = channel(TRACE_CHANNEL);

/**
 * The trace of one app id's claim.
 * @param appId - the app id every event carries
 */
export function traceFor(appId: string): Trace {
  return (event) => {
    if (published.hasSubscribers) {
      published.publish({ appId, ...event });
    }
  };
}
