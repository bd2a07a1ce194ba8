/**
 * The installer's quit request: the installed app run as `"<exe>" --sole-instance-request=quit`
 * asks the running instance to quit, through its own authenticated channel, so that it can be
 * updated or removed. The flag counts only where the installer puts it: as the first argument
 * after the program, never after `--`, a file or a link.
 */

/** The command-line flag with which an installer asks the running app to quit (see `sole-instance/builder`). */
export const QUIT_REQUEST = '--sole-instance-request=quit';

/** What a launch asks of the running instance: `quit` (an installer's request), or `null` (open). */
export type LaunchRequest = 'quit' | null;

/**
 * Where a command line's own arguments start: after the executable of a packaged Electron app;
 * after the runtime and the script or app folder otherwise (`node host.js`, `electron .`).
 */
export function firstArgumentIndex(): number {
  const electron = process.versions.electron !== undefined;
  const defaultApp = (process as { defaultApp?: boolean }).defaultApp === true;
  return electron && !defaultApp ? 1 : 2;
}

/**
 * What a command line asks of the running instance.
 * @param argv - the command line, as `process.argv` gives it
 * @param first - where its own arguments start (see {@link firstArgumentIndex})
 */
export function requestOf(argv: readonly string[], first = firstArgumentIndex()): LaunchRequest {
  return argv[first] === QUIT_REQUEST ? 'quit' : null;
}
