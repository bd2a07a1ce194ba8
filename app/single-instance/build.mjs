// Builds the package into dist/: one esbuild step for the shipped bundles (CommonJS and ESM,
// one file per entry) and tsc for the type declarations, copied beside each format.
//
//   dist/cjs/{index,electron}.js  + *.d.ts   (package.json: "type": "commonjs")
//   dist/esm/{index,electron}.js  + *.d.ts   (package.json: "type": "module")
//
// The `./electron` bundle imports the core through the package's own name, so an app that uses
// both entries has one copy of the core (one `SingleInstanceError` class, one platform).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');
const { name } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const external = ['koffi', 'electron', 'electron-log', 'electron-log/*', name];

/** The bundles: the core entry, and the Electron layer that reaches the core only through `name`. */
const entries = [
  { entry: 'index.ts', out: 'index.js' },
  { entry: 'electron/index.ts', out: 'electron.js', coreAs: name },
];

/** Routes the Electron layer's imports of the core to the package itself, and refuses any other way in. */
function coreThroughPackageName(packageName) {
  const core = path.join(root, 'index.ts');
  return {
    name: 'core-through-package-name',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^\.\.?\// }, (args) => {
        const target = path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        if (target === core) {
          return { path: packageName, external: true };
        }
        if (!target.startsWith(path.join(root, 'electron') + path.sep)) {
          return { errors: [{ text: `${args.importer} reaches into the core (${args.path}); import it from '../index.js'` }] };
        }
        return undefined;
      });
    },
  };
}

fs.rmSync(dist, { recursive: true, force: true });
for (const format of ['cjs', 'esm']) {
  const outdir = path.join(dist, format);
  for (const { entry, out, coreAs } of entries) {
    await build({
      entryPoints: [path.join(root, entry)],
      outfile: path.join(outdir, out),
      bundle: true,
      platform: 'node',
      target: 'node24',
      format,
      external,
      plugins: coreAs ? [coreThroughPackageName(coreAs)] : [],
      logLevel: 'warning',
    });
  }
  fs.writeFileSync(path.join(outdir, 'package.json'), `${JSON.stringify({ type: format === 'cjs' ? 'commonjs' : 'module' })}\n`);
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
fs.cpSync(path.join(dist, 'cjs'), path.join(dist, 'esm'), { recursive: true, filter: (file) => fs.statSync(file).isDirectory() || file.endsWith('.d.ts') });
