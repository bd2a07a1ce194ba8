/**
 * How long the suites may take (the README's "Tests" lists them). The runner (run.ts) gives every
 * test and hook {@link BOUNDS.test} unless it names a bound of its own, and stops a test file's
 * processes at its file bound; tests that install from the registry or run real builds name one
 * of the longer bounds here.
 */
export const BOUNDS = {
  /** A test or hook that names no bound of its own: it fails by name after this (the runner's `timeout`). */
  test: 60_000,
  /** A test or hook that installs packages from the npm registry (a cold npm cache in CI). */
  install: 10 * 60_000,
  /** A test that runs a real electron-builder build. */
  build: 3 * 60_000,
  /** A test file, every test and hook in it together, unless {@link FILE_BOUNDS} names it. */
  file: 10 * 60_000,
} as const;

/** Test files (relative to the compiled `test/` folder) that may take longer than {@link BOUNDS.file}. */
export const FILE_BOUNDS: Readonly<Record<string, number>> = {
  // Three registry templates installed and built, then six shapes run: minutes with a cold cache.
  'package/matrix.test.js': 30 * 60_000,
  // One install of four TypeScripts, Electron's types and the tarball, then 31 type-checks.
  'package/consumers.test.js': 20 * 60_000,
};
