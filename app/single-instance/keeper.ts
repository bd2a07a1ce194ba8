/**
 * Keeps what a primary published in place, for as long as it runs. A temp cleaner, `rm -rf`, or
 * a user tidying up can delete the lock file, the record, the socket or whole directories under a
 * running primary, any number of times; the keeper hears it from the file system (`fs.watch`) and
 * restores each: the state directory, the lock on a new lock file, a new endpoint, the record.
 *
 * It never gives up: a restoration that fails (a directory deleted again at once, a full disk, a
 * lock file another launch holds for a moment) is tried again on a backoff, for ever; a watch the
 * deletion killed (a directory made anew, even with the same inode number) is made anew. Where the
 * file system cannot be watched (the user's inotify instances or watches are used up) it checks
 * on a short interval instead, and says so once. Nothing runs while nothing changes; restorations
 * that follow each other closely are paced, so a cleaner that deletes all the time costs bounded
 * CPU. The record is published only while the primary holds the lock at its path, so that two
 * processes never take turns rewriting it.
 */
import { fs, now, path } from './builtins.js';
import type { FSWatcher } from 'node:fs';
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

/** Smallest and largest pause before a failed restoration is tried again, in ms. */
const FIRST_RETRY_MS = 5;
const MAX_RETRY_MS = 200;
/** Least time between the starts of two restorations, in ms: bounds the CPU a relentless cleaner costs. */
const MIN_HEAL_GAP_MS = 20;
/** How often the places are checked where they cannot be watched, in ms. */
const POLL_MS = 250;

/** Watches a primary's places and restores what disappears. */
export class Keeper {
  private readonly watchers = new Map<string, { watcher: FSWatcher; ino: number }>();
  private healing: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private lastHeal = -Infinity;
  private poll: NodeJS.Timeout | undefined;
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

  /** Starts watching (or, where the file system cannot be watched, checking on an interval). */
  start(): void {
    this.watchAll();
  }

  /** Stops watching; resolves once a restoration under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.poll);
    for (const dir of [...this.watchers.keys()]) {
      this.unwatch(dir);
    }
    await this.healing;
  }

  /** Runs a restoration soon, or once more after the one under way. */
  private schedule(): void {
    if (this.stopped) {
      return;
    }
    if (this.healing) {
      this.again = true;
      return;
    }
    const wait = this.lastHeal + MIN_HEAL_GAP_MS - now();
    this.healing = (wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve())
      .then(() => this.heal())
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
    this.lastHeal = now();
    const { places, lock } = this.published;
    if (this.stopped) {
      return;
    }
    if (this.platform.prepareStateDir(places)) {
      this.unwatch(places.stateDir);
      this.logger.warn(`the state directory ${places.stateDir} was deleted; made it again`);
      this.trace({ event: 'restored', what: 'state-dir' });
    }
    const holdsLock = lock.isIntact() || this.restoreLock();
    await this.restoreEndpoint();
    if (holdsLock && !this.stopped && !holdsRecord(places.record, this.published.record, this.platform.owner)) {
      writeRecord(places.record, this.published.record);
      this.logger.warn(`restored the record ${places.record}`);
      this.trace({ event: 'restored', what: 'record' });
    }
    if (!this.stopped) {
      this.watchAll();
    }
    if (holdsLock) {
      this.retryMs = FIRST_RETRY_MS;
    }
  }

  /**
   * Takes the lock on the re-created lock file. While another process holds it (a launch that
   * looks at it for a moment), tries again shortly and leaves the record alone meanwhile.
   */
  private restoreLock(): boolean {
    if (this.published.lock.restore()) {
      this.logger.warn(`the lock file ${this.published.places.lock} was deleted; locked a new one`);
      this.trace({ event: 'restored', what: 'lock' });
      return true;
    }
    this.logger.debug(`the new lock file ${this.published.places.lock} is held by another process; trying again in ${this.retryMs} ms`);
    this.retryLater();
    return false;
  }

  /** Listens on a new endpoint where the old one was deleted. */
  private async restoreEndpoint(): Promise<void> {
    if (this.published.endpoint.isIntact() || this.stopped) {
      return;
    }
    const previous = this.published.endpoint;
    const next = this.platform.createEndpoint();
    try {
      await this.published.server.relocate(next.path);
    } catch (error) {
      next.remove();
      throw error;
    }
    previous.remove();
    this.published.endpoint = next;
    this.published.record = { ...this.published.record, endpoint: next.path };
    this.logger.warn(`the endpoint ${previous.path} was deleted; listening on ${next.path} instead`);
    this.trace({ event: 'restored', what: 'endpoint' });
  }

  /** Runs a restoration again shortly, backing off while whatever undoes it goes on. */
  private retryLater(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.schedule(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  /** Watches the state directory and the endpoint's, anew where one was deleted or made anew. */
  private watchAll(): void {
    const { places, endpoint } = this.published;
    const wanted = [places.stateDir, ...endpoint.watched];
    for (const dir of [...this.watchers.keys()].filter((watched) => !wanted.includes(watched))) {
      this.unwatch(dir);
    }
    for (const dir of wanted) {
      this.watch(dir);
    }
  }

  private watch(dir: string): void {
    if (this.poll) {
      return;
    }
    const ino = fs.statSync(dir, { throwIfNoEntry: false })?.ino;
    const current = this.watchers.get(dir);
    if (ino === undefined) {
      this.schedule();
      return;
    }
    if (current?.ino === ino) {
      return;
    }
    this.unwatch(dir);
    let watcher: FSWatcher;
    try {
      watcher = fs.watch(dir, { persistent: false }, (_event, name) => this.changed(dir, name));
    } catch (error) {
      this.degrade(dir, error);
      return;
    }
    watcher.on('error', () => {
      this.unwatch(dir);
      this.schedule();
    });
    this.watchers.set(dir, { watcher, ino });
  }

  /** A change in a watched directory: restore if it concerns this primary; a watch on a deleted directory is dead. */
  private changed(dir: string, name: string | Buffer | null): void {
    const entry = name === null ? null : String(name);
    if (entry === path.basename(dir)) {
      this.unwatch(dir);
    }
    if (entry === null || this.concerns(dir, entry)) {
      this.schedule();
    }
  }

  /** Whether a change of `name` in `dir` concerns this primary (any change does in its endpoint's directory). */
  private concerns(dir: string, name: string): boolean {
    const { places } = this.published;
    return dir !== places.stateDir || [places.lock, places.record, places.stateDir].some((file) => path.basename(file) === name);
  }

  private unwatch(dir: string): void {
    this.watchers.get(dir)?.watcher.close();
    this.watchers.delete(dir);
  }

  /** The file system cannot be watched: check on an interval instead, and say so once. */
  private degrade(dir: string, error: unknown): void {
    if (errorCode(error) === 'ENOENT') {
      this.schedule();
      return;
    }
    for (const watched of [...this.watchers.keys()]) {
      this.unwatch(watched);
    }
    this.logger.warn(
      `cannot watch ${dir} (${String(error)}): checking every ${POLL_MS} ms instead. ` +
        'Another program may use up your inotify instances or watches (fs.inotify.max_user_instances, max_user_watches).',
    );
    this.trace({ event: 'degraded', what: 'watch' });
    this.poll = setInterval(() => {
      if (!this.intact()) {
        this.schedule();
      }
    }, POLL_MS);
    this.poll.unref();
    this.schedule();
  }

  /** Whether everything the primary published is in place (what the interval checks). */
  private intact(): boolean {
    const { places, lock, endpoint, record } = this.published;
    return lock.isIntact() && endpoint.isIntact() && holdsRecord(places.record, record, this.platform.owner);
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
