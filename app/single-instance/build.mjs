// Builds the package into dist/: one esbuild step for the shipped ES modules and tsc for the type
// declarations, copied once more for CommonJS consumers.
//
//   dist/index.js, electron.js, builder.js   the entries, real ES modules (Node built-ins taken as they
//                                             are, koffi loaded with import()); the layers import ./index.js
//   dist/types/**/*.d.ts                      the declarations, as ES module declarations
//   dist/types-cjs/**/*.d.ts                  the same declarations for `require` (TypeScript reads
//                                             them as CommonJS: their folder says so)
//
// `import` and `require` both reach the same ES modules (Node 24 requires ES modules), so an app that
// both requires and imports the package (its own code one way, a dependency the other) has one copy
// of it: one `SingleInstanceError` class, one platform, one koffi.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');
const require = createRequire(import.meta.url);

/** The entries: the core, and the layers (Electron, packaging), which reach the core only through its entry. */
const entries = [
  { entry: 'index.ts', out: 'index.js' },
  { entry: 'electron/index.ts', out: 'electron.js', layer: 'electron' },
  { entry: 'builder/index.ts', out: 'builder.js', layer: 'builder' },
];

/** Routes a layer's imports of the core to the core's module beside it, and refuses any other way in. */
function coreBesideIt(layer) {
  return {
    name: 'core-beside-it',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^\.\.?\// }, (args) => {
        const target = path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        if (target === path.join(root, 'index.ts')) {
          return { path: './index.js', external: true };
        }
        if (!target.startsWith(path.join(root, layer) + path.sep)) {
          return { errors: [{ text: `${args.importer} reaches into the core (${args.path}); import it from '../index.js'` }] };
        }
        return undefined;
      });
    },
  };
}

fs.rmSync(dist, { recursive: true, force: true });
for (const { entry, out, layer } of entries) {
  await build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(dist, out),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    external: ['electron', 'electron-log', 'electron-log/*'],
    plugins: layer ? [coreBesideIt(layer)] : [],
    logLevel: 'warning',
  });
}
fs.writeFileSync(path.join(dist, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
const declarations = path.join(dist, 'types');
fs.cpSync(declarations, path.join(dist, 'types-cjs'), { recursive: true });
fs.writeFileSync(path.join(dist, 'types-cjs', 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
