/**
 * koffi's native binary for any target, whatever machine builds the app: taken from koffi's own
 * per-platform npm package (`@koromix/koffi-<os>-<arch>`, the version of the koffi installed in
 * the project), checked by its header, and cached under the project's `node_modules/.cache`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BuildError } from './build-error.js';

/** An OS and CPU a packaged app runs on. */
export interface Target {
  platform: 'win32' | 'linux' | 'darwin';
  arch: 'x64' | 'arm64' | 'ia32';
}

/**
 * The macOS binaries as a universal build's merge must see them: per-CPU files, both present in
 * each half (electron-builder's `mac.x64ArchFiles`, Forge's `packagerConfig.osxUniversal.x64ArchFiles`).
 */
export const KOFFI_ARCH_FILES = 'Contents/Resources/koffi/darwin_*/koffi.node';

/** The folder koffi's loader searches under `process.resourcesPath` for a target: `koffi/<os>_<arch>`. */
export function koffiFolder(target: Target): string {
  return path.join('koffi', `${target.platform}_${target.arch}`);
}

/**
 * The koffi binaries a packaged app needs: its own target's; on macOS both CPUs', which a
 * universal build needs (each half loads its own).
 * @param platform - the packager's platform name (`win32`, `linux`, `darwin` or `mas`)
 * @param arch - the packager's CPU name
 * @throws BuildError for a platform or CPU koffi's binaries are not placed for
 */
export function koffiTargets(platform: string, arch: string): Target[] {
  const os = platform === 'mas' ? 'darwin' : platform;
  if (os === 'darwin') {
    return [{ platform: 'darwin', arch: 'x64' }, { platform: 'darwin', arch: 'arm64' }];
  }
  if ((os !== 'win32' && os !== 'linux') || (arch !== 'x64' && arch !== 'arm64' && arch !== 'ia32')) {
    throw new BuildError(`no koffi binary is placed for ${platform}-${arch}: sole-instance packages win32, linux and darwin on x64, arm64 and ia32.`);
  }
  return [{ platform: os, arch }];
}

/**
 * Places koffi's binary for each target where koffi's loader looks in a packaged app
 * (`<resources>/koffi/<os>_<arch>/koffi.node`).
 * @param projectDir - the app's project folder, where koffi is installed
 * @param resources - the packaged app's resources folder
 * @param targets - the binaries to place
 */
export function placeKoffi(projectDir: string, resources: string, targets: Target[]): void {
  for (const target of targets) {
    const destination = path.join(resources, koffiFolder(target), 'koffi.node');
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    fs.copyFileSync(koffiBinary(target, projectDir), destination);
  }
}

/**
 * Which OS and CPU a native binary is built for, read from its header (PE, ELF or Mach-O).
 * @param binary - the file's bytes
 * @returns the target, or `undefined` for an unknown format or CPU
 */
export function binaryTarget(binary: Buffer): Target | undefined {
  if (binary.length >= 0x40 && binary.toString('latin1', 0, 2) === 'MZ') {
    const pe = binary.readUInt32LE(0x3c);
    if (binary.toString('latin1', pe, pe + 4) !== 'PE\0\0') {
      return undefined;
    }
    const arch = ({ 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32' } as const)[binary.readUInt16LE(pe + 4) as 0x8664];
    return arch ? { platform: 'win32', arch } : undefined;
  }
  if (binary.length >= 20 && binary.readUInt32BE(0) === 0x7f454c46) {
    const arch = ({ 0x3e: 'x64', 0xb7: 'arm64', 0x03: 'ia32' } as const)[binary.readUInt16LE(18) as 0x3e];
    return arch ? { platform: 'linux', arch } : undefined;
  }
  if (binary.length >= 8 && binary.readUInt32LE(0) === 0xfeedfacf) {
    const arch = ({ 0x01000007: 'x64', 0x0100000c: 'arm64' } as const)[binary.readUInt32LE(4) as 0x01000007];
    return arch ? { platform: 'darwin', arch } : undefined;
  }
  return undefined;
}

/**
 * Checks that a file is koffi's binary for `target`.
 * @param file - the `koffi.node` to check
 * @param target - the OS and CPU it must be built for
 * @throws BuildError saying what is missing or wrong
 */
export function verifyBinary(file: string, target: Target): void {
  if (!fs.existsSync(file)) {
    throw new BuildError(`koffi's binary for ${target.platform}-${target.arch} is missing at ${file}.`);
  }
  const found = binaryTarget(fs.readFileSync(file));
  if (found?.platform !== target.platform || found.arch !== target.arch) {
    throw new BuildError(`${file} is built for ${found ? `${found.platform}-${found.arch}` : 'no known target'}, not ${target.platform}-${target.arch}.`);
  }
}

/**
 * The folder of the koffi installed in the project (its main module sits at its root).
 * @param projectDir - the app's project directory
 */
export function koffiDirectory(projectDir: string): string {
  try {
    return path.dirname(createRequire(path.join(projectDir, 'package.json')).resolve('koffi'));
  } catch (error) {
    throw new BuildError(`koffi is not installed in ${projectDir}: run \`npm install koffi\`.`, { cause: error });
  }
}

/** The version of the koffi installed in the project (the binary must match it exactly). */
export function koffiVersion(projectDir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(koffiDirectory(projectDir), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * koffi's binary for `target`, fetched (`npm pack`) into the project's cache if it is not there yet.
 * @param target - the OS and CPU
 * @param projectDir - the app's project directory
 * @returns the cached `koffi.node`, checked by its header
 * @throws BuildError naming the target and what to do when it cannot be had
 */
export function koffiBinary(target: Target, projectDir: string): string {
  const version = koffiVersion(projectDir);
  const triplet = `${target.platform}_${target.arch}`;
  const cached = path.join(projectDir, 'node_modules', '.cache', 'sole-instance', `koffi-${version}`, triplet, 'koffi.node');
  if (!fs.existsSync(cached)) {
    fetchBinary(`@koromix/koffi-${target.platform}-${target.arch}@${version}`, triplet, cached, projectDir);
  }
  verifyBinary(cached, target);
  return cached;
}

/**
 * Fetches a binary with `npm pack`, run in the project so that its `.npmrc` (registry, proxy,
 * auth) applies, and caches it: written beside its place, then renamed, so that an interrupted
 * or concurrent build never leaves a partial file to be reused.
 */
function fetchBinary(spec: string, triplet: string, destination: string, projectDir: string): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sole-instance-koffi-'));
  try {
    const [command, prefix, shell] = npmCommand();
    const args = [...prefix, 'pack', '--silent', '--pack-destination', work, spec];
    const packed = execFileSync(command, shell ? args.map(quoted) : args, { cwd: projectDir, encoding: 'utf8', shell, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    const binary = tarEntry(zlib.gunzipSync(fs.readFileSync(path.join(work, path.basename(packed)))), `package/${triplet}/koffi.node`);
    if (!binary) {
      throw new Error(`${packed} has no ${triplet}/koffi.node`);
    }
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    const partial = `${destination}.${process.pid}.partial`;
    fs.writeFileSync(partial, binary);
    fs.renameSync(partial, destination);
  } catch (error) {
    const detail = (error as { stderr?: Buffer | string }).stderr?.toString().trim() || String(error);
    throw new BuildError(
      `koffi's binary for ${triplet.replace('_', '-')} could not be had from ${spec} (${detail}). ` +
        `Build where the npm registry is reachable, or put that package's ${triplet}/koffi.node at ${destination}.`,
      { cause: error },
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * How to run npm: the npm running this build when there is one (`npm run dist`), else `npm` from
 * the PATH (on Windows `npm.cmd`, which only a shell runs).
 */
function npmCommand(): [string, string[], boolean] {
  const cli = process.env.npm_execpath;
  if (cli && path.basename(cli).startsWith('npm-cli')) {
    return [process.execPath, [cli], false];
  }
  return process.platform === 'win32' ? ['npm.cmd', [], true] : ['npm', [], false];
}

/** An argument as cmd.exe reads it (npm.cmd runs only through a shell): in double quotes. */
function quoted(arg: string): string {
  return `"${arg.replace(/"/g, '""')}"`;
}

/**
 * One file's bytes from a tar archive (ustar, as npm packs), or `undefined` when it has none.
 * @param tar - the archive, uncompressed
 * @param name - the entry's path
 */
function tarEntry(tar: Buffer, name: string): Buffer | undefined {
  const BLOCK = 512;
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    const field = (start: number, length: number): string => tar.toString('utf8', offset + start, offset + start + length).replace(/\0.*$/s, '');
    const entryName = field(0, 100);
    if (entryName === '') {
      return undefined;
    }
    const prefix = field(345, 155);
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const body = offset + BLOCK;
    if ((prefix ? `${prefix}/${entryName}` : entryName) === name) {
      return tar.subarray(body, body + size);
    }
    offset = body + Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}
