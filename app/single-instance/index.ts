/**
 * `sole-instance`: one kernel lock decides the primary instance, named IPC carries every other
 * launch to it. This entry is Electron-free and works from plain Node; the Electron layer is
 * `sole-instance/electron`, packaging is `sole-instance/builder`.
 */
export { claim, type Instance, type NoInstance, type PrimaryInstance, type SecondaryInstance } from './claim.js';
export type { ClaimOptions } from './options.js';
export type { Launch, LaunchHandler, LaunchSource } from './launch.js';
export { LaunchQueue } from './launch-queue.js';
export { QUIT_REQUEST, type LaunchRequest, firstArgumentIndex, requestOf } from './quit-request.js';
export { ACTIVATION_ENV } from './own-launch.js';
export { extractDeepLink } from './deep-link.js';
export { TRACE_CHANNEL, type Refusal, type Restored, type TraceEvent } from './trace.js';
export type { JsonValue } from './json.js';
export type { Logger } from './logger.js';
export { type Scope, installerNotesName, stateDirFor, validateAppId, validateScope, win32InstallationMutexName, win32MutexName } from './names.js';
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
  describeThrown,
} from './errors.js';
