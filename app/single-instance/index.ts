/**
 * `sole-instance`: one kernel lock decides the primary instance, named IPC carries every other
 * launch to it. This entry is Electron-free and works from plain Node; the Electron layer is
 * `sole-instance/electron`.
 */
export { claim, type Instance, type PrimaryInstance, type SecondaryInstance } from './claim.js';
export type { ClaimOptions } from './options.js';
export { type Launch, type LaunchHandler, QUIT_REQUEST, launchRequest } from './launch.js';
export { type Handler, LaunchQueue } from './launch-queue.js';
export type { JsonValue } from './json.js';
export type { Logger } from './logger.js';
export { type Scope, installerNotesName, stateDirFor, validateAppId, win32InstallationMutexName, win32MutexName } from './names.js';
export { ExitCode, type ExitCodeValue, exitCodeFor } from './exit-codes.js';
export {
  BusyError,
  EndpointError,
  EndpointNotOursError,
  HandlerError,
  InvalidOptionsError,
  LockError,
  MessageTooLargeError,
  NoReplyError,
  PrimaryNotRespondingError,
  ProtocolError,
  ShutdownError,
  SingleInstanceError,
  type SingleInstanceErrorCode,
  type SingleInstanceErrorOptions,
} from './errors.js';
