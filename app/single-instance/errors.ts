/**
 * Typed errors of the package. Every message starts with `sole-instance:`
 * and says what to do about it. An error the running instance sends back over the wire
 * arrives as the same class a local one would be ({@link errorFromWire}).
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
  | 'ESHUTDOWN'
  | 'EBUSY'
  | 'ENOREPLY';

/** What an error may carry besides its message. */
export interface SingleInstanceErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** The operating system's error code (`errno` name or Win32 error number). */
  osCode?: string | number;
}

/** Base class of every error this package throws. */
export class SingleInstanceError extends Error {
  /** The class's name, spelled out so that no bundler's renaming can change it. */
  override name = 'SingleInstanceError';
  /** Machine-readable reason. */
  readonly code: SingleInstanceErrorCode;
  /** The operating system's error code (`errno` name or Win32 error number) where one caused it. */
  readonly osCode: string | number | undefined;
  /** The message without the `sole-instance:` prefix, as sent to the other instance. */
  readonly detail: string;

  /**
   * @param code - machine-readable reason
   * @param detail - what happened and what to do, without the package prefix
   * @param options - the underlying cause and the OS error code, when there is one
   */
  constructor(code: SingleInstanceErrorCode, detail: string, options: SingleInstanceErrorOptions = {}) {
    super(`sole-instance: ${detail}`, { cause: options.cause });
    this.code = code;
    this.osCode = options.osCode ?? errnoCode(options.cause);
    this.detail = detail;
  }
}

/** The app id or an option is invalid: a programming error to fix in the call. */
export class InvalidOptionsError extends SingleInstanceError {
  override name = 'InvalidOptionsError';
  /** @param detail - which option is wrong and what it accepts */
  constructor(detail: string) {
    super('EINVALID', detail);
  }
}

/** A primary holds the lock but did not take the launch before the deadline; nothing was delivered. */
export class PrimaryNotRespondingError extends SingleInstanceError {
  override name = 'PrimaryNotRespondingError';
  /** @param detail - how long the launch waited and for what */
  constructor(detail: string) {
    super('ETIMEOUT', detail);
  }

  /**
   * The standard message.
   * @param waitedMs - how long the second instance waited
   * @param phase - what it was waiting for
   */
  static after(waitedMs: number, phase: string): PrimaryNotRespondingError {
    return new PrimaryNotRespondingError(
      `the running instance did not answer within ${waitedMs} ms (${phase}); the launch was not delivered. ` +
        'It may be hung: close it (or end it in the task manager) and launch again.',
    );
  }

  /**
   * The primary held the launch for a handler that never came.
   * @param primaryPid - its process id
   * @param waitedMs - how long the launch waited for the handler
   */
  static held(primaryPid: number, waitedMs: number): PrimaryNotRespondingError {
    return new PrimaryNotRespondingError(
      `the running instance (pid ${primaryPid}) held the launch, but its window or handler did not take it within ${waitedMs} ms; ` +
        'the launch was not delivered. Launch again once the app has started, or close it if it never shows its window.',
    );
  }
}

/** A message is larger than the agreed cap. */
export class MessageTooLargeError extends SingleInstanceError {
  override name = 'MessageTooLargeError';
  /** @param detail - the size, the cap and what to do */
  constructor(detail: string) {
    super('ETOOLARGE', detail);
  }

  /**
   * The standard message.
   * @param size - the message size in bytes
   * @param limit - the cap in bytes
   */
  static of(size: number, limit: number): MessageTooLargeError {
    return new MessageTooLargeError(
      `message of ${size} bytes exceeds the ${limit}-byte limit; send less data or raise \`maxMessageBytes\` on both instances.`,
    );
  }
}

/** Something answers on our endpoint but cannot prove it is our app's primary (or our launch failed its proof). */
export class EndpointNotOursError extends SingleInstanceError {
  override name = 'EndpointNotOursError';
  /** @param detail - what failed in the proof */
  constructor(detail: string) {
    super('ENOTOURS', detail);
  }

  /**
   * The standard message of a second instance that refused to talk to the listener.
   * @param reason - what failed in the proof
   */
  static listener(reason: string): EndpointNotOursError {
    return new EndpointNotOursError(
      `the process listening on our endpoint is not this app's primary (${reason}); nothing was sent to it. ` +
        'Check for another program squatting on the name.',
    );
  }
}

/** The kernel lock could not be created or queried. */
export class LockError extends SingleInstanceError {
  override name = 'LockError';
  /**
   * @param detail - what failed and what to do
   * @param options - the OS error code and cause
   */
  constructor(detail: string, options: SingleInstanceErrorOptions = {}) {
    super('ELOCK', detail, options);
  }
}

/** The private directory, socket, pipe or secret could not be used. */
export class EndpointError extends SingleInstanceError {
  override name = 'EndpointError';
  /**
   * @param detail - what failed and what to do
   * @param options - the OS error code and cause
   */
  constructor(detail: string, options: SingleInstanceErrorOptions = {}) {
    super('EENDPOINT', detail, options);
  }
}

/** The peer sent something that is not valid protocol. */
export class ProtocolError extends SingleInstanceError {
  override name = 'ProtocolError';
  /** @param detail - what was wrong with the peer's message */
  constructor(detail: string) {
    super('EPROTOCOL', detail);
  }
}

/** The primary's handler threw; the detail is the message it threw with. */
export class HandlerError extends SingleInstanceError {
  override name = 'HandlerError';
  /** @param detail - what the handler failed with */
  constructor(detail: string) {
    super('EHANDLER', detail);
  }

  /**
   * The standard message.
   * @param reason - what the handler threw, or what was wrong with what it returned
   */
  static failed(reason: unknown): HandlerError {
    return new HandlerError(`the running instance's handler failed: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

/** The primary was shutting down before it could take the launch (its sender starts a new primary). */
export class ShutdownError extends SingleInstanceError {
  override name = 'ShutdownError';
  /** @param detail - what happened */
  constructor(detail = 'the running instance is shutting down; launch again to start a new one.') {
    super('ESHUTDOWN', detail);
  }
}

/** The primary holds as many launches waiting for its handler as it takes; this one was not delivered. */
export class BusyError extends SingleInstanceError {
  override name = 'BusyError';
  /** @param detail - how many launches wait */
  constructor(detail: string) {
    super('EBUSY', detail);
  }

  /**
   * The standard message.
   * @param waiting - how many launches wait for the handler
   */
  static waiting(waiting: number): BusyError {
    return new BusyError(
      `the running instance already holds ${waiting} launches waiting for its window or handler; this one was not delivered. ` +
        'Wait until it has started (or close it if its window never appears) and launch again.',
    );
  }
}

/**
 * The launch was delivered (the primary took it and was told to go ahead) but no reply came:
 * the primary exited before answering, or its handler did not answer in time. It may have
 * acted on the launch; launching again may repeat it.
 */
export class NoReplyError extends SingleInstanceError {
  override name = 'NoReplyError';
  /** @param detail - what happened after the delivery */
  constructor(detail: string) {
    super('ENOREPLY', detail);
  }

  /**
   * The running instance went away after taking the launch.
   * @param primaryPid - its process id
   */
  static orphaned(primaryPid: number): NoReplyError {
    return new NoReplyError(
      `the running instance (pid ${primaryPid}) took the launch, then exited before answering; it may or may not have ` +
        'acted on it. Launch again if the app did not open what you asked for.',
    );
  }

  /**
   * The handler did not answer in time.
   * @param waitedMs - how long the second instance waited for the reply
   */
  static after(waitedMs: number): NoReplyError {
    return new NoReplyError(`the running instance took the launch, but its handler did not answer within ${waitedMs} ms.`);
  }
}

const BY_CODE: Record<SingleInstanceErrorCode, new (detail: string) => SingleInstanceError> = {
  EINVALID: InvalidOptionsError,
  ETIMEOUT: PrimaryNotRespondingError,
  ETOOLARGE: MessageTooLargeError,
  ENOTOURS: EndpointNotOursError,
  ELOCK: LockError,
  EENDPOINT: EndpointError,
  EPROTOCOL: ProtocolError,
  EHANDLER: HandlerError,
  ESHUTDOWN: ShutdownError,
  EBUSY: BusyError,
  ENOREPLY: NoReplyError,
};

/**
 * The error a second instance raises for an `error` message from the primary: the class the
 * code names, so a remote `ETOOLARGE` is the same `MessageTooLargeError` as a local one.
 * @param code - the code the primary sent
 * @param detail - the primary's message
 */
export function errorFromWire(code: string, detail: string): SingleInstanceError {
  const ErrorClass = Object.hasOwn(BY_CODE, code) ? BY_CODE[code as SingleInstanceErrorCode] : undefined;
  return ErrorClass ? new ErrorClass(detail) : new ProtocolError(`the running instance refused the launch with ${code}: ${detail}`);
}

/** What the user can do about the OS errors a launch meets in the field. */
const OS_REMEDIES: Record<string, string> = {
  EMFILE: 'this process has too many open files: raise its limit (ulimit -n), or close what holds them',
  ENFILE: 'the system has too many open files: close some programs, or raise fs.file-max',
  ENOSPC: 'the device is full: free some space',
  EDQUOT: "the user's disk quota is used up: free some space",
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/**
 * An OS error as a message says it: what failed, and what to do where something can be done.
 * @param error - a Node system error (or anything caught)
 */
export function describeOsError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const code = errnoCode(error) ?? (/too many open files/i.test(text) ? 'EMFILE' : undefined);
  const remedy = code === undefined ? undefined : OS_REMEDIES[code];
  return remedy ? `${text} (${remedy})` : text;
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
