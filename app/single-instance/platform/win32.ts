/**
 * Windows: ownership of a named kernel mutex, a named pipe, and the secret in the user's
 * profile. The user's SID and session id, which every name carries, come from the Win32 API.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { EndpointError } from '../errors.js';
import { deriveNames, privateDirFor } from '../names.js';
import { Win32Mutex } from './mutex.js';
import { readSecret, writeSecret } from './secret.js';
import type { Platform } from './types.js';
import { type Win32Api, loadWin32Api } from './win32-api.js';

let api: Win32Api | undefined;

/** The Windows platform. */
export const win32: Platform = {
  async names(appId, scope) {
    api ??= await loadWin32Api();
    const privateDir = privateDirFor('win32', process.env, os.homedir(), os.tmpdir(), '');
    return deriveNames(appId, scope, { platform: 'win32', user: api.currentUserSid(), session: api.currentSessionId(), privateDir });
  },
  mayBeListening: () => true,
  preparePrivateDir(names) {
    try {
      fs.mkdirSync(names.privateDir, { recursive: true });
    } catch (error) {
      throw new EndpointError(`cannot create the private directory ${names.privateDir}: ${String(error)}`, { cause: error });
    }
  },
  readSecret: (names) => readSecret(names.secret),
  writeSecret: (names) => writeSecret(names.secret),
  removeEndpoint: () => undefined,
  createLock: async (names) => new Win32Mutex(await loadWin32Api(), names.lock),
  allowForeground: (pid) => (api ? api.AllowSetForegroundWindow(pid) !== 0 : false),
};
