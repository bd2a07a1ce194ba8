/**
 * The installer's quit request, at both of its ends in the Electron layer.
 *
 * - The launch that carries it (`"<exe>" --sole-instance-request=quit`, run by the installer)
 *   ends within a bound whatever the running app does: it waits at most
 *   {@link QUIT_REPLY_TIMEOUT_MS} for the app's reply (the installer then watches the app exit),
 *   and it never shows a box (the layer's entry sees to that).
 * - The running app takes a request only from its own installation: the user's instance is one
 *   per app id, so an installer of another copy (a portable one, a second install) would
 *   otherwise close it. A request whose program lies in another folder is declined.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JsonValue, Launch, LaunchRequest } from '../index.js';

/** How long a quit-request launch waits for the running app's reply, at most (the app's handler may take longer; the installer waits for the app to exit). */
export const QUIT_REPLY_TIMEOUT_MS = 5000;

/** The reply to a quit request from another installation of the app. */
export const DECLINED_ANOTHER_INSTALLATION: JsonValue = { declined: 'another installation' };

/**
 * The reply timeout a launch claims with: a quit request's is bounded by
 * {@link QUIT_REPLY_TIMEOUT_MS}, so that the installer's launch always ends in time.
 * @param request - what the launch asks
 * @param given - the app's own `replyTimeoutMs`, if any
 */
export function replyTimeoutFor(request: LaunchRequest, given: number | undefined): number | undefined {
  return request === 'quit' ? Math.min(given ?? QUIT_REPLY_TIMEOUT_MS, QUIT_REPLY_TIMEOUT_MS) : given;
}

/**
 * Whether a quit request comes from this app's own installation: its program (`argv[0]`) lies in
 * the folder this process runs from, both named as the file system names them.
 * @param launch - the quit request
 * @param execPath - this process's program
 * @param platform - whose file names are case-insensitive (Windows, macOS)
 */
export function fromThisInstallation(launch: Launch, execPath = process.execPath, platform: NodeJS.Platform = process.platform): boolean {
  const program = launch.argv[0];
  if (program === undefined) {
    return true;
  }
  const [theirs, ours] = [program, execPath].map((file) => folderOf(file, platform));
  return theirs === ours;
}

/** A program's folder as the file system names it (8.3 names, `subst` drives and links resolved). */
function folderOf(file: string, platform: NodeJS.Platform): string {
  const folder = path.dirname(file);
  let resolved: string;
  try {
    resolved = fs.realpathSync.native(folder);
  } catch {
    resolved = path.resolve(folder);
  }
  return platform === 'win32' || platform === 'darwin' ? resolved.toLowerCase() : resolved;
}
