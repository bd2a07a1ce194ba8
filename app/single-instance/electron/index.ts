/**
 * `sole-instance/electron`: the Electron layer. It knows Electron only through its types:
 * Electron's own objects are passed in, so it runs under plain Node in tests with typed doubles.
 *
 * ```ts
 * const instance = await singleInstance({ app, dialog, appId: 'com.example.notes', onSecondInstance });
 * // only the primary gets here; a second instance has handed over and is exiting
 * app.whenReady().then(() => instance.setWindow(createWindow()));
 * ```
 */
import type { App, Dialog, Event } from 'electron';
import {
  type ClaimOptions,
  type Handler,
  InvalidOptionsError,
  type JsonValue,
  type Launch as CoreLaunch,
  type Logger,
  type PrimaryInstance,
  ExitCode,
  SingleInstanceError,
  claim,
  exitCodeFor,
  launchRequest,
} from '../index.js';
import { type WindowLike, bringToFront } from './bring-to-front.js';
import { extractDeepLink } from './deep-link.js';
import { defaultLogger } from './default-logger.js';
import { LaunchInbox } from './launch-inbox.js';

export { type WindowLike, bringToFront } from './bring-to-front.js';
export { extractDeepLink } from './deep-link.js';

/** What the layer uses of Electron's `app`. */
export interface AppLike extends Pick<App, 'exit' | 'focus' | 'getName'> {
  on(event: 'open-url', listener: (event: Event, url: string) => void): unknown;
  on(event: 'open-file', listener: (event: Event, path: string) => void): unknown;
}

/** What the layer uses of Electron's `dialog`. */
export type DialogLike = Pick<Dialog, 'showErrorBox'>;

/** A launch as the Electron app sees it: a second instance's hand-off, or a link or file macOS opened. */
export interface Launch extends CoreLaunch {
  /**
   * `second-instance` for a hand-off; `open-url` / `open-file` for a link or file macOS delivered
   * to this process (then `argv` is `[url]` or `[path]`, `cwd` is `null` and `pid` is this process).
   */
  source: 'second-instance' | 'open-url' | 'open-file';
  /** The deep link of the app's scheme in this launch, if any. */
  url: string | null;
  /**
   * `quit` when the app's installer (or updater) asks it to quit, to install over it: save what
   * needs saving and quit (`app.quit()`); an app that does not is reported to the user, never
   * killed. `null` for every other launch.
   */
  request: 'quit' | null;
}

/** The app's handler; its return value (or promise) is the second instance's reply. */
export type LaunchHandler = Handler<Launch>;

/** What a second instance learns from the primary it handed over to. */
export interface HandedOver {
  /** The primary's process id. */
  primaryPid: number;
  /** What the primary's handler returned. */
  reply: JsonValue;
}

/** Options of {@link singleInstance}: `claim()`'s, plus Electron's objects and the handlers. */
export interface SingleInstanceOptions extends Omit<ClaimOptions, 'logger'> {
  /** Electron's `app`. */
  app: AppLike;
  /** Electron's `dialog`, for the error shown when a launch cannot be delivered. */
  dialog: DialogLike;
  /** The app's custom protocol without `://` (e.g. `notes`), to pick deep links out of launches. */
  scheme?: string;
  /** Receives every launch once the window is set; may return a reply. */
  onSecondInstance?: LaunchHandler;
  /**
   * Second instance only: called with the primary's reply before this process exits.
   * @returns the exit code to end with
   * @default exit code 0
   */
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
  onHandedOver?: (handedOver: HandedOver) => number | void | Promise<number | void>;
  /**
   * Where decisions go.
   * @default electron-log's `scope('single-instance')` (the host app's transports are left as
   * they are); warnings and errors on the console when electron-log is not installed
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

/** Environment variables every launch forwards so the primary may activate its window (Wayland, X11). */
export const ACTIVATION_ENV: readonly string[] = ['XDG_ACTIVATION_TOKEN', 'DESKTOP_STARTUP_ID'];

/**
 * Claims the single instance for an Electron app. Call it at the top of main, before
 * `app.whenReady()` and before any window: it registers `open-url` and `open-file` at once.
 * In a second instance it hands the launch over, calls `onHandedOver`, exits with `app.exit()`
 * and never settles. When the launch cannot be delivered (or the options are wrong) it logs,
 * shows an error box and exits with the code of `exitCodeFor` (3: the running instance did
 * not take the launch). Only the primary's call resolves; it rejects only when `app` itself
 * is missing (there is then nothing to exit through).
 * @param options - Electron objects, app id and handlers
 */
export async function singleInstance(options: SingleInstanceOptions): Promise<ElectronPrimary> {
  const { app, dialog } = options;
  const inbox = new LaunchInbox(app);
  let logger: Logger | undefined = options.logger;
  try {
    logger ??= await defaultLogger();
    inbox.logger = logger;
    const claimOptions = claimOptionsOf(options);
    const instance = await claim({ ...claimOptions, logger });
    if (instance.role === 'primary' && launchRequest(claimOptions.argv ?? process.argv) === 'quit') {
      logger.info('asked to quit the running instance, but none runs: exiting');
      await instance.release();
      return await exitWith(app, ExitCode.ok);
    }
    if (instance.role === 'primary') {
      return primary(instance, inbox, options);
    }
    logger.info(`handed over to the running instance (pid ${instance.primaryPid}); exiting`);
    const code = await options.onHandedOver?.({ primaryPid: instance.primaryPid, reply: instance.reply });
    return await exitWith(app, code ?? ExitCode.ok);
  } catch (error) {
    report(() => logger?.error(describe(error)));
    report(() => dialog.showErrorBox(`${app.getName()} cannot start`, describe(error)));
    return exitWith(app, exitCodeFor(error));
  }
}

/** The options `claim()` takes, with the activation variables always forwarded. */
function claimOptionsOf(options: SingleInstanceOptions): ClaimOptions {
  const { app, dialog, scheme, onSecondInstance, onHandedOver, platform, logger, ...claimOptions } = options;
  const extra: unknown = claimOptions.forwardEnv ?? [];
  if (!Array.isArray(extra)) {
    throw new InvalidOptionsError('`forwardEnv` must be an array of variable names.');
  }
  return { ...claimOptions, forwardEnv: [...ACTIVATION_ENV, ...(extra as string[])] };
}

/** Exits the app with `code`; never settles. */
function exitWith(app: AppLike, code: number): Promise<never> {
  app.exit(code);
  return new Promise<never>(() => undefined);
}

/** Runs a step of reporting a failure; a failure of the report itself must not stop the exit. */
function report(step: () => void): void {
  try {
    step();
  } catch {
    // The process exits right after; there is nowhere left to report to.
  }
}

function primary(instance: PrimaryInstance, inbox: LaunchInbox, options: SingleInstanceOptions): ElectronPrimary {
  const { app, scheme, onSecondInstance, platform = process.platform } = options;
  instance.onSecondInstance((received) => {
    const launch: Launch = { ...received, source: 'second-instance', url: scheme ? extractDeepLink(received.argv, scheme) : null, request: launchRequest(received.argv) };
    // A quit request cannot wait for a window: an installer is waiting, and the app may be starting or tray-only.
    return launch.request === 'quit' ? (onSecondInstance?.(launch) ?? null) : inbox.receive(launch);
  });
  let window: WindowLike | undefined;
  const present: Handler<Launch> = (launch) => {
    if (launch.request === null && window && !window.isDestroyed()) {
      activate(app, launch.env);
      bringToFront(window, app, platform);
    }
    return onSecondInstance?.(launch);
  };
  return {
    endpoint: instance.endpoint,
    setWindow(next) {
      window = next;
      inbox.open(present);
    },
    release: async () => {
      inbox.close();
      await instance.release();
    },
  };
}

/** What an error box says about a failure: the message without the package prefix. */
function describe(error: unknown): string {
  if (error instanceof SingleInstanceError) {
    return error.detail;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Hands a launch's activation token to Electron where this Electron version can take one at
 * run time (`app.setActivationToken`, Linux): then the focus that follows is allowed.
 */
function activate(app: AppLike, env: Record<string, string>): void {
  const token = env.XDG_ACTIVATION_TOKEN ?? env.DESKTOP_STARTUP_ID;
  const withToken = app as AppLike & { setActivationToken?: (token: string) => void };
  if (token && typeof withToken.setActivationToken === 'function') {
    withToken.setActivationToken(token);
  }
}
