/**
 * koffi, the FFI library, loaded on first use only: a second instance that finds a running
 * primary on Linux/macOS never loads it. The import is a plain dynamic `import('koffi')`, which
 * every bundler sees; koffi itself must stay external (it loads its native binary at run time).
 */
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };

/** The koffi module. */
export type KoffiModule = typeof Koffi;

let loading: Promise<KoffiModule> | undefined;

/** Loads koffi once; later calls share the same module. */
export function loadKoffi(): Promise<KoffiModule> {
  loading ??= import('koffi');
  return loading;
}
