/**
 * electron-builder: a configuration preset (`extends`) and the `afterPack` hook it installs.
 *
 * ```yaml
 * # electron-builder.yml: no appId here, it comes from package.json's "soleInstance"
 * extends: sole-instance/builder
 * productName: Notes
 * ```
 *
 * The hook places koffi's binary for the *target* (not the build machine) where koffi's loader
 * looks in a packaged app (`resources/koffi/<os>_<arch>/koffi.node`; macOS gets both CPUs, which
 * a universal build needs), stops the build when the app id electron-builder packs differs from
 * the app's own, and writes the installer check for Windows targets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AppIdentity, readAppIdentity } from './app-identity.js';
import { BuildError } from './build-error.js';
import { renderInstallerInclude } from './installer-include.js';
import { KOFFI_ARCH_FILES, type Target, koffiTargets, placeKoffi } from './koffi-binaries.js';

/** What electron-builder passes to an `afterPack` hook (the parts used here). */
export interface AfterPackContext {
  /** The packed app's folder. */
  appOutDir: string;
  /** `win32`, `linux`, `darwin` or `mas`. */
  electronPlatformName: string;
  /** electron-builder's `Arch`: 0 ia32, 1 x64, 2 armv7l, 3 arm64, 4 universal. */
  arch: number;
  packager: {
    /** The project's folder. */
    projectDir: string;
    /** The app id and product name electron-builder packs with. */
    appInfo: { id: string; productName: string };
    /** The resources folder inside a packed app's folder. */
    getResourcesDir(appOutDir: string): string;
    /** The merged configuration (its `nsis.include`). */
    config?: { nsis?: { include?: string | null } | null };
    /** Where electron-builder looks for build resources first. */
    info?: { buildResourcesDir: string };
  };
}

/** The request electron-builder calls a preset with. */
export interface PresetRequest {
  projectDir: string;
}

const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'] as const;

/** Where the generated installer check is written for a project. */
export function installerIncludePath(projectDir: string): string {
  return path.join(projectDir, 'node_modules', '.cache', 'sole-instance', 'installer.nsh');
}

/**
 * The preset electron-builder loads with `extends: sole-instance/builder`: the app id from
 * package.json, this module as the `afterPack` hook, the installer check, and what koffi needs.
 * @param request - electron-builder's request (its project folder)
 */
export function electronBuilderPreset(request: Partial<PresetRequest> = {}): Record<string, unknown> {
  const projectDir = request.projectDir ?? process.cwd();
  const { appId } = readAppIdentity(projectDir);
  return {
    appId,
    afterPack,
    // The build machine's own koffi binary, which npm installed, is not the target's: the hook places that.
    files: ['!node_modules/@koromix/**'],
    nsis: { include: installerIncludePath(projectDir) },
    // Both CPUs' binaries ship in each half of a universal app; each half loads its own.
    mac: { x64ArchFiles: KOFFI_ARCH_FILES },
  };
}

/**
 * electron-builder's `afterPack` hook.
 * @param context - electron-builder's pack context
 * @throws BuildError when the app id differs from the app's own, or koffi's binary for the target cannot be had
 */
export async function afterPack(context: AfterPackContext): Promise<void> {
  const { projectDir, appInfo } = context.packager;
  const identity = readAppIdentity(projectDir);
  if (appInfo.id !== identity.appId) {
    throw new BuildError(
      `electron-builder packs app id ${JSON.stringify(appInfo.id)}, but the app claims its single instance as ${JSON.stringify(identity.appId)} ` +
        '(package.json "soleInstance.appId"): remove appId from the electron-builder config, where the preset sets it from package.json.',
    );
  }
  placeKoffi(projectDir, context.packager.getResourcesDir(context.appOutDir), targetsOf(context));
  if (context.electronPlatformName === 'win32') {
    writeInstallerInclude(projectDir, identity, appInfo.productName);
    checkInstallerIncludeKept(context);
  }
  return Promise.resolve();
}

/** The koffi binaries a packed app needs: its own target's; on macOS both CPUs', for universal builds. */
export function targetsOf(context: Pick<AfterPackContext, 'electronPlatformName' | 'arch'>): Target[] {
  return koffiTargets(context.electronPlatformName, ARCH_NAMES[context.arch] ?? String(context.arch));
}

/**
 * An `nsis.include` of the app's own replaces the generated one, and electron-builder then falls
 * back to its own check (which kills processes by name): it must include the generated file.
 */
function checkInstallerIncludeKept(context: AfterPackContext): void {
  const { projectDir, config, info } = context.packager;
  const configured = config?.nsis?.include;
  const generated = installerIncludePath(projectDir);
  if (!configured || path.resolve(projectDir, configured) === generated) {
    return;
  }
  const candidates = [info ? path.resolve(info.buildResourcesDir, configured) : undefined, path.resolve(projectDir, configured)];
  const file = candidates.find((candidate): candidate is string => candidate !== undefined && fs.existsSync(candidate));
  const text = file ? fs.readFileSync(file, 'utf8') : '';
  if (!/^\s*!include\s+.*sole-instance[\\/]+installer\.nsh/im.test(text)) {
    throw new BuildError(
      `nsis.include is ${JSON.stringify(configured)}, which replaces the installer check sole-instance generates (electron-builder would fall back to killing the app by name). ` +
        'Add this line to that file: !include "${PROJECT_DIR}\\node_modules\\.cache\\sole-instance\\installer.nsh"',
    );
  }
}

function writeInstallerInclude(projectDir: string, identity: AppIdentity, productName: string): void {
  const file = installerIncludePath(projectDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `\uFEFF${renderInstallerInclude({ ...identity, productName })}`);
}
