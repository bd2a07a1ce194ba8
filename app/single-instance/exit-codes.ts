/**
 * The exit-code policy of a launching process, one for every front end (the Electron layer,
 * the headless host, a CLI of yours): what the code tells the shell or launcher that started it.
 */
import { SingleInstanceError } from './errors.js';

/** Exit codes of a launching process. */
export const ExitCode = {
  /** This launch became the primary and ended normally, or it was handed over and answered. */
  ok: 0,
  /** Any other failure (a handler error, an endpoint that is not ours, a lock the OS refused...). */
  failure: 1,
  /** A usage mistake: invalid options or arguments. */
  usage: 2,
  /** The running instance did not take the launch in time: nothing was delivered, launching again is safe. */
  notDelivered: 3,
  /** The launch was delivered, exactly once, but no reply came (the primary exited, or its handler was too slow). */
  noReply: 4,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The exit code a launching process should end with after `error`.
 * @param error - what `claim()` (or the launch around it) failed with
 */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (!(error instanceof SingleInstanceError)) {
    return ExitCode.failure;
  }
  switch (error.code) {
    case 'EINVALID':
      return ExitCode.usage;
    case 'ETIMEOUT':
    case 'EBUSY':
      return ExitCode.notDelivered;
    case 'ENOREPLY':
      return ExitCode.noReply;
    default:
      return ExitCode.failure;
  }
}
