/**
 * `claim()`: decides in one call whether this process is the primary instance or hands its
 * launch to the running one.
 *
 * 1. Fast path: read the running primary's record and hand the launch to it. No FFI library is
 *    loaded on this path on Linux/macOS.
 * 2. Otherwise take the kernel lock without blocking. Owner: take the presence (Linux/macOS: the
 *    presence semaphore and the beacon, each only if no live process of this user holds it);
 *    then become the primary (or, for an installer's quit request, let go: no instance runs,
 *    there is nothing to quit). A primary whose files were deleted holds the presence: hand over to it. Not owner: a primary is
 *    starting, restoring what was deleted, or just died: retry the hand-off with a short
 *    backoff, re-trying the lock between attempts.
 * 3. Past the deadline: `PrimaryNotRespondingError` (nothing was delivered). Never a hang,
 *    never a second primary.
 */
import { now, sleep } from './builtins.js';
import { BusyError, PrimaryNotRespondingError } from './errors.js';
import { type HandOffOutcome, handOff } from './ipc/client.js';
import type { Handover } from './ipc/protocol.js';
import type { JsonValue } from './json.js';
import type { Places } from './names.js';
import { type ClaimOptions, type Settings, resolveOptions } from './options.js';
import { forwardedEnv } from './own-launch.js';
import { currentPlatform } from './platform/index.js';
import type { PrimaryInstance } from './primary.js';
import { type PrimaryRecord, readRecord } from './record.js';

export type { PrimaryInstance } from './primary.js';

/** Another process is the instance: this launch was handed to it, delivered and answered. */
export interface SecondaryInstance {
  readonly role: 'secondary';
  /** The primary's process id. */
  readonly primaryPid: number;
  /** What the primary's handler returned. */
  readonly reply: JsonValue;
}

/** This launch was an installer's quit request, and no instance runs: there is nothing to quit. */
export interface NoInstance {
  readonly role: 'none';
}

/** The outcome of {@link claim}. */
export type Instance = PrimaryInstance | SecondaryInstance | NoInstance;

/** Smallest and largest pause between attempts while a primary starts, in ms. */
const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 50;

/**
 * Claims the single instance. Call it first thing in main, before creating any window.
 * @param options - the app id and optional settings
 * @returns `primary` (keep running, register the handlers), `secondary` (exit now), or for a quit
 *   request that finds no instance, `none` (exit now)
 * @throws InvalidOptionsError for a bad app id or option
 * @throws PrimaryNotRespondingError when a primary holds the lock but does not take the launch in time (not delivered)
 * @throws BusyError when the primary kept refusing it, holding as many launches as it takes (not delivered)
 * @throws NoReplyError when the launch was delivered but no reply came
 * @throws EndpointNotOursError, MessageTooLargeError, HandlerError, LockError, EndpointError
 */
export async function claim(options: ClaimOptions): Promise<Instance> {
  const settings = resolveOptions(options);
  const { logger, trace } = settings;
  const started = now();
  const ms = (): number => Math.round(now() - started);
  const elapsed = (): string => `${ms()} ms`;
  const places = await currentPlatform.places(settings.appId, settings.scope);
  const deadline = started + settings.timeoutMs;
  const attempt = handOffAttempt(places, settings, deadline);

  let outcome = await attempt(true);
  if (outcome.kind === 'delivered') {
    logger.info(`fast path: handed off to primary ${outcome.primaryPid} in ${elapsed()}`);
    trace({ event: 'handed-off', primaryPid: outcome.primaryPid, ms: ms() });
    return secondary(outcome.primaryPid, outcome.reply);
  }
  logger.debug(`fast path missed (${describe(outcome)}) after ${elapsed()}`);
  const lock = await currentPlatform.createLock(places);
  let busy: string | undefined;
  for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
    currentPlatform.prepareStateDir(places);
    // While another launch holds the lock here, the primary to come publishes here: the other
    // folders are looked in again only once the lock was ours but a live primary was elsewhere.
    let elsewhere = false;
    if (lock.tryAcquire()) {
      trace({ event: 'locked' });
      const presence = await currentPlatform.claimPresence(places, logger, trace).catch((error: unknown) => {
        lock.release();
        throw error;
      });
      if (presence !== 'rival') {
        logger.info(`lock taken after ${elapsed()}`);
        if (settings.request === 'quit') {
          presence.close();
          lock.release();
          logger.info(`asked to quit the running instance, but none runs (${elapsed()})`);
          trace({ event: 'none', ms: ms() });
          return { role: 'none' };
        }
        // Loaded only here: a second instance never reads the primary's code.
        const { becomePrimary } = await import('./primary.js');
        const primary = await becomePrimary(places, lock, presence, settings);
        logger.info(`primary listening on ${primary.endpoint} after ${elapsed()}`);
        trace({ event: 'primary', endpoint: primary.endpoint, ms: ms() });
        return primary;
      }
      lock.release();
      elsewhere = true;
      logger.warn('took a new lock file, but the primary whose files were deleted still lives: handing over to it');
    }
    outcome = await attempt(elsewhere).catch((error: unknown) => {
      throw busy && error instanceof PrimaryNotRespondingError ? new BusyError(busy) : error;
    });
    if (outcome.kind === 'delivered') {
      logger.info(`handed off to primary ${outcome.primaryPid} after ${elapsed()}`);
      trace({ event: 'handed-off', primaryPid: outcome.primaryPid, ms: ms() });
      return secondary(outcome.primaryPid, outcome.reply);
    }
    busy = outcome.kind === 'busy' ? outcome.detail : busy;
    const remaining = deadline - now();
    if (remaining <= 0) {
      logger.error(`no primary took the launch within ${settings.timeoutMs} ms (${describe(outcome)})`);
      throw busy ? new BusyError(busy) : PrimaryNotRespondingError.after(settings.timeoutMs, stalled(places));
    }
    logger.debug(`lock held elsewhere, no hand-off yet (${describe(outcome)}); retrying in ${backoff} ms (${elapsed()})`);
    await sleep(Math.min(backoff, remaining));
  }
}

/**
 * One hand-off try, bound to this claim's launch and deadline, against each primary a record
 * names until one is reached: where this launch would publish it first and then, `anywhere`, in
 * every other folder of this user's (see {@link publishedRecords}), so that a record a killed
 * primary left here never hides the live one elsewhere.
 */
function handOffAttempt(places: Places, settings: Settings, deadline: number): (anywhere: boolean) => Promise<HandOffOutcome> {
  const { logger } = settings;
  const handover: Handover = { argv: settings.argv, cwd: settings.cwd, data: settings.data, pid: process.pid, env: forwardedEnv(settings.forwardEnv), request: settings.request };
  const attemptOn = (record: PrimaryRecord): Promise<HandOffOutcome> => {
    if (!currentPlatform.trustsEndpoint(record.endpoint)) {
      return Promise.resolve({ kind: 'absent', reason: `the endpoint ${record.endpoint} is not in a directory of this user's alone` });
    }
    return handOff({
      endpoint: record.endpoint,
      proof: currentPlatform.privateEndpoints ? 'token' : 'challenge',
      secret: record.secret,
      primaryPid: record.pid,
      handover,
      maxMessageBytes: settings.maxMessageBytes,
      deadline,
      timeoutMs: settings.timeoutMs,
      replyTimeoutMs: settings.replyTimeoutMs,
      beforeLaunch: (pid) => logger.debug(`allow foreground for primary ${pid}: ${currentPlatform.allowForeground(pid)}`),
    });
  };
  return async (anywhere) => {
    let outcome: HandOffOutcome = { kind: 'absent', reason: 'no primary has published a record' };
    for (const record of publishedRecords(places, anywhere)) {
      outcome = await attemptOn(record);
      if (outcome.kind !== 'absent') {
        return outcome;
      }
    }
    return outcome;
  };
}

/** What held up the last attempt, for the log. */
function describe(outcome: HandOffOutcome): string {
  switch (outcome.kind) {
    case 'absent':
      return outcome.reason;
    case 'shutdown':
      return 'the primary was shutting down';
    case 'busy':
      return outcome.detail;
    default:
      return 'delivered';
  }
}

/**
 * The records of running primaries, read one at a time: where this launch would publish it, then,
 * `anywhere`, where another choice put it (a primary that chose its folder when the disk was otherwise).
 */
function* publishedRecords(places: Places, anywhere: boolean): Generator<PrimaryRecord> {
  const here = readRecord(places.record, currentPlatform.owner);
  if (here) {
    yield here;
  }
  // Read only when the record here named nobody who answers: a fast path never lists other folders.
  for (const file of anywhere ? currentPlatform.otherRecords(places) : []) {
    const record = readRecord(file, currentPlatform.owner);
    if (record) {
      yield record;
    }
  }
}

/** What the user is told a launch waited for, naming the primary where its record does. */
function stalled(places: Places): string {
  const pid = publishedRecords(places, true).next().value?.pid;
  return pid === undefined ? 'the lock is held, but no primary has published where it listens' : `pid ${pid} holds the lock but did not take the launch`;
}

function secondary(primaryPid: number, reply: JsonValue): SecondaryInstance {
  return { role: 'secondary', primaryPid, reply };
}
