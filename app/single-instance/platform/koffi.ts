/**
 * koffi, the FFI library, loaded on first use only: a second instance that finds a running
 * primary on Linux/macOS never loads it. The import is a plain dynamic `import('koffi')`, which
 * every bundler sees; koffi itself must stay external (it loads its native binary at run time).
 */
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { LockError } from '../errors.js';

/** The koffi module. */
export type KoffiModule = typeof Koffi;

let loading: Promise<KoffiModule> | undefined;

/**
 * Loads koffi once; later calls share the same module.
 * @throws LockError when koffi cannot be loaded: not installed, bundled, or not shipped with the app
 */
export function loadKoffi(): Promise<KoffiModule> {
  loading ??= import('koffi').catch((error: unknown) => {
    loading = undefined;
    throw new LockError(
      `koffi, which takes the lock, cannot be loaded (${error instanceof Error ? error.message : String(error)}). ` +
        'Install it beside sole-instance (npm install koffi), keep it external in your bundler and ship it with the app.',
      { cause: error },
    );
  });
  return loading;
}
