/**
 * Doubles of Electron's objects for the Electron layer's suites, typed against Electron's own
 * declarations (no Electron binary runs here): each records what the layer does with it.
 */
import * as assert from 'node:assert/strict';
import type { Event, FocusOptions, WindowSessionEndEvent } from 'electron';
import type { AppLike, DialogLike, SessionEndEvents, WindowLike } from 'sole-instance/electron';

/** Records every call made to it, in order, into a shared journal. */
export class WindowDouble implements WindowLike, SessionEndEvents {
  constructor(
    private readonly journal: string[],
    private minimized = false,
    private visible = true,
  ) {}
  isDestroyed(): boolean {
    return false;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.journal.push('window.restore');
    this.minimized = false;
  }
  isVisible(): boolean {
    return this.visible;
  }
  show(): void {
    this.journal.push('window.show');
    this.visible = true;
  }
  focus(): void {
    this.journal.push('window.focus');
  }
  private readonly sessionEnd = new Set<(event: WindowSessionEndEvent) => void>();
  on(_event: 'session-end', listener: (event: WindowSessionEndEvent) => void): this {
    this.sessionEnd.add(listener);
    return this;
  }
  removeListener(_event: 'session-end', listener: (event: WindowSessionEndEvent) => void): this {
    this.sessionEnd.delete(listener);
    return this;
  }
  /** What Electron does when Windows ends the session (the Restart Manager: reason `close-app`). */
  endSession(...reasons: WindowSessionEndEvent['reasons']): void {
    for (const listener of [...this.sessionEnd]) {
      listener({ reasons, preventDefault: () => undefined, defaultPrevented: false } as unknown as WindowSessionEndEvent);
    }
  }
  /** How many listeners it has for the session's end. */
  get sessionEndListeners(): number {
    return this.sessionEnd.size;
  }
}

export class AppDouble implements AppLike {
  readonly exitCodes: number[] = [];
  private readonly listeners = new Map<string, (event: Event, target: string) => void>();
  private exited: (code: number) => void = () => undefined;
  /** Resolves with the code of the first `exit` call. */
  readonly exit$ = new Promise<number>((resolve) => {
    this.exited = resolve;
  });

  constructor(
    private readonly journal: string[] = [],
    private readonly name = 'Double App',
  ) {}
  exit(exitCode?: number): void {
    this.exitCodes.push(exitCode ?? 0);
    this.exited(exitCode ?? 0);
  }
  quit(): void {
    this.journal.push('app.quit');
  }
  focus(options?: FocusOptions): void {
    this.journal.push(`app.focus(${JSON.stringify(options)})`);
  }
  getName(): string {
    return this.name;
  }
  on(event: 'open-url' | 'open-file', listener: (event: Event, target: string) => void): this {
    this.listeners.set(event, listener);
    return this;
  }
  /** What macOS does when a link of the app's scheme, or a file of one of its types, is opened. */
  emit(event: 'open-url' | 'open-file', target: string): boolean {
    let prevented = false;
    const listener = this.listeners.get(event);
    assert.ok(listener, `${event} is listened to`);
    listener({ preventDefault: () => (prevented = true), defaultPrevented: false } as unknown as Event, target);
    return prevented;
  }
}

/**
 * Watches a promise from now on; the returned function resolves, once pending callbacks have
 * run, with whether it has resolved, rejected or is still pending.
 */
export function settlement(promise: Promise<unknown>): () => Promise<'resolved' | 'rejected' | 'pending'> {
  let state: 'resolved' | 'rejected' | 'pending' = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  return () => new Promise((resolve) => setImmediate(() => resolve(state)));
}

export class DialogDouble implements DialogLike {
  readonly shown: [string, string][] = [];
  showErrorBox(title: string, content: string): void {
    this.shown.push([title, content]);
  }
}

