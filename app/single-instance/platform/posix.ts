/**
 * Linux and macOS: an `flock` lock file, a Unix socket and the secret, all in a private
 * per-user directory. Nothing native is loaded until the lock is needed, so the common
 * double-click (a second instance finding a running primary) never loads the FFI library.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { deriveNames, privateDirFor } from '../names.js';
import { FlockLock } from './flock.js';
import { ensurePrivateDir, verifyPrivateDir } from './private-dir.js';
import { readSecret, writeSecret } from './secret.js';
import type { Platform } from './types.js';

/** The Linux/macOS platform. */
export const posix: Platform = {
  names(appId, scope) {
    const user = String(process.getuid?.() ?? 0);
    const privateDir = privateDirFor(process.platform, process.env, os.homedir(), os.tmpdir(), user);
    return Promise.resolve(deriveNames(appId, scope, { platform: process.platform, user, session: null, privateDir }));
  },
  mayBeListening: (names) => fs.existsSync(names.endpoint),
  preparePrivateDir: (names) => ensurePrivateDir(names.privateDir),
  readSecret(names) {
    verifyPrivateDir(names.privateDir);
    return readSecret(names.secret);
  },
  writeSecret: (names) => writeSecret(names.secret),
  removeEndpoint: (names) => fs.rmSync(names.endpoint, { force: true }),
  createLock: (names) => FlockLock.open(names.lock),
  allowForeground: () => false,
};
