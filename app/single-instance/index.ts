/**
 * The single-instance module: one kernel lock decides the primary, named IPC carries every
 * other launch to it. Imports nothing from Electron; see `../electron.ts` for the Electron layer.
 */
export { claim, type Instance, type PrimaryInstance, type SecondaryInstance } from './claim.js';
export type { ClaimOptions } from './options.js';
export type { SecondInstance, SecondInstanceHandler } from './launch-queue.js';
export type { JsonValue } from './json.js';
export type { Logger } from './logger.js';
export { type Scope, deriveNames, validateAppId, win32MutexName } from './names.js';
export * from './errors.js';
