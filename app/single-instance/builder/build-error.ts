/** The error a packaging hook stops a build with: what is wrong, for which target, and the fix. */
export class BuildError extends Error {
  override name = 'BuildError';

  /**
   * @param detail - what is wrong and what to do, without the package prefix
   * @param options - the underlying cause
   */
  constructor(detail: string, options: { cause?: unknown } = {}) {
    super(`sole-instance: ${detail}`, { cause: options.cause });
  }
}
