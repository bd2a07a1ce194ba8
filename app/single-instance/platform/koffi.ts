/**
 * koffi, the FFI library, loaded on first use only: a second instance that finds a running
 * primary on Linux/macOS never loads it.
 *
 * A launch that needs it (it becomes the primary) loads koffi's native binary straight where it
 * can be found for certain: where `sole-instance/builder` puts it in a packaged app
 * (`<resources>/koffi/<os>_<arch>/koffi.node`), or beside the koffi the app installed (its
 * `@koromix/koffi-<os>-<arch>` package). koffi's own JavaScript loader costs a launch about 10 ms
 * more (it loads Node's worker and diffing machinery on the way) and only adds deprecated aliases
 * to the same native functions. Anywhere else, koffi is loaded as koffi says: `import()` of a
 * specifier held in a variable, which every bundler leaves as it is, so that koffi is resolved at
 * run time from the app's `node_modules`, beside the file that holds this code. koffi must not be
 * bundled: it loads its native binary at run time.
 */
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { fs, path } from '../builtins.js';
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
  loading ??= Promise.resolve().then(() => nativeKoffi() ?? importKoffi());
  return loading;
}

/** koffi's native module, from the first of its binaries that exists and loads; `undefined` when none does. */
function nativeKoffi(): KoffiModule | undefined {
  for (const file of binaries()) {
    if (fs.existsSync(file)) {
      try {
        const module = { exports: {} };
        process.dlopen(module, file);
        return module.exports as KoffiModule;
      } catch {
        // Not for this C library (glibc or musl) or this engine: the next one, or koffi's own loader.
      }
    }
  }
  return undefined;
}

/** Where koffi's binary for this OS and CPU may be, in the order tried. */
function binaries(): string[] {
  const { platform, arch } = process;
  const triplets = platform === 'linux' ? [`linux_${arch}`, `musl_${arch}`] : [`${platform}_${arch}`];
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  const folders = [resources ? path.join(resources, 'koffi') : undefined, installedBinaries(`@koromix/koffi-${platform}-${arch}`)];
  return folders.flatMap((folder) => (folder ? triplets.map((triplet) => path.join(folder, triplet, 'koffi.node')) : []));
}

/** The folder of koffi's binary package, found from the koffi the app's entry resolves; `undefined` when there is none. */
function installedBinaries(name: string): string | undefined {
  const entry = process.argv[1];
  if (!entry) {
    return undefined;
  }
  try {
    const { createRequire } = process.getBuiltinModule('node:module');
    const from = fs.statSync(entry).isDirectory() ? path.join(entry, 'package.json') : entry;
    const koffi = createRequire(path.resolve(from)).resolve(KOFFI);
    return path.dirname(createRequire(koffi).resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
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
