/**
 * The Electron layer: the only file that knows Electron, and only through its types (Electron's
 * own objects are passed in, so this file runs under plain Node in tests with typed doubles).
 *
 * ```ts
 * const instance = await singleInstance({ app, dialog, appId: 'com.example.notes', onSecondInstance });
 * // only the primary gets here; a second instance has handed over and is exiting
 * app.whenReady().then(() => instance.setWindow(createWindow()));
 * ```
 */
import type { App, BrowserWindow, Dialog, Event } from 'electron';
import { claim } from './claim.js';
import { extractDeepLink } from './deep-link.js';
import { SingleInstanceError } from './errors.js';
import type { JsonValue } from './json.js';
import type { SecondInstance } from './launch-queue.js';
import type { Logger } from './logger.js';
import type { ClaimOptions } from './options.js';

/** What the layer uses of Electron's `app`. */
export interface AppLike extends Pick<App, 'exit' | 'focus' | 'getName'> {
  on(event: 'open-url', listener: (event: Event, url: string) => void): unknown;
}

/** What the layer uses of a `BrowserWindow` to bring it forward. */
export type WindowLike = Pick<BrowserWindow, 'isDestroyed' | 'isMinimized' | 'restore' | 'isVisible' | 'show' | 'focus'>;

/** What the layer uses of Electron's `dialog`. */
export type DialogLike = Pick<Dialog, 'showErrorBox'>;

/** A launch as the app sees it: a second instance's hand-off, or a macOS `open-url`. */
export interface AppLaunch extends SecondInstance {
  /** `second-instance` for a hand-off, `open-url` for a link macOS delivered to this process. */
  source: 'second-instance' | 'open-url';
  /** The deep link of the app's scheme in this launch, if any. */
  url: string | null;
}

/** The app's handler; its return value (or promise) is the second instance's reply. */
// A handler with no return statement (`void`) must be accepted: it replies null.
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export type AppLaunchHandler = (launch: AppLaunch) => JsonValue | void | Promise<JsonValue | void>;

/** Options of {@link singleInstance}. */
export interface ElectronSingleInstanceOptions extends Omit<ClaimOptions, 'appId' | 'logger' | 'forwardEnv'> {
  /** Electron's `app`. */
  app: AppLike;
  /** Electron's `dialog`, for the error shown when the running instance does not answer. */
  dialog: DialogLike;
  /**
   * The app id; use electron-builder's `appId`.
   * @default app.getName()
   */
  appId?: string;
  /** The app's custom protocol without `://` (e.g. `notes`), to pick deep links out of launches. */
  scheme?: string;
  /** Receives every launch once the window is set; may return a reply. */
  onSecondInstance?: AppLaunchHandler;
  /**
   * Where decisions go.
   * @default electron-log's `scope('single-instance')` (the host app's transports are left as they are)
   */
  logger?: Logger;
  /**
   * The platform whose window rules apply.
   * @default process.platform
   */
  platform?: NodeJS.Platform;
}

/** The primary instance, as the Electron app holds it. */
export interface ElectronPrimary {
  /** The socket path or pipe name it listens on. */
  readonly endpoint: string;
  /**
   * Sets the window to bring forward on each launch. Launches that came before the first
   * window are delivered (and the window focused) now, in arrival order.
   */
  setWindow(window: WindowLike): void;
  /** Frees the lock and the endpoint (also done by the OS when the process exits). */
  release(): Promise<void>;
}

/** Environment variables a launch forwards so the primary may activate its window (Wayland, X11). */
export const ACTIVATION_ENV = ['XDG_ACTIVATION_TOKEN', 'DESKTOP_STARTUP_ID'];

/** Exit code of a second instance whose primary did not answer. */
export const EXIT_NOT_RESPONDING = 3;
const EXIT_FAILURE = 1;

/**
 * Claims the single instance for an Electron app. Call it at the top of main, before
 * `app.whenReady()` and before any window. In a second instance it hands the launch over,
 * exits with `app.exit(0)` and never settles; when the running instance does not answer it
 * shows an error box and exits with code 3. Only the primary's call resolves.
 * @param options - Electron objects, app id and handler
 * @throws InvalidOptionsError for a bad app id or option (a programming error)
 */
export async function singleInstance(options: ElectronSingleInstanceOptions): Promise<ElectronPrimary> {
  const { app, dialog, scheme, onSecondInstance, platform = process.platform, ...claimOptions } = options;
  const logger = options.logger ?? defaultLogger();
  let instance;
  try {
    instance = await claim({ ...claimOptions, appId: options.appId ?? app.getName(), logger, forwardEnv: ACTIVATION_ENV });
  } catch (error) {
    if (!(error instanceof SingleInstanceError) || error.code === 'EINVALID') {
      throw error;
    }
    logger.error(error.message);
    dialog.showErrorBox(`${app.getName()} cannot start`, error.detail);
    app.exit(error.code === 'ETIMEOUT' ? EXIT_NOT_RESPONDING : EXIT_FAILURE);
    return never();
  }
  if (instance.role === 'secondary') {
    logger.info(`handed over to the running instance (pid ${instance.primaryPid}); exiting`);
    app.exit(0);
    return never();
  }
  const primary = instance;
  const handedOver = (launch: SecondInstance): AppLaunch => ({
    ...launch,
    source: 'second-instance',
    url: scheme ? extractDeepLink(launch.argv, scheme) : null,
  });
  let window: WindowLike | undefined;
  const deliver = async (launch: AppLaunch): Promise<JsonValue> => {
    if (window && !window.isDestroyed()) {
      activate(app, launch.env);
      bringToFront(window, app, platform);
    }
    return (await onSecondInstance?.(launch)) ?? null;
  };
  const deliverUrl = (launch: AppLaunch): void => {
    deliver(launch).catch((error: unknown) => logger.error(`open-url handler failed: ${String(error)}`));
  };
  const openUrls: AppLaunch[] = [];
  app.on('open-url', (event, url) => {
    event.preventDefault();
    const launch: AppLaunch = { argv: [url], cwd: process.cwd(), data: null, pid: process.pid, env: {}, source: 'open-url', url };
    if (window) {
      deliverUrl(launch);
    } else {
      openUrls.push(launch);
    }
  });
  return {
    endpoint: primary.endpoint,
    setWindow(next) {
      const first = !window;
      window = next;
      if (first) {
        primary.onSecondInstance((launch) => deliver(handedOver(launch)));
        openUrls.splice(0).forEach(deliverUrl);
      }
    },
    release: () => primary.release(),
  };
}

/**
 * Brings a window to the front the way users expect: restore if minimized, show if hidden
 * (tray apps), focus; on macOS also make the app active.
 * @param window - the window
 * @param app - Electron's `app`
 * @param platform - the platform whose rules apply
 */
export function bringToFront(window: WindowLike, app: Pick<AppLike, 'focus'>, platform: NodeJS.Platform): void {
  if (window.isMinimized()) {
    window.restore();
  }
  if (!window.isVisible()) {
    window.show();
  }
  window.focus();
  if (platform === 'darwin') {
    app.focus({ steal: true });
  }
}

/**
 * Hands a launch's activation token to Electron where this Electron version can take one at
 * run time (`app.setActivationToken`, Linux). Electron 40 has no such API: there the token
 * reaches the app's handler in `launch.env` and nothing more.
 */
function activate(app: AppLike, env: Record<string, string>): void {
  const token = env.XDG_ACTIVATION_TOKEN ?? env.DESKTOP_STARTUP_ID;
  const withToken = app as AppLike & { setActivationToken?: (token: string) => void };
  if (token && typeof withToken.setActivationToken === 'function') {
    withToken.setActivationToken(token);
  }
}

function defaultLogger(): Logger {
  // electron-log's main entry needs Electron; loaded only when no logger was passed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const log = require('electron-log/main') as typeof import('electron-log/main');
  return log.scope('single-instance');
}

function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}
