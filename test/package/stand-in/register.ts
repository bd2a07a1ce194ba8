/**
 * `node --require register.js <main>`: makes `electron` (and `electron/main`), whether required
 * or imported, resolve to the stand-in beside this file.
 */
import { registerHooks } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const STAND_IN = pathToFileURL(path.join(__dirname, 'electron.js')).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'electron' || specifier === 'electron/main') {
      return { url: STAND_IN, format: 'commonjs', shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});
