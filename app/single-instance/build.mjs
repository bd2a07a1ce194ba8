// Builds the package into dist/: one esbuild step for the shipped bundles and tsc for the type
// declarations, copied beside each format.
//
//   dist/cjs/index.js, electron.js, builder.js   the bundles (CommonJS); the layers require ./index.js
//   dist/esm/index.js, electron.js, builder.js   ES module entries that re-export the CommonJS bundles
//   dist/{cjs,esm}/**/*.d.ts         the declarations, each copy in its folder's module format
//
// Both formats run the same code, so an app that both requires and imports the package (its own
// code one way, a dependency the other) still has one copy of it: one `SingleInstanceError`
// class, one platform, one koffi.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');
const require = createRequire(import.meta.url);

/** The bundles: the core entry, and the layers (Electron, packaging), which reach the core only through its entry. */
const entries = [
  { entry: 'index.ts', out: 'index.js' },
  { entry: 'electron/index.ts', out: 'electron.js', layer: 'electron' },
  { entry: 'builder/index.ts', out: 'builder.js', layer: 'builder' },
];

/** Routes a layer's imports of the core to the core's bundle beside it, and refuses any other way in. */
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

/** An ES module that re-exports a CommonJS bundle's exports, its default one included. */
function reexporting(out, names) {
  const lines = names.map((name) => (name === 'default' ? 'export default cjs.default;' : `export const ${name} = cjs.${name};`));
  return `import cjs from '../cjs/${out}';\n\n${lines.join('\n')}\n`;
}

fs.rmSync(dist, { recursive: true, force: true });
for (const { entry, out, layer } of entries) {
  await build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(dist, 'cjs', out),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external: ['koffi', 'electron', 'electron-log', 'electron-log/*'],
    plugins: layer ? [coreBesideIt(layer)] : [],
    logLevel: 'warning',
  });
  const names = Object.keys(require(path.join(dist, 'cjs', out))).sort();
  fs.mkdirSync(path.join(dist, 'esm'), { recursive: true });
  fs.writeFileSync(path.join(dist, 'esm', out), reexporting(out, names));
}
fs.writeFileSync(path.join(dist, 'cjs', 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
fs.writeFileSync(path.join(dist, 'esm', 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
fs.cpSync(path.join(dist, 'cjs'), path.join(dist, 'esm'), { recursive: true, filter: (file) => fs.statSync(file).isDirectory() || file.endsWith('.d.ts') });

// The package's README is the project's guide, where there is one to take it from.
const guide = path.join(root, '..', '..', 'README.md');
if (fs.existsSync(guide)) {
  fs.copyFileSync(guide, path.join(root, 'README.md'));
}
