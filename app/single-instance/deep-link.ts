/** Deep links (`myapp://...`) in a launch's command line. */

/**
 * The first argument that is a URL of `scheme`, or `null`. Windows and Linux hand a deep link
 * to the app as a command-line argument, anywhere among other arguments and switches.
 * @param argv - the launch's command line
 * @param scheme - the custom protocol without `://` (e.g. `notes`), matched case-insensitively
 */
export function extractDeepLink(argv: readonly string[], scheme: string): string | null {
  const prefix = `${scheme.toLowerCase()}:`;
  for (const arg of argv) {
    if (arg.toLowerCase().startsWith(prefix) && URL.canParse(arg)) {
      return arg;
    }
  }
  return null;
}
