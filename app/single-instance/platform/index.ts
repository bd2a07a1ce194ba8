/** The platform of this process, chosen once: Windows, or Linux/macOS. */
import { posix } from './posix.js';
import type { Platform } from './types.js';
import { win32 } from './win32.js';

export type { Endpoint, Held, KernelLock, Platform } from './types.js';

/** The platform of this process. */
export const currentPlatform: Platform = process.platform === 'win32' ? win32 : posix;
