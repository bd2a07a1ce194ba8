/**
 * koffi, the FFI library, loaded on first use only: a second instance that finds a running
 * primary on Linux/macOS never loads it.
 *
 * A launch that needs it (it becomes the primary) loads koffi's native binary straight from a
 * place it can trust: where `sole-instance/builder` puts it in a packaged app
 * (`<resources>/koffi/<os>_<arch>/koffi.node`, `resourcesPath` being Electron's own), or, on
 * Linux/macOS when the program is a script (plain Node, or `electron .` during development),
 * beside the koffi that script's folder resolves, only if no one but root and this user can
 * write to any folder on the binary's path, nor to any folder or link on the way to it (never a
 * binary planted under /tmp, nor one a link planted there names). koffi's own
 * JavaScript loader costs a launch about 10 ms more (it loads Node's worker and diffing machinery
 * on the way), only adds deprecated aliases to the same native functions, and checks that the
 * binary is its own version: a binary found here is the one npm installed for that koffi (koffi
 * pins its binary packages exactly) or the one `sole-instance/builder` placed (checked at build). Anywhere else (a
 * packaged app's arguments are never a hint), koffi is loaded as koffi says: `import()` of a
 * specifier held in a variable, which every bundler leaves as it is, so that koffi is resolved at
 * run time from the app's `node_modules`, beside the file that holds this code. koffi must not be
 * bundled: it loads its native binary at run time.
 */
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { fs, path } from '../builtins.js';
import type { Stats } from 'node:fs';
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
  const packaged = resources ? triplets.map((triplet) => path.join(resources, 'koffi', triplet, 'koffi.node')) : [];
  const installed = installedBinaries(`@koromix/koffi-${platform}-${arch}`);
  const beside = installed ? triplets.map((triplet) => trusted(path.join(installed, triplet, 'koffi.node'))) : [];
  return [...packaged, ...beside.filter((file) => file !== undefined)];
}

/**
 * The folder of koffi's binary package, found as Node would resolve it from the running script:
 * the first `node_modules/koffi` above the script, then, from koffi's real folder, the first
 * `node_modules/<name>` (walked here, as Node's module resolver alone costs a launch more than a
 * millisecond to load). `undefined` when the program is not a script on Linux/macOS (a packaged
 * Electron app's `argv[1]` is its first argument, anyone's to choose) or there is no such koffi.
 */
function installedBinaries(name: string): string | undefined {
  const script = process.argv[1];
  const electron = process.versions.electron !== undefined;
  if (process.platform === 'win32' || !script || (electron && !(process as { defaultApp?: boolean }).defaultApp)) {
    return undefined;
  }
  try {
    const from = path.resolve(script);
    const koffi = packageAbove(fs.statSync(from).isDirectory() ? from : path.dirname(from), KOFFI);
    return koffi === undefined ? undefined : packageAbove(fs.realpathSync(koffi), name);
  } catch {
    return undefined;
  }
}

/** The first `node_modules/<name>` holding a `package.json` in `dir` or a folder above it, as Node looks for packages. */
function packageAbove(dir: string, name: string): string | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    const candidate = path.join(at, 'node_modules', name);
    if (path.basename(at) !== 'node_modules' && fs.existsSync(path.join(candidate, 'package.json'))) {
      return candidate;
    }
    if (at === path.dirname(at)) {
      return undefined;
    }
  }
}

/**
 * `file`'s real path, when only root and this user can have put it there: resolved one name at a
 * time, every folder passed through and every link followed belongs to one of them, and no one
 * else may write to those folders or to the file (a link's own mode means nothing; its owner and
 * its folder do). A link in a folder anyone may write would let anyone choose what is loaded. The
 * real path, not `file`, is what is loaded, so that no link can be changed between the check and the load.
 * @param file - a binary about to be loaded (an absolute path)
 * @returns its real path, or `undefined` when it is not to be trusted (or does not exist)
 */
function trusted(file: string): string | undefined {
  const uid = process.getuid?.();
  const ours = (stat: Stats): boolean => stat.uid === 0 || stat.uid === uid;
  const unwritable = (stat: Stats): boolean => ours(stat) && (stat.mode & 0o022) === 0;
  const names = namesIn(file);
  let resolved = '/';
  try {
    if (!unwritable(fs.lstatSync(resolved))) {
      return undefined;
    }
    for (let links = 0, name = names.shift(); name !== undefined; name = names.shift()) {
      const next = name === '..' ? path.dirname(resolved) : path.join(resolved, name);
      const stat = fs.lstatSync(next);
      if (!stat.isSymbolicLink()) {
        if (!unwritable(stat)) {
          return undefined;
        }
        resolved = next;
      } else if (!ours(stat) || (links += 1) > MAX_LINKS) {
        return undefined;
      } else {
        const target = fs.readlinkSync(next);
        names.unshift(...namesIn(target));
        resolved = target.startsWith('/') ? '/' : resolved;
      }
    }
    return resolved;
  } catch {
    return undefined;
  }
}

/** The names a path goes through, in order (`..` kept: it is resolved against what a link leads to). */
function namesIn(file: string): string[] {
  return file.split('/').filter((name) => name !== '' && name !== '.');
}

/** Links followed at most while resolving a path, as the kernel allows (`ELOOP` past 40). */
const MAX_LINKS = 40;

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
