/**
 * koffi, the FFI library, loaded on first use only: a second instance that finds a running
 * primary on Linux/macOS never loads it.
 *
 * It is loaded with `import()` of a specifier held in a variable, which every bundler leaves as it
 * is (esbuild, Rollup and Vite, webpack, in CommonJS and in ES module output alike): koffi is then
 * resolved at run time from the app's `node_modules`, beside the file that holds this code,
 * however the app was bundled. koffi must not be bundled: it loads its native binary from its own
 * folder (or a packaged app's resources) at run time.
 */
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { LockError, describeOsError } from '../errors.js';

/** The koffi module. */
export type KoffiModule = typeof Koffi;

/** A variable, not a literal: bundlers must neither bundle koffi nor rewrite its loading. */
const KOFFI = 'koffi';

let loading: Promise<KoffiModule> | undefined;

/**
 * Loads koffi once; later calls share the same module.
 * @throws LockError when koffi cannot be loaded: not installed, or not shipped with the app
 */
export function loadKoffi(): Promise<KoffiModule> {
  loading ??= importKoffi();
  return loading;
}

async function importKoffi(): Promise<KoffiModule> {
  try {
    const module = (await import(/* webpackIgnore: true */ /* @vite-ignore */ KOFFI)) as KoffiModule & { default?: KoffiModule };
    return module.default ?? module;
  } catch (error) {
    loading = undefined;
    const described = describeOsError(error);
    const missing = described === (error instanceof Error ? error.message : String(error));
    throw new LockError(
      `koffi, which takes the lock, cannot be loaded (${described}).` +
        (missing
          ? ' Install it beside sole-instance (npm install koffi) and ship it with the app (electron-builder does for dependencies; with Forge, use the hook from sole-instance/builder).'
          : ''),
      { cause: error },
    );
  }
}

/** The C library, where the POSIX backends' calls live. */
export async function loadLibc(): Promise<ReturnType<KoffiModule['load']>> {
  libc ??= (await loadKoffi()).load(process.platform === 'darwin' ? 'libSystem.B.dylib' : 'libc.so.6');
  return libc;
}

let libc: ReturnType<KoffiModule['load']> | undefined;
