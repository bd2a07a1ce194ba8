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
import type { App, Dialog } from 'electron';
import {
  type ClaimOptions,
  ExitCode,
  type Launch,
  type LaunchHandler,
  LaunchQueue,
  type Logger,
  type PrimaryInstance,
  type SecondaryInstance,
  SingleInstanceError,
  claim,
  describeThrown,
  exitCodeFor,
  requestOf,
} from '../index.js';
import { type WindowLike, bringToFront } from './bring-to-front.js';
import { defaultLogger } from './default-logger.js';
import { type OsEvents, takeOsLaunches } from './os-launches.js';
import { DECLINED_ANOTHER_INSTALLATION, fromThisInstallation, replyTimeoutFor } from './quit-request.js';
import { answerRestartManager, hasSessionEvents } from './session-end.js';
import { handleSquirrelEvent } from './squirrel.js';

export { type WindowLike, bringToFront } from './bring-to-front.js';
export { QUIT_REPLY_TIMEOUT_MS, fromThisInstallation } from './quit-request.js';
export { type SessionEndEvents, answerRestartManager } from './session-end.js';
export { SQUIRREL_HOOK_TIMEOUT_MS, type SquirrelEvent, type SquirrelOptions, type SquirrelOutcome, handleSquirrelEvent, squirrelEventOf } from './squirrel.js';

/** What the layer uses of Electron's `app`. */
export interface AppLike extends Pick<App, 'exit' | 'quit' | 'focus' | 'getName'>, OsEvents {}

/** What the layer uses of Electron's `dialog`. */
export type DialogLike = Pick<Dialog, 'showErrorBox'>;

/** Options of {@link singleInstance}: `claim()`'s, plus Electron's objects and the handlers. */
export interface SingleInstanceOptions extends Omit<ClaimOptions, 'logger' | 'queue'> {
  /** Electron's `app`. */
  app: AppLike;
  /** Electron's `dialog`, for the error shown when a launch cannot be delivered. */
  dialog: DialogLike;
  /**
   * Receives every launch (a second instance's, or a link or file macOS opened) once the window
   * is set, in arrival order; may return a reply.
   */
  onSecondInstance?: LaunchHandler;
  /**
   * Receives the app's installer's (or updater's) request to quit, at once, window or not: save
   * what needs saving, then quit. The window is not raised for it. On Windows, a close by the
   * Restart Manager (MSI installers, Windows Update) comes here too, as a launch of source
   * `session-end`. A request from another installation of the app is declined, never handed here.
   * @default quits the app with `app.quit()`
   */
  onQuitRequest?: LaunchHandler;
  /**
   * Second instance only: called with the primary's pid and reply before this process exits.
   * @returns the exit code to end with
   * @default exit code 0
   */
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
  onHandedOver?: (secondary: SecondaryInstance) => number | void | Promise<number | void>;
  /**
   * Where decisions go.
   * @default electron-log's `scope('sole-instance')` (the host app's transports are left as
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
  /** The socket path or pipe name it listens on now. */
  readonly endpoint: string;
  /**
   * Sets the window to bring forward on each launch (again for a new window). Launches that came
   * before the first window are delivered (and the window focused) now, in arrival order. On
   * Windows, the Restart Manager's close of this window takes the quit path.
   */
  setWindow(window: WindowLike): void;
  /** Frees the lock and the endpoint (also done by the OS when the process exits). */
  release(): Promise<void>;
}

/**
 * Claims the single instance for an Electron app. Call it at the top of main, before
 * `app.whenReady()` and before any window: it takes `open-url` and `open-file` at once.
 * In a second instance it hands the launch over, calls `onHandedOver`, exits with `app.exit()`
 * and never settles (an installer's quit request waits for the reply at most
 * `QUIT_REPLY_TIMEOUT_MS`). When the launch cannot be delivered (or the options are wrong) it
 * logs, shows an error box (not for an installer's quit request, which must never wait on a
 * person) and exits with the code of `exitCodeFor` (3: the running instance did not take the
 * launch). On Windows, a Squirrel.Windows event launch is handled and exits 0 without claiming.
 * Only the primary's call resolves; it rejects only when `app` itself is missing (there is then
 * nothing to exit through).
 * @param options - Electron objects, app id and handlers
 */
export async function singleInstance(options: SingleInstanceOptions): Promise<ElectronPrimary> {
  const { app, dialog, onSecondInstance, onQuitRequest, onHandedOver, platform, logger: given, ...claimOptions } = options;
  const queue = new LaunchQueue();
  let logger: Logger | undefined = given;
  takeOsLaunches(app, queue, (message) => logger?.error(message));
  const argv = claimOptions.argv ?? process.argv;
  const request = claimOptions.request ?? requestOf(argv);
  try {
    logger ??= await defaultLogger();
    if ((platform ?? process.platform) === 'win32') {
      const squirrel = await handleSquirrelEvent({ argv });
      if (squirrel) {
        logger.info(`Squirrel.Windows event ${squirrel.event} (Update.exe: ${JSON.stringify(squirrel.updateExe)}); exiting without claiming`);
        return await exitWith(app, ExitCode.ok);
      }
    }
    const instance = await claim({ ...claimOptions, request, logger, queue, replyTimeoutMs: replyTimeoutFor(request, claimOptions.replyTimeoutMs) });
    if (instance.role === 'primary') {
      return primary(instance, options, logger);
    }
    if (instance.role === 'secondary') {
      logger.info(`handed over to the running instance (pid ${instance.primaryPid}); exiting`);
    }
    const code = instance.role === 'secondary' ? await onHandedOver?.(instance) : undefined;
    return await exitWith(app, code ?? ExitCode.ok);
  } catch (error) {
    report(() => logger?.error(describe(error)));
    if (request !== 'quit') {
      report(() => dialog.showErrorBox(`${app.getName()} cannot start`, describe(error)));
    }
    return exitWith(app, exitCodeFor(error));
  }
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

function primary(instance: PrimaryInstance, options: SingleInstanceOptions, logger: Logger): ElectronPrimary {
  const { app, onSecondInstance, onQuitRequest, platform = process.platform } = options;
  const quit: LaunchHandler = onQuitRequest ?? (() => app.quit());
  instance.onQuitRequest((launch) => (fromThisInstallation(launch, process.execPath, platform) ? quit(launch) : DECLINED_ANOTHER_INSTALLATION));
  let window: WindowLike | undefined;
  let stopAnswering: (() => void) | undefined;
  const answerClose = (next: WindowLike): void => {
    stopAnswering?.();
    stopAnswering = platform === 'win32' && hasSessionEvents(next) ? answerRestartManager(next, (launch) => runQuit(quit, launch, logger)) : undefined;
  };
  const present: LaunchHandler = (launch) => {
    if (window && !window.isDestroyed()) {
      activate(app, launch.env);
      bringToFront(window, app, platform);
    }
    return onSecondInstance?.(launch);
  };
  return {
    get endpoint() {
      return instance.endpoint;
    },
    setWindow(next) {
      const first = window === undefined;
      window = next;
      answerClose(next);
      if (first) {
        instance.onSecondInstance(present);
      }
    },
    release: () => instance.release(),
  };
}

/** Runs the quit path for a close that came another way than a launch; its failure is logged. */
function runQuit(quit: LaunchHandler, launch: Launch, logger: Logger): void {
  Promise.resolve()
    .then(() => quit(launch))
    .catch((error: unknown) => logger.error(`the quit path failed for a ${launch.source} close: ${describe(error)}`));
}

/** What an error box says about a failure: the message without the package prefix. */
function describe(error: unknown): string {
  if (error instanceof SingleInstanceError) {
    return error.detail;
  }
  return describeThrown(error);
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
