/**
 * `sole-instance/builder`: packaging. For electron-builder, the preset (`extends:
 * sole-instance/builder`, this entry's default export) and its `afterPack` hook; for Forge, the
 * `packageAfterCopy` hook; and the pieces they are made of, for other packagers.
 */
import { electronBuilderPreset } from './electron-builder.js';

export { BuildError } from './build-error.js';
export { type AppIdentity, readAppIdentity } from './app-identity.js';
export { type InstallerInclude, nsisString, renderInstallerInclude } from './installer-include.js';
export { KOFFI_ARCH_FILES, type Target, binaryTarget, koffiBinary, koffiDirectory, koffiFolder, koffiTargets, koffiVersion, placeKoffi, verifyBinary } from './koffi-binaries.js';
export { type AfterPackContext, type PresetRequest, afterPack, electronBuilderPreset, installerIncludePath, targetsOf } from './electron-builder.js';
export { type PackageAfterCopy, shipKoffi, soleInstanceForge } from './forge.js';

/** electron-builder loads a preset from a module's default export. */
export default electronBuilderPreset;
