/**
 * Windows: ownership of a named kernel mutex (which no file operation can remove), a named pipe
 * of a random name (which nobody can create first), and the record in the user's Local AppData
 * folder as the known-folder API gives it. The user's SID and session id, which the mutex's name
 * carries, come from the Win32 API too.
 */
import { fs, path } from '../builtins.js';
import { EndpointError } from '../errors.js';
import { derivePlaces, stateDirFor } from '../names.js';
import { randomBytes } from '../random.js';
import { reportInstallerNotes } from './installer-notes.js';
import { Win32Mutex } from './mutex.js';
import type { Platform } from './types.js';
import { type Win32Api, loadWin32Api } from './win32-api.js';

let api: Win32Api | undefined;

/**
 * A folder as the file system names it: 8.3 names, `subst` drives and junctions resolved, as the
 * installer resolves its install folder (`GetFinalPathNameByHandleW`) before both hash it; the
 * folder as given when it cannot be resolved.
 * @param folder - an absolute folder path
 */
export function canonicalFolder(folder: string): string {
  try {
    return fs.realpathSync.native(folder);
  } catch {
    return folder;
  }
}

/** The Windows platform. */
export const win32: Platform = {
  owner: undefined,
  privateEndpoints: false,
  trustsEndpoint: () => true,
  async places(appId, scope) {
    api ??= await loadWin32Api();
    const stateDir = stateDirFor('win32', api.localAppData());
    const installFolderHash = api.hashFolder(canonicalFolder(path.win32.dirname(process.execPath)));
    return derivePlaces(appId, scope, { platform: 'win32', user: api.currentUserSid(), session: api.currentSessionId(), stateDir, host: '', sandbox: null, installFolderHash });
  },
  otherRecords: () => [],
  removeDeadEndpoint: () => Promise.resolve(false),
  prepareStateDir(places) {
    try {
      return fs.mkdirSync(places.stateDir, { recursive: true }) !== undefined;
    } catch (error) {
      throw new EndpointError(`cannot create the state directory ${places.stateDir}: ${String(error)}`, { cause: error });
    }
  },
  createLock: async (places) => new Win32Mutex(await loadWin32Api(), places.lock),
  createEndpoint: () => ({
    path: `\\\\.\\pipe\\sole-instance-${randomBytes(16).toString('hex')}`,
    watched: [],
    isIntact: () => true,
    remove: () => undefined,
  }),
  async claimPresence(places, logger, trace) {
    if (places.installerNotes) {
      reportInstallerNotes(places.installerNotes, logger);
    }
    if (!places.installation) {
      return { close: () => undefined };
    }
    const handle = (api ??= await loadWin32Api()).openForEveryone(places.installation);
    if (!handle) {
      logger.warn(`cannot hold the installation mutex ${places.installation} (Win32 error ${api.GetLastError()}): an installer may not see this instance`);
      trace({ event: 'degraded', what: 'installation' });
      return { close: () => undefined };
    }
    const held = api;
    return { close: () => held.CloseHandle(handle) };
  },
  allowForeground: (pid) => (api ? api.AllowSetForegroundWindow(pid) !== 0 : false),
};
