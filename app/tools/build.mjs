// Builds everything outside the package into dist/ with esbuild, from the TypeScript sources
// (tsc only type-checks them): the template app's main, preload and page, and the headless host. Each consumes the package by its name, `sole-instance`, as a
// user's app does; esbuild bundles it, while koffi (a native addon), electron and electron-log
// stay external.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(root, 'dist');
const node = { bundle: true, platform: 'node', target: 'node24', format: 'cjs', external: ['koffi', 'electron', 'electron-log'], logLevel: 'warning' };

const bundles = [
  // Main process, host and tools: one CommonJS file each.
  { ...node, entryPoints: { main: 'app/template/main.ts', host: 'app/tools/host.ts' }, outdir: dist },
  // A sandboxed preload has neither `exports` nor `module`: plain CommonJS that only requires electron.
  { ...node, entryPoints: ['app/template/preload.ts'], outfile: path.join(dist, 'preload.js'), external: ['electron'] },
  // The page script has no module system at all.
  { entryPoints: ['app/template/renderer/renderer.ts'], outfile: path.join(dist, 'renderer', 'renderer.js'), bundle: true, format: 'iife', target: 'chrome130', logLevel: 'warning' },
];

fs.rmSync(dist, { recursive: true, force: true });
await Promise.all(bundles.map((options) => build({ ...options, absWorkingDir: root })));
fs.cpSync(path.join(root, 'app', 'template', 'renderer', 'index.html'), path.join(dist, 'renderer', 'index.html'));
