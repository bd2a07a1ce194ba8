/**
 * Becoming the primary, once the lock and the presence are ours (Linux/macOS: the presence
 * semaphore and the beacon; Windows: the installation mutex): listen on a fresh endpoint, publish the record, keep
 * all of it in place while running, and let go of it on release or exit, removing only what is
 * still this primary's own. Launches go to one of two channels: ordinary launches to the launch
 * queue, an installer's quit requests to their own, each waiting for its handler.
 */
import { extractDeepLink } from './deep-link.js';
import { describeOsError } from './errors.js';
import type { Handover } from './ipc/protocol.js';
import { listen } from './ipc/server.js';
import type { JsonValue } from './json.js';
import { Keeper, type Published } from './keeper.js';
import type { Launch, LaunchHandler } from './launch.js';
import { LaunchQueue, type Take } from './launch-queue.js';
import type { Places } from './names.js';
import type { Settings } from './options.js';
import { type Held, type KernelLock, currentPlatform } from './platform/index.js';
import { newSecret, readRecord, removeRecordIfOurs, writeRecord } from './record.js';

/** This process won: it is the one instance. */
export interface PrimaryInstance {
  readonly role: 'primary';
  /** The socket path or pipe name it listens on now (it moves if the old one is deleted). */
  readonly endpoint: string;
  /**
   * Registers the handler of launches (replacing an earlier one). Launches that arrived before
   * are delivered to it at once, in arrival order.
   * @returns a function that unregisters the handler
   */
  onSecondInstance(handler: LaunchHandler): () => void;
  /**
   * Registers the handler of an installer's quit requests (replacing an earlier one): save what
   * needs saving, then exit; the reply goes back to the installer. Requests wait for it like
   * launches wait for theirs, so register it right after the claim.
   * @returns a function that unregisters the handler
   */
  onQuitRequest(handler: LaunchHandler): () => void;
  /**
   * Stops listening and frees the lock and endpoint. Launches still waiting for a handler are
   * refused, so that their senders start a new primary; replies of handlers already running
   * are awaited and sent.
   */
  release(): Promise<void>;
}

/**
 * Listens, publishes and starts keeping; the presence and the lock are let go if any step fails.
 * @param places - where this app id and scope's instance lives
 * @param lock - the lock, held
 * @param presence - the presence, held
 * @param settings - the claim's settings
 */
export async function becomePrimary(places: Places, lock: KernelLock, presence: Held, settings: Settings): Promise<PrimaryInstance> {
  const { logger, trace } = settings;
  const launches = settings.queue;
  const quitRequests = new LaunchQueue();
  const secret = newSecret();
  const receive = (handover: Handover, take: Take, withdrawn: AbortSignal): Promise<JsonValue> => {
    const queue = handover.request === 'quit' ? quitRequests : launches;
    const queued = !queue.ready;
    logger.info(`second instance ${handover.pid} handed over ${handover.argv.length} arguments${handover.request ? ` (${handover.request} request)` : ''}${queued ? ' (queued)' : ''}`);
    trace({ event: 'received', pid: handover.pid, request: handover.request, queued });
    return queue.deliver(launchOf(handover, settings.scheme), take, withdrawn);
  };
  const undo: (() => unknown)[] = [() => lock.release(), () => presence.close()];
  let published: Published;
  let keeper: Keeper;
  try {
    const endpoint = currentPlatform.createEndpoint();
    undo.push(() => endpoint.remove());
    const server = await listen({ ...settings, endpoint: endpoint.path, secret, proof: currentPlatform.privateEndpoints ? 'token' : 'challenge', onLaunch: receive });
    undo.push(() => server.close());
    published = { places, lock, server, endpoint, record: { pid: process.pid, endpoint: endpoint.path, secret } };
    const predecessor = readRecord(places.record, currentPlatform.owner)?.endpoint;
    writeRecord(places.record, published.record);
    keeper = new Keeper(published, currentPlatform, logger, trace);
    keeper.start();
    if (predecessor !== undefined && predecessor !== endpoint.path) {
      void removeLeftover(predecessor, settings);
    }
  } catch (error) {
    // Never a half-started primary: what was taken is let go, newest first, and the launch fails with the cause.
    for (const step of undo.reverse()) {
      await step();
    }
    throw error;
  }

  const letGo = (): void => {
    published.endpoint.remove();
    removeRecordIfOurs(places.record, published.record, currentPlatform.owner);
    // The presence goes before the lock: an installer never sees the installation held by nobody's lock.
    presence.close();
    lock.release();
  };
  const onExit = (): void => {
    void keeper.stop();
    letGo();
  };
  process.once('exit', onExit);
  let released: Promise<void> | undefined;
  return {
    role: 'primary',
    get endpoint() {
      return published.endpoint.path;
    },
    onSecondInstance: (handler) => launches.setHandler(handler),
    onQuitRequest: (handler) => quitRequests.setHandler(handler),
    release: () => {
      released ??= (async () => {
        process.off('exit', onExit);
        await keeper.stop();
        launches.close();
        quitRequests.close();
        await published.server.close();
        letGo();
        logger.info('released the lock and endpoint');
        trace({ event: 'released' });
      })();
      return released;
    },
  };
}

/**
 * Removes the endpoint a primary that died before this one left (its record named it), unless
 * something still listens there; a failure is logged, never the primary's.
 */
async function removeLeftover(endpoint: string, settings: Settings): Promise<void> {
  try {
    const removed = await currentPlatform.removeDeadEndpoint(endpoint);
    if (removed) {
      settings.logger.info(`removed the endpoint ${endpoint} that a primary which died before this one left`);
    }
    settings.trace({ event: 'leftover', endpoint, removed });
  } catch (error) {
    settings.logger.warn(`could not remove the endpoint ${endpoint} that a primary which died left: ${describeOsError(error)}`);
  }
}

/** The launch a second instance handed over, as its handler receives it. */
function launchOf(handover: Handover, scheme: string | null): Launch {
  const { argv, cwd, data, pid, env } = handover;
  return { argv, cwd, data, pid, env, source: 'second-instance', url: scheme === null ? null : extractDeepLink(argv, scheme) };
}
