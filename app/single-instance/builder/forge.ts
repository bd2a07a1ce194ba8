/**
 * Electron Forge. Forge's Vite and Webpack plugins package only their bundles (`.vite/`,
 * `.webpack/`), so koffi, which must stay external, is not in the app. The `packageAfterCopy`
 * hook puts it back: koffi's JavaScript into the app's `node_modules`, and its binary for the
 * *target* where koffi's loader looks (`resources/koffi/<os>_<arch>/koffi.node`).
 *
 * ```ts
 * // forge.config.ts
 * import { KOFFI_ARCH_FILES, soleInstanceForge } from 'sole-instance/builder';
 * const config: ForgeConfig = {
 *   hooks: { ...soleInstanceForge() },
 *   packagerConfig: { osxUniversal: { x64ArchFiles: KOFFI_ARCH_FILES } }, // universal macOS builds
 * };
 * ```
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAppIdentity } from './app-identity.js';
import { type Target, koffiDirectory, koffiTargets, placeKoffi } from './koffi-binaries.js';

/** Forge's `packageAfterCopy` hook: `(forgeConfig, buildPath, electronVersion, platform, arch)`. */
export type PackageAfterCopy = (forgeConfig: unknown, buildPath: string, electronVersion: string, platform: string, arch: string) => Promise<void>;

/**
 * Forge hooks that ship koffi with the app.
 * @param projectDir - the app's project folder
 * @returns `{ packageAfterCopy }`, to spread into the Forge config's `hooks`
 */
export function soleInstanceForge(projectDir = process.cwd()): { packageAfterCopy: PackageAfterCopy } {
  return {
    packageAfterCopy: (_config, buildPath, _electronVersion, platform, arch) => {
      readAppIdentity(projectDir);
      shipKoffi(projectDir, buildPath, koffiTargets(platform, arch));
      return Promise.resolve();
    },
  };
}

/**
 * Copies koffi's JavaScript into the packaged app and its binaries beside the app's folder.
 * @param projectDir - the app's project folder, where koffi is installed
 * @param buildPath - the packaged app's folder (`…/resources/app`), as Forge gives it
 * @param targets - the binaries to place
 */
export function shipKoffi(projectDir: string, buildPath: string, targets: Target[]): void {
  const koffiDir = koffiDirectory(projectDir);
  const into = path.join(buildPath, 'node_modules', 'koffi');
  fs.cpSync(koffiDir, into, { recursive: true, filter: (file) => !file.endsWith('.node') && !file.includes(`${path.sep}build${path.sep}`) });
  placeKoffi(projectDir, path.dirname(buildPath), targets);
}
