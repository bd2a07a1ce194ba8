/**
 * A stand-in for the `electron` module, the only double the suites allow: a built main process
 * runs under plain Node with it (no Electron binary can run here). It models what the package
 * and the project templates use, typed against Electron's own declarations, and reports what
 * the app does as JSON lines on stdout: `{"standIn":"window-created"}`, `"focus"`, `"exit"`...
 *
 * Like Electron, it gets ready asynchronously, once the app waits for it (`app.whenReady()`):
 * then, with `STAND_IN_OPEN_URL` set, it first emits `open-url` with that link, as macOS does
 * for a cold start by a link, and then `ready`.
 */
import { EventEmitter } from 'node:events';
import * as os from 'node:os';
import type * as Electron from 'electron';

function report(event: string, detail: object = {}): void {
  process.stdout.write(`${JSON.stringify({ standIn: event, ...detail })}\n`);
}

/** What a second instance must never do, and what the primary does once it has a window. */
type WindowMethods = 'isDestroyed' | 'isMinimized' | 'restore' | 'isVisible' | 'show' | 'focus' | 'loadURL' | 'loadFile';

class StandInWebContents extends EventEmitter implements Pick<Electron.WebContents, 'send' | 'openDevTools' | 'setWindowOpenHandler'> {
  send(channel: string): void {
    report('send', { channel });
  }
  openDevTools(): void {
    // No devtools without a browser.
  }
  setWindowOpenHandler(): void {
    // Windows never open here.
  }
}

class StandInWindow extends EventEmitter implements Pick<Electron.BrowserWindow, WindowMethods> {
  private static readonly windows: StandInWindow[] = [];
  readonly webContents = new StandInWebContents();
  private visible = false;

  static getAllWindows(): StandInWindow[] {
    return [...StandInWindow.windows];
  }

  constructor(options: Electron.BrowserWindowConstructorOptions = {}) {
    super();
    StandInWindow.windows.push(this);
    this.visible = options.show ?? true;
    report('window-created');
    app.emit('browser-window-created', {}, this);
    setImmediate(() => this.emit('ready-to-show'));
  }
  isDestroyed(): boolean {
    return false;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {
    report('restore');
  }
  isVisible(): boolean {
    return this.visible;
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {
    report('focus');
  }
  loadURL(): Promise<void> {
    return Promise.resolve();
  }
  loadFile(): Promise<void> {
    return Promise.resolve();
  }
}

type AppMethods = 'exit' | 'quit' | 'focus' | 'getName' | 'getVersion' | 'whenReady' | 'isReady' | 'setAppUserModelId' | 'setAsDefaultProtocolClient';

class StandInApp extends EventEmitter implements Pick<Electron.App, AppMethods> {
  readonly isPackaged = false;
  private ready = false;
  private readyPromise: Promise<void> | undefined;

  exit(exitCode = 0): void {
    report('exit', { code: exitCode });
    process.exit(exitCode);
  }
  quit(): void {
    report('quit');
    process.exit(0);
  }
  focus(options?: Electron.FocusOptions): void {
    report('app-focus', { options });
  }
  getName(): string {
    return 'Stand-in App';
  }
  getVersion(): string {
    return '1.0.0';
  }
  getPath(): string {
    return os.tmpdir();
  }
  whenReady(): Promise<void> {
    this.readyPromise ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        const link = process.env.STAND_IN_OPEN_URL;
        if (link) {
          this.emit('open-url', { preventDefault: () => undefined }, link);
        }
        this.ready = true;
        this.emit('ready', {}, {});
        resolve();
      });
    });
    return this.readyPromise;
  }
  isReady(): boolean {
    return this.ready;
  }
  setAppUserModelId(): void {
    // Windows only; nothing to model.
  }
  setAsDefaultProtocolClient(): boolean {
    return true;
  }
}

class StandInIpcMain extends EventEmitter implements Pick<Electron.IpcMain, 'handle'> {
  handle(): void {
    // No renderer calls in.
  }
}

const dialogStandIn: Pick<Electron.Dialog, 'showErrorBox'> = {
  showErrorBox: (title, content) => report('error-box', { title, content }),
};

const shellStandIn: Pick<Electron.Shell, 'openExternal'> = {
  openExternal: () => Promise.resolve(),
};

/** electron-vite's template helpers (`@electron-toolkit/utils`) import `session` by name, which an ES module main must find; `setProxy` is what they call on it. */
const sessionStandIn: { defaultSession: Pick<Electron.Session, 'setProxy'> } = {
  defaultSession: { setProxy: () => Promise.resolve() },
};

/** electron-updater announces a quit for an update on Electron's own `autoUpdater` before it quits the app. */
class StandInAutoUpdater extends EventEmitter implements Pick<Electron.AutoUpdater, 'emit'> {}

const app = new StandInApp();

export { app, StandInWindow as BrowserWindow, dialogStandIn as dialog, sessionStandIn as session, shellStandIn as shell };
export const ipcMain = new StandInIpcMain();
export const autoUpdater = new StandInAutoUpdater();
