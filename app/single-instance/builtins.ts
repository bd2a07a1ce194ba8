/**
 * Node's built-in modules, as a launch's start-up can afford them. An ES module that imports a
 * built-in statically (`import * as fs from 'node:fs'`) makes Node build the built-in's whole
 * namespace, reading every lazy export on the way (`fs.promises` alone loads the promises API,
 * readline and the REPL's history): that cost a second instance several milliseconds of its
 * ~10. `process.getBuiltinModule` hands over the module itself, as `require` would, and the
 * clock below needs no `perf_hooks`.
 */

/** `node:fs`. */
export const fs = process.getBuiltinModule('node:fs');
/** `node:path`. */
export const path = process.getBuiltinModule('node:path');
/** `node:net`. */
export const net = process.getBuiltinModule('node:net');
/** `node:os`. */
export const os = process.getBuiltinModule('node:os');

/** A monotonic clock in milliseconds (the same clock as `performance.now()`, without loading `perf_hooks`). */
export function now(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}

/**
 * Resolves after `ms` milliseconds.
 * @param ms - how long
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
