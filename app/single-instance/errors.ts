/**
 * Typed errors of the single-instance module. Every message starts with
 * `single-instance:` and says what to do about it.
 */

/** Machine-readable reason carried by every {@link SingleInstanceError}. */
export type SingleInstanceErrorCode =
  | 'EINVALID'
  | 'ETIMEOUT'
  | 'ETOOLARGE'
  | 'ENOTOURS'
  | 'ELOCK'
  | 'EENDPOINT'
  | 'EPROTOCOL'
  | 'EHANDLER'
  | 'ESHUTDOWN';

/** Base class of every error this module throws. */
export class SingleInstanceError extends Error {
  /** Machine-readable reason. */
  readonly code: SingleInstanceErrorCode;
  /** The operating system's error code (`errno` name or Win32 error number) where one caused it. */
  readonly osCode: string | number | undefined;
  /** The message without the `single-instance:` prefix, as sent to the other instance. */
  readonly detail: string;

  /**
   * @param code - machine-readable reason
   * @param message - what happened and what to do, without the module prefix
   * @param options - the underlying cause and the OS error code, when there is one
   */
  constructor(
    code: SingleInstanceErrorCode,
    message: string,
    options: { cause?: unknown; osCode?: string | number } = {},
  ) {
    super(`single-instance: ${message}`, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.osCode = options.osCode;
    this.detail = message;
  }
}

/** The app id or an option is invalid; fix the call to `claim()`. */
export class InvalidOptionsError extends SingleInstanceError {
  /** @param message - which option is wrong and what it accepts */
  constructor(message: string) {
    super('EINVALID', message);
  }
}

/** A primary holds the lock but did not complete the hand-off before the deadline. */
export class PrimaryNotRespondingError extends SingleInstanceError {
  /**
   * @param waitedMs - how long the second instance waited
   * @param phase - what it was waiting for
   */
  constructor(waitedMs: number, phase: string) {
    super(
      'ETIMEOUT',
      `the running instance did not answer within ${waitedMs} ms (${phase}). ` +
        'It may be hung: close it (or end it in the task manager) and launch again.',
    );
  }
}

/** A message is larger than the agreed cap. */
export class MessageTooLargeError extends SingleInstanceError {
  /**
   * @param size - the message size in bytes
   * @param limit - the cap in bytes
   */
  constructor(size: number, limit: number) {
    super(
      'ETOOLARGE',
      `message of ${size} bytes exceeds the ${limit}-byte limit; ` +
        'send less data or raise `maxMessageBytes` on both instances.',
    );
  }
}

/**
 * The error a second instance raises for an `error` message from the primary.
 * @param code - the code the primary sent
 * @param detail - the primary's message
 */
export function remoteError(code: string, detail: string): SingleInstanceError {
  switch (code) {
    case 'EHANDLER':
      return new HandlerError(detail);
    case 'ETOOLARGE':
    case 'ENOTOURS':
      return new SingleInstanceError(code, `the running instance refused the launch: ${detail}`);
    default:
      return new ProtocolError(`the running instance refused the launch: ${detail}`);
  }
}

/** Something answers on our endpoint but cannot prove it is our app's primary. */
export class EndpointNotOursError extends SingleInstanceError {
  /** @param detail - what failed in the proof */
  constructor(detail: string) {
    super(
      'ENOTOURS',
      `the process listening on our endpoint is not this app's primary (${detail}); ` +
        'nothing was sent to it. Check for another program squatting on the name.',
    );
  }
}

/** The kernel lock could not be created or queried. */
export class LockError extends SingleInstanceError {
  /**
   * @param message - what failed and what to do
   * @param osCode - the errno name or Win32 error number
   */
  constructor(message: string, osCode?: string | number) {
    super('ELOCK', message, osCode === undefined ? {} : { osCode });
  }
}

/** The private directory, socket or pipe could not be used. */
export class EndpointError extends SingleInstanceError {
  /**
   * @param message - what failed and what to do
   * @param cause - the underlying error, if any
   */
  constructor(message: string, cause?: unknown) {
    const osCode = errnoCode(cause);
    super('EENDPOINT', message, osCode === undefined ? { cause } : { cause, osCode });
  }
}

/** The peer sent something that is not valid protocol. */
export class ProtocolError extends SingleInstanceError {
  /** @param message - what was wrong with the peer's message */
  constructor(message: string) {
    super('EPROTOCOL', message);
  }
}

/** The primary's handler threw; the message is the one it threw with. */
export class HandlerError extends SingleInstanceError {
  /** @param message - the primary handler's error message */
  constructor(message: string) {
    super('EHANDLER', `the running instance's handler failed: ${message}`);
  }
}

/** The primary was shutting down before it could take the launch. */
export class ShutdownError extends SingleInstanceError {
  constructor() {
    super('ESHUTDOWN', 'the running instance is shutting down; launch again to start a new one.');
  }
}

/**
 * The `code` (`ENOENT`, `EACCES`...) of a Node system error, if it is one.
 * @param error - anything caught
 */
export function errnoCode(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}
