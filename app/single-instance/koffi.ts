/**
 * koffi, the FFI library, for the CommonJS build: its type declarations are published as ESM
 * only, so the types are imported as ESM and the library itself is required. Importing this
 * file loads the native library; only the lock backends and the Win32 bindings do.
 */
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };

/** The koffi module. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const koffi = require('koffi') as typeof Koffi;
