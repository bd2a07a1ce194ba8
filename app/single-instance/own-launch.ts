/** What this process hands over when it finds a running primary: read from the process itself. */

/**
 * Environment variables every launch forwards when they are set, so that the primary may raise
 * its window (Wayland's activation token, X11's startup notification id).
 */
export const ACTIVATION_ENV: readonly string[] = ['XDG_ACTIVATION_TOKEN', 'DESKTOP_STARTUP_ID'];

/**
 * The working directory, or `null` when this process's directory has been deleted
 * (`process.cwd()` then throws `ENOENT: uv_cwd`).
 */
export function currentDirectory(): string | null {
  try {
    return process.cwd();
  } catch {
    return null;
  }
}

/**
 * The values of the activation variables and of the named ones that are set.
 * @param names - more variable names (`forwardEnv`)
 */
export function forwardedEnv(names: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...ACTIVATION_ENV, ...names]) {
    const value = process.env[name];
    if (value !== undefined) {
      env[name] = value;
    }
  }
  return env;
}
