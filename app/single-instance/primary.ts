/**
 * Becoming the primary, once the lock is ours: listen on a fresh endpoint, hold the beacon
 * (Linux), publish the record, keep all of it in place while running, and let go of it on
 * release or exit, removing only what is still this primary's own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type LaunchServer, listen } from './ipc/server.js';
import type { JsonValue } from './json.js';
import { Keeper, type Published } from './keeper.js';
import type { LaunchHandler } from './launch.js';
import { LaunchQueue } from './launch-queue.js';
import { type Places, installerNotesName } from './names.js';
import type { Settings } from './options.js';
import { type KernelLock, currentPlatform } from './platform/index.js';
import { newSecret, removeRecordIfOurs, writeRecord } from './record.js';

/** This process won: it is the one instance. */
export interface PrimaryInstance {
  readonly role: 'primary';
  /** The socket path or pipe name it listens on now (it moves if the old one is deleted). */
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

/**
 * Listens, publishes and starts keeping; the lock is released if any step fails.
 * @param places - where this app id and scope's instance lives
 * @param lock - the lock, held
 * @param settings - the claim's settings
 */
export async function becomePrimary(places: Places, lock: KernelLock, settings: Settings): Promise<PrimaryInstance> {
  const { logger } = settings;
  const queue = new LaunchQueue();
  const endpoint = currentPlatform.createEndpoint();
  const secret = newSecret();
  let server: LaunchServer;
  try {
    server = await listen({
      endpoint: endpoint.path,
      secret,
      maxMessageBytes: settings.maxMessageBytes,
      handshakeTimeoutMs: settings.handshakeTimeoutMs,
      connectionTimeoutMs: settings.connectionTimeoutMs,
      maxConnections: settings.maxConnections,
      maxPendingLaunches: settings.maxPendingLaunches,
      logger,
      onLaunch: (launch): Promise<JsonValue> => {
        logger.info(`second instance ${launch.pid} handed over ${launch.argv.length} arguments${queue.size > 0 ? ' (queued)' : ''}`);
        return queue.deliver(launch);
      },
    });
  } catch (error) {
    endpoint.remove();
    lock.release();
    throw error;
  }
  const beacon = await currentPlatform.holdPresence(places, logger);
  const published: Published = { places, lock, server, endpoint, record: { pid: process.pid, endpoint: endpoint.path, secret } };
  try {
    writeRecord(places.record, published.record);
  } catch (error) {
    await server.close();
    endpoint.remove();
    lock.release();
    beacon?.close();
    throw error;
  }
  const keeper = new Keeper(published, currentPlatform, logger);
  keeper.start();
  reportInstallerNotes(places, settings.appId, logger);

  const letGo = (): void => {
    published.endpoint.remove();
    removeRecordIfOurs(places.record, published.record, currentPlatform.owner);
    // The presence goes before the lock: an installer never sees the installation held by nobody's lock.
    beacon?.close();
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
    onSecondInstance: (handler) => queue.setHandler(handler),
    release: () => {
      released ??= (async () => {
        process.off('exit', onExit);
        await keeper.stop();
        queue.close();
        await server.close();
        letGo();
        logger.info('released the lock and endpoint');
      })();
      return released;
    },
  };
}

/**
 * Logs, once, what an installer that gave up left for the app (Windows: an update that could
 * not close it), and removes it: `<state dir>/<appId>.installer.log`, UTF-16 as NSIS writes it.
 */
function reportInstallerNotes(places: Places, appId: string, logger: Settings['logger']): void {
  const file = path.join(places.stateDir, installerNotesName(appId));
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
    fs.rmSync(file, { force: true });
  } catch {
    return;
  }
  const text = bytes[0] === 0xff && bytes[1] === 0xfe ? bytes.subarray(2).toString('utf16le') : bytes.toString('utf8');
  for (const line of text.split(/\r?\n/).filter(Boolean)) {
    logger.warn(`the installer left a note: ${line}`);
  }
}
