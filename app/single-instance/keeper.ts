/**
 * Keeps what a primary published in place. A temp cleaner, `rm -rf`, or a user tidying up can
 * delete the lock file, the record, the socket or whole directories under a running primary;
 * the keeper hears it from the file system (`fs.watch`) and restores each at once: the state
 * directory, the lock on a new lock file, a new endpoint, the record. Nothing runs while nothing
 * changes (no timers, no polling); only a lock file another launch holds for a moment is tried
 * again, on a short backoff, until it is the primary's again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LaunchServer } from './ipc/server.js';
import type { Logger } from './logger.js';
import type { Places } from './names.js';
import type { Endpoint, KernelLock, Platform } from './platform/index.js';
import { type PrimaryRecord, holdsRecord, writeRecord } from './record.js';
import type { Trace } from './trace.js';

/** What a primary holds and publishes; the keeper replaces `endpoint` and `record` when it restores them. */
export interface Published {
  readonly places: Places;
  readonly lock: KernelLock;
  readonly server: LaunchServer;
  endpoint: Endpoint;
  record: PrimaryRecord;
}

/** Smallest and largest pause before trying a lock file another launch holds for a moment, in ms. */
const FIRST_RETRY_MS = 5;
const MAX_RETRY_MS = 200;

/** Watches a primary's places and restores what disappears. */
export class Keeper {
  private readonly watchers = new Map<string, { watcher: fs.FSWatcher; ino: number }>();
  private healing: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private stopped = false;

  /**
   * @param published - what the primary holds and publishes
   * @param platform - the platform that made it
   * @param logger - where each restoration is logged
   * @param trace - where it is published
   */
  constructor(
    private readonly published: Published,
    private readonly platform: Platform,
    private readonly logger: Logger,
    private readonly trace: Trace,
  ) {}

  /** Starts watching. */
  start(): void {
    this.watchAll();
  }

  /** Stops watching; resolves once a restoration under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    for (const { watcher } of this.watchers.values()) {
      watcher.close();
    }
    this.watchers.clear();
    await this.healing;
  }

  /** Runs a restoration now, or once more after the one under way. */
  private schedule(): void {
    if (this.stopped) {
      return;
    }
    if (this.healing) {
      this.again = true;
      return;
    }
    this.healing = this.heal()
      .then(() => {
        this.retryMs = FIRST_RETRY_MS;
      })
      .catch((error: unknown) => {
        this.logger.warn(`could not restore what was deleted yet (${String(error)}); trying again in ${this.retryMs} ms`);
        this.retryLater();
      })
      .finally(() => {
        this.healing = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }

  private async heal(): Promise<void> {
    const { places, lock, server } = this.published;
    if (this.platform.prepareStateDir(places)) {
      this.logger.warn(`the state directory ${places.stateDir} was deleted; made it again`);
      this.trace({ event: 'restored', what: 'state-dir' });
    }
    if (!lock.isIntact()) {
      this.restoreLock();
    }
    if (!this.published.endpoint.isIntact() && !this.stopped) {
      const previous = this.published.endpoint;
      const next = this.platform.createEndpoint();
      await server.relocate(next.path);
      previous.remove();
      this.published.endpoint = next;
      this.published.record = { ...this.published.record, endpoint: next.path };
      this.logger.warn(`the endpoint ${previous.path} was deleted; listening on ${next.path} instead`);
      this.trace({ event: 'restored', what: 'endpoint' });
    }
    if (!this.stopped && !holdsRecord(places.record, this.published.record, this.platform.owner)) {
      writeRecord(places.record, this.published.record);
      this.logger.warn(`restored the record ${places.record}`);
      this.trace({ event: 'restored', what: 'record' });
    }
    if (!this.stopped) {
      this.watchAll();
    }
  }

  /** Takes the lock on the re-created lock file; while another launch holds it for a moment, tries again shortly. */
  private restoreLock(): void {
    if (this.published.lock.restore()) {
      this.logger.warn(`the lock file ${this.published.places.lock} was deleted; locked a new one`);
      this.trace({ event: 'restored', what: 'lock' });
      return;
    }
    this.logger.debug(`the new lock file ${this.published.places.lock} is held for a moment; trying again in ${this.retryMs} ms`);
    this.retryLater();
  }

  /** Runs a restoration again shortly, backing off while whatever undoes it goes on. */
  private retryLater(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.schedule(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  /** Watches the state directory and the endpoint's, again where one was deleted and made anew. */
  private watchAll(): void {
    const { places, endpoint } = this.published;
    const wanted = [places.stateDir, ...endpoint.watched];
    for (const [dir, { watcher }] of this.watchers) {
      if (!wanted.includes(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      this.watch(dir);
    }
  }

  private watch(dir: string): void {
    const ino = fs.statSync(dir, { throwIfNoEntry: false })?.ino;
    const current = this.watchers.get(dir);
    if (ino === undefined || current?.ino === ino) {
      return;
    }
    current?.watcher.close();
    const ours = this.ownNames(dir);
    const watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
      if (name === null || ours.has(String(name))) {
        this.schedule();
      }
    });
    watcher.on('error', () => this.schedule());
    this.watchers.set(dir, { watcher, ino });
  }

  /** The names whose changes in `dir` concern this primary (any change does in its endpoint's directory). */
  private ownNames(dir: string): { has(name: string): boolean } {
    const { places } = this.published;
    if (dir !== places.stateDir) {
      return { has: () => true };
    }
    const names = new Set([path.basename(places.lock), path.basename(places.record), path.basename(places.stateDir)]);
    return { has: (name) => names.has(name) };
  }
}
