/**
 * koffi, the FFI library, loaded on first use only: a second instance that finds a running
 * primary on Linux/macOS never loads it. The package ships CommonJS (its ES module entries
 * re-export it), so this is a plain `require('koffi')` inside a function: every bundler sees it,
 * and it loads koffi's CommonJS build about 2 ms sooner than `import()` would its ESM one. koffi
 * itself must stay external (it loads its native binary at run time).
 */
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { LockError } from '../errors.js';

/** The koffi module. */
export type KoffiModule = typeof Koffi;

let koffi: KoffiModule | undefined;

/**
 * Loads koffi once; later calls share the same module.
 * @throws LockError when koffi cannot be loaded: not installed, bundled, or not shipped with the app
 */
export function loadKoffi(): KoffiModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    koffi ??= require('koffi') as KoffiModule;
    return koffi;
  } catch (error) {
    throw new LockError(
      `koffi, which takes the lock, cannot be loaded (${error instanceof Error ? error.message : String(error)}). ` +
        'Install it beside sole-instance (npm install koffi), keep it external in your bundler and ship it with the app.',
      { cause: error },
    );
  }
}
