/**
 * What differs between Windows and Linux/macOS, behind one small interface chosen once per
 * process. The Linux/macOS side loads nothing native until a lock is needed, so the common
 * double-click (a second instance finding a running primary) never loads the FFI library.
 */
import * as os from 'node:os';
import type { KernelLock } from './lock.js';
import { type InstanceNames, type NameContext, type Scope, deriveNames, privateDirFor } from './names.js';
import type * as LockPosix from './lock-posix.js';
import type * as LockWin32 from './lock-win32.js';
import type * as Win32Api from './win32-api.js';

/** The platform-specific operations the claim needs. */
export interface Platform {
  /** Every name for an app id and scope. */
  names(appId: string, scope: Scope): InstanceNames;
  /** A lock backend for those names (loads the FFI library). */
  createLock(names: InstanceNames): KernelLock;
  /**
   * Lets the primary `pid` take the foreground when it shows its window (Windows'
   * `AllowSetForegroundWindow`); returns whether the OS agreed, `false` where it does not apply.
   */
  allowForeground(pid: number): boolean;
}

/* Backends are required lazily: loading them loads koffi. */
/* eslint-disable @typescript-eslint/no-require-imports */
const loadWin32Api = (): typeof Win32Api => require('./win32-api.js') as typeof Win32Api;

const posix: Platform = {
  names(appId, scope) {
    const user = String(process.getuid?.() ?? 0);
    const context: NameContext = {
      platform: process.platform,
      user,
      session: null,
      privateDir: privateDirFor(process.platform, process.env, os.homedir(), os.tmpdir(), user),
    };
    return deriveNames(appId, scope, context);
  },
  createLock(names) {
    const { PosixLock } = require('./lock-posix.js') as typeof LockPosix;
    return new PosixLock(names.lock);
  },
  allowForeground: () => false,
};

const windows: Platform = {
  names(appId, scope) {
    const api = loadWin32Api().win32();
    const context: NameContext = {
      platform: 'win32',
      user: api.currentUserSid(),
      session: api.currentSessionId(),
      privateDir: privateDirFor('win32', process.env, os.homedir(), os.tmpdir(), ''),
    };
    return deriveNames(appId, scope, context);
  },
  createLock(names) {
    const { Win32Lock } = require('./lock-win32.js') as typeof LockWin32;
    return new Win32Lock(names.lock);
  },
  allowForeground: (pid) => loadWin32Api().win32().AllowSetForegroundWindow(pid) !== 0,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The platform of this process, chosen once. */
export const currentPlatform: Platform = process.platform === 'win32' ? windows : posix;
