/**
 * `claim()`: decides in one call whether this process is the primary instance or hands its
 * launch to the running one.
 *
 * 1. Fast path: connect to the endpoint; if a primary answers and proves it is ours, hand off.
 *    No FFI library is loaded on this path on Linux/macOS.
 * 2. Otherwise take the kernel lock without blocking.
 * 3. Owner: remove a stale socket (safe: we hold the lock), write a fresh secret, listen, and
 *    only then report `primary`. Not owner: a primary is starting (or just died): retry the
 *    hand-off with a short backoff, re-trying the lock between attempts.
 * 4. Past the deadline: `PrimaryNotRespondingError`. Never hang, never a second primary.
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrimaryNotRespondingError } from './errors.js';
import { type HandOffOutcome, type HandOffRequest, handOff } from './ipc/client.js';
import { type LaunchServer, listen } from './ipc/server.js';
import type { JsonValue } from './json.js';
import { type LaunchHandler, forwardedEnv } from './launch.js';
import { LaunchQueue } from './launch-queue.js';
import type { InstanceNames } from './names.js';
import { type ClaimOptions, type Settings, resolveOptions } from './options.js';
import { type KernelLock, currentPlatform } from './platform/index.js';

/** This process won: it is the one instance. */
export interface PrimaryInstance {
  readonly role: 'primary';
  /** The socket path or pipe name it listens on. */
  readonly endpoint: string;
  /**
   * Registers the handler of later launches (replacing an earlier one). Launches that arrived
   * before are delivered to it at once, in arrival order.
   * @returns a function that unregisters the handler
   */
  onSecondInstance(handler: LaunchHandler): () => void;
  /**
   * Stops listening and frees the lock and endpoint. Launches still waiting for a handler are
   * refused, so that their senders start a new primary; replies of handlers already running
   * are awaited and sent.
   */
  release(): Promise<void>;
}

/** Another process is the instance: this launch was handed to it and acknowledged. */
export interface SecondaryInstance {
  readonly role: 'secondary';
  /** The primary's process id. */
  readonly primaryPid: number;
  /** What the primary's handler returned. */
  readonly reply: JsonValue;
}

/** The outcome of {@link claim}. */
export type Instance = PrimaryInstance | SecondaryInstance;

/** Smallest and largest pause between attempts while a primary starts, in ms. */
const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 50;

/**
 * Claims the single instance. Call it first thing in main, before creating any window.
 * @param options - the app id and optional settings
 * @returns `primary` (keep running, register a handler) or `secondary` (exit now)
 * @throws InvalidOptionsError for a bad app id or option
 * @throws PrimaryNotRespondingError when a primary holds the lock but does not answer in time
 * @throws EndpointNotOursError, MessageTooLargeError, HandlerError, LockError, EndpointError
 */
export async function claim(options: ClaimOptions): Promise<Instance> {
  const settings = resolveOptions(options);
  const { logger } = settings;
  const started = performance.now();
  const elapsed = (): string => `${Math.round(performance.now() - started)} ms`;
  const names = await currentPlatform.names(settings.appId, settings.scope);
  const deadline = started + settings.timeoutMs;
  const attempt = handOffAttempt(names, settings, deadline);

  let outcome = await attempt();
  if (outcome.kind === 'delivered') {
    logger.info(`fast path: handed off to primary ${outcome.primaryPid} in ${elapsed()}`);
    return secondary(outcome.primaryPid, outcome.reply);
  }
  logger.debug(`fast path missed (${outcome.kind === 'absent' ? outcome.reason : 'primary shutting down'}) after ${elapsed()}`);
  currentPlatform.preparePrivateDir(names);
  const lock = await currentPlatform.createLock(names);
  for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
    if (lock.tryAcquire()) {
      logger.info(`lock taken after ${elapsed()}`);
      const primary = await becomePrimary(names, lock, settings);
      logger.info(`primary listening on ${names.endpoint} after ${elapsed()}`);
      return primary;
    }
    outcome = await attempt();
    if (outcome.kind === 'delivered') {
      logger.info(`handed off to primary ${outcome.primaryPid} after ${elapsed()}`);
      return secondary(outcome.primaryPid, outcome.reply);
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      logger.error(`the lock is held but no primary answered within ${settings.timeoutMs} ms`);
      throw PrimaryNotRespondingError.after(settings.timeoutMs, 'the lock is held but nobody answers on the endpoint');
    }
    logger.debug(`lock held elsewhere, no answer yet; retrying in ${backoff} ms (${elapsed()})`);
    await sleep(Math.min(backoff, remaining));
  }
}

const NO_ENDPOINT: HandOffOutcome = { kind: 'absent', reason: 'no endpoint' };

/** One hand-off try against the endpoint, bound to this claim's launch and deadline. */
function handOffAttempt(names: InstanceNames, settings: Settings, deadline: number): () => Promise<HandOffOutcome> {
  const { logger } = settings;
  const request: HandOffRequest = {
    endpoint: names.endpoint,
    loadSecret: () => currentPlatform.readSecret(names),
    launch: { argv: settings.argv, cwd: settings.cwd, data: settings.data, pid: process.pid, env: forwardedEnv(settings.forwardEnv) },
    maxMessageBytes: settings.maxMessageBytes,
    deadline,
    timeoutMs: settings.timeoutMs,
    replyTimeoutMs: settings.replyTimeoutMs,
    beforeLaunch: (pid) => logger.debug(`allow foreground for primary ${pid}: ${currentPlatform.allowForeground(pid)}`),
  };
  return () => (currentPlatform.mayBeListening(names) ? handOff(request) : Promise.resolve(NO_ENDPOINT));
}

function secondary(primaryPid: number, reply: JsonValue): SecondaryInstance {
  return { role: 'secondary', primaryPid, reply };
}

async function becomePrimary(names: InstanceNames, lock: KernelLock, settings: Settings): Promise<PrimaryInstance> {
  const { logger } = settings;
  const queue = new LaunchQueue();
  let server: LaunchServer;
  try {
    const secret = currentPlatform.writeSecret(names);
    currentPlatform.removeEndpoint(names);
    server = await listen({
      endpoint: names.endpoint,
      secret,
      maxMessageBytes: settings.maxMessageBytes,
      connectionTimeoutMs: settings.connectionTimeoutMs,
      maxConnections: settings.maxConnections,
      logger,
      onLaunch: (launch) => {
        logger.info(`second instance ${launch.pid} handed over ${launch.argv.length} arguments${queue.size > 0 ? ' (queued)' : ''}`);
        return queue.deliver(launch);
      },
    });
  } catch (error) {
    lock.release();
    throw error;
  }
  const freeOnExit = (): void => {
    currentPlatform.removeEndpoint(names);
    fs.rmSync(names.secret, { force: true });
    lock.release();
  };
  process.once('exit', freeOnExit);
  let released: Promise<void> | undefined;
  return {
    role: 'primary',
    endpoint: names.endpoint,
    onSecondInstance: (handler) => queue.setHandler(handler),
    release: () => {
      released ??= (async () => {
        process.off('exit', freeOnExit);
        queue.close();
        await server.close();
        freeOnExit();
        logger.info('released the lock and endpoint');
      })();
      return released;
    },
  };
}
