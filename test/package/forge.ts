/**
 * Electron Forge without its CLI (which does not install offline here), driven through Forge's
 * own modules so that the projects are exactly what `electron-forge init` and `package` make:
 *
 *   node forge.js scaffold <template> <dir> <tools-dir>   the template's own init tasks, and the
 *                                                          dependency lists init would install
 *   node forge.js build <dir>                              the project's Vite or Webpack plugin
 *                                                          builds its production bundles
 *
 * `<tools-dir>` holds @electron-forge/core and the template, installed by the matrix.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** What an `@electron-forge/template-*` module exports (the parts used here). */
interface ForgeTemplate {
  dependencies: string[];
  devDependencies: string[];
  initializeTemplate(dir: string, options: { copyCIFiles: boolean; force: boolean }): Promise<{ title: string; task(context: object, task: object): Promise<void> }[]>;
}

/** Forge core's install lists (`init-npm`). */
interface InitLists {
  deps: string[];
  devDeps: string[];
  exactDevDeps: string[];
}

/**
 * The npm registry holds the fork of node-gyp that Forge 7's @electron/rebuild fetches from a
 * GitHub tarball (unreachable here): the one change to what `init` writes.
 */
const NODE_GYP_OVERRIDE = { '@electron/node-gyp': '10.2.0-electron.2' };

function splitSpec(spec: string): [string, string | undefined] {
  const at = spec.lastIndexOf('@');
  return at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
}

/** The version npm would save for a spec: `^<latest matching>`, or the exact latest for `exact`. */
function savedVersion(spec: string, exact: boolean): [string, string] {
  const [name, range] = splitSpec(spec);
  if (range && !exact) {
    return [name, range];
  }
  const versions = JSON.parse(execFileSync('npm', ['view', range ? `${name}@${range}` : name, 'version', '--json'], { encoding: 'utf8' })) as string | string[];
  const version = Array.isArray(versions) ? (versions.at(-1) ?? '') : versions;
  return [name, exact ? version : `^${version}`];
}

async function scaffold(templateName: string, dir: string, toolsDir: string): Promise<void> {
  const tools = createRequire(path.join(toolsDir, 'package.json'));
  const template = (tools(`@electron-forge/template-${templateName}`) as { default: ForgeTemplate }).default;
  const lists = tools('@electron-forge/core/dist/api/init-scripts/init-npm.js') as InitLists;
  fs.mkdirSync(dir, { recursive: true });
  for (const { task } of await template.initializeTemplate(dir, { copyCIFiles: false, force: false })) {
    await task({}, { output: '', title: '' });
  }
  const manifestPath = path.join(dir, 'package.json');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Record<string, Record<string, string> | undefined>;
  const dependencies = { ...manifest.dependencies };
  const devDependencies = { ...manifest.devDependencies };
  for (const spec of [...template.dependencies, ...lists.deps]) {
    const [name, version] = savedVersion(spec, false);
    dependencies[name] = version;
  }
  for (const spec of [...template.devDependencies, ...lists.devDeps]) {
    const [name, version] = savedVersion(spec, false);
    devDependencies[name] = version;
  }
  for (const spec of lists.exactDevDeps) {
    const [name, version] = savedVersion(spec, true);
    devDependencies[name] = version;
  }
  const saved = { ...manifest, dependencies, devDependencies, overrides: { ...manifest.overrides, ...NODE_GYP_OVERRIDE } };
  fs.writeFileSync(manifestPath, `${JSON.stringify(saved, null, 2)}\n`);
}

/** The parts of Forge's resolved config and its bundler plugins used here. */
interface ForgeConfig {
  pluginInterface: { plugins: ForgePlugin[] };
}
interface ForgePlugin {
  name: string;
  isProd: boolean;
  /** Vite: builds main and preload (`VitePlugin.build`). */
  build?(task: object): Promise<void>;
  /** Webpack: compiles main (`WebpackPlugin.compileMain`), which type-checks with fork-ts-checker. */
  compileMain?(): Promise<void>;
}

async function build(dir: string): Promise<void> {
  const project = createRequire(path.join(dir, 'package.json'));
  const loadConfig = (project('@electron-forge/core/dist/util/forge-config') as { default(dir: string): Promise<ForgeConfig> }).default;
  const config = await loadConfig(dir);
  const plugin = config.pluginInterface.plugins.find((candidate) => candidate.name === 'vite' || candidate.name === 'webpack');
  if (!plugin) {
    throw new Error('forge.config has neither the Vite nor the Webpack plugin');
  }
  plugin.isProd = true;
  if (plugin.build) {
    fs.rmSync(path.join(dir, '.vite'), { recursive: true, force: true });
    const { Listr } = project('listr2') as { Listr: new (tasks: object[], options: object) => { run(): Promise<void> } };
    await new Listr([{ title: 'main and preload', task: (_context: object, task: object) => plugin.build?.(task) }], { renderer: 'silent', exitOnError: true }).run();
  } else {
    fs.rmSync(path.join(dir, '.webpack'), { recursive: true, force: true });
    await plugin.compileMain?.();
  }
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'scaffold') {
    const [template = '', dir = '', toolsDir = ''] = args;
    await scaffold(template, path.resolve(dir), path.resolve(toolsDir));
  } else if (command === 'build') {
    await build(path.resolve(args[0] ?? '.'));
  } else {
    throw new Error(`unknown command ${JSON.stringify(command)}`);
  }
}

// The Vite plugin hooks the process's exit, and bundlers leave workers behind: exit explicitly.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
