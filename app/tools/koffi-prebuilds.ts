/**
 * koffi's native binary for every packaging target. npm installs only the host's
 * `@koromix/koffi-<os>-<arch>` package, so packaging for another OS would ship no (or the wrong)
 * binary. `npm run koffi:prebuilds` stages each target's `koffi.node` in `.cache/koffi-prebuilds`,
 * electron-builder copies the target's one to `resources/koffi/<os>_<arch>/` (a place koffi's
 * loader searches), and its `afterPack` hook (this module's default export) checks it is there
 * and built for the right OS and CPU.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The targets electron-builder.yml packages for. */
export const TARGETS: readonly { platform: NodeJS.Platform; arch: string }[] = [
  { platform: 'win32', arch: 'x64' },
  { platform: 'win32', arch: 'arm64' },
  { platform: 'linux', arch: 'x64' },
  { platform: 'linux', arch: 'arm64' },
  { platform: 'darwin', arch: 'x64' },
  { platform: 'darwin', arch: 'arm64' },
];

/** The project: npm scripts, electron-builder and the tests all run from its root. */
const ROOT = process.cwd();
/** Where the staged binaries live: `<platform>_<arch>/koffi.node`. */
export const PREBUILDS_DIR = path.join(ROOT, '.cache', 'koffi-prebuilds');

/**
 * Where the staged binary for a target lives.
 * @param platform - the target OS
 * @param arch - the target CPU
 */
export function prebuildPath(platform: string, arch: string): string {
  return path.join(PREBUILDS_DIR, `${platform}_${arch}`, 'koffi.node');
}

/**
 * Which OS and CPU a native binary is built for, read from its header (PE, ELF or Mach-O).
 * @param binary - the file's bytes
 * @returns `{ platform, arch }`, or `undefined` for an unknown format or CPU
 */
export function binaryTarget(binary: Buffer): { platform: NodeJS.Platform; arch: string } | undefined {
  if (binary.length >= 0x40 && binary.toString('latin1', 0, 2) === 'MZ') {
    const pe = binary.readUInt32LE(0x3c);
    if (binary.toString('latin1', pe, pe + 4) !== 'PE\0\0') {
      return undefined;
    }
    const arch = ({ 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32' } as Record<number, string>)[binary.readUInt16LE(pe + 4)];
    return arch ? { platform: 'win32', arch } : undefined;
  }
  if (binary.length >= 20 && binary.readUInt32BE(0) === 0x7f454c46) {
    const arch = ({ 0x3e: 'x64', 0xb7: 'arm64', 0x03: 'ia32' } as Record<number, string>)[binary.readUInt16LE(18)];
    return arch ? { platform: 'linux', arch } : undefined;
  }
  if (binary.length >= 8 && binary.readUInt32LE(0) === 0xfeedfacf) {
    const arch = ({ 0x01000007: 'x64', 0x0100000c: 'arm64' } as Record<number, string>)[binary.readUInt32LE(4)];
    return arch ? { platform: 'darwin', arch } : undefined;
  }
  return undefined;
}

function koffiVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'koffi', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * Fetches (with `npm pack`) each target's koffi binary of the installed koffi version into
 * {@link PREBUILDS_DIR}, skipping those already there.
 * @returns the staged files
 */
export function stagePrebuilds(): string[] {
  const version = koffiVersion();
  return TARGETS.map(({ platform, arch }) => {
    const triplet = `${platform}_${arch}`;
    const file = prebuildPath(platform, arch);
    if (!fs.existsSync(file)) {
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'koffi-'));
      try {
        const packed = execFileSync('npm', ['pack', '--silent', `@koromix/koffi-${platform}-${arch}@${version}`], { cwd: work, encoding: 'utf8' }).trim();
        execFileSync('tar', ['-xzf', packed, `package/${triplet}/koffi.node`], { cwd: work });
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.copyFileSync(path.join(work, 'package', triplet, 'koffi.node'), file);
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    }
    return file;
  });
}

/**
 * Checks that a koffi binary exists and is built for the target.
 * @param file - the `koffi.node` to check
 * @param platform - the target OS
 * @param arch - the target CPU
 * @throws Error saying what is missing or wrong
 */
export function verifyBinary(file: string, platform: string, arch: string): void {
  if (!fs.existsSync(file)) {
    throw new Error(`koffi binary missing for ${platform}-${arch}: ${file} (run npm run koffi:prebuilds)`);
  }
  const found = binaryTarget(fs.readFileSync(file));
  if (found?.platform !== platform || found.arch !== arch) {
    throw new Error(`${file} is built for ${found ? `${found.platform}-${found.arch}` : 'an unknown target'}, not ${platform}-${arch}`);
  }
}

/** What electron-builder passes to an `afterPack` hook (the fields used here). */
export interface AfterPackContext {
  appOutDir: string;
  electronPlatformName: string;
  arch: number;
}

/** electron-builder's `Arch` enum values, by number. */
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

/**
 * electron-builder `afterPack` hook: the packaged app must hold koffi's binary for its target.
 * @param context - electron-builder's pack context
 */
export default async function afterPack(context: AfterPackContext): Promise<void> {
  const platform = context.electronPlatformName;
  const arch = ARCH_NAMES[context.arch] ?? String(context.arch);
  const resources = platform === 'darwin'
    ? path.join(context.appOutDir, fs.readdirSync(context.appOutDir).find((name) => name.endsWith('.app')) ?? '', 'Contents', 'Resources')
    : path.join(context.appOutDir, 'resources');
  verifyBinary(path.join(resources, 'koffi', `${platform}_${arch}`, 'koffi.node'), platform, arch);
}

if (require.main === module) {
  stagePrebuilds();
  for (const { platform, arch } of TARGETS) {
    verifyBinary(prebuildPath(platform, arch), platform, arch);
    console.log(`ok ${path.relative(ROOT, prebuildPath(platform, arch))}`);
  }
}
