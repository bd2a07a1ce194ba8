/**
 * The project shapes of the integration matrix. Five come from the real, unmodified templates
 * on the npm registry (electron-vite's `@quick-start/create-electron`, as it comes and moved to
 * electron-vite's current major with an ESM main; `create-electron-vite`'s Vanilla template with
 * vite-plugin-electron; Electron Forge's Vite and Webpack TypeScript templates); the others are
 * small projects of ours (test/package/projects): a TypeScript CommonJS main, an ESM main, a
 * plain JavaScript main, and ESM bundles made by esbuild, Rollup, webpack and tsup. Each is
 * made, given the packed package as a user installs it, edited with the README's drop-in lines,
 * type-checked where it has TypeScript and built with its own toolchain.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { ROOT } from '../helpers.js';

const execFileAsync = promisify(execFile);

/** Versions of the template packages the matrix scaffolds from (pinned, so a run is repeatable). */
export const TEMPLATES = {
  electronVite: '@quick-start/create-electron@1.0.30',
  /** electron-vite's current major, which its template (on 5) is moved to. */
  electronViteCurrent: 'electron-vite@6.0.0',
  createElectronVite: 'create-electron-vite@0.7.1',
  forge: '7.11.2',
} as const;

/** The Electron the README asks for: the current major. */
export const ELECTRON = 'electron@45.5.0';

/** What a shape's steps can use. */
export interface MatrixContext {
  /** The packed package. */
  tarball: string;
  /** Where Forge's core and templates are installed (see {@link installForgeTools}). */
  forgeTools: string;
  /** The built forge.ts driver. */
  forgeDriver: string;
}

/** One project shape. */
export interface Shape {
  name: string;
  /** Whether it is made with Forge's modules (installed once, before the first such shape). */
  forge: boolean;
  /** The main source file the drop-in goes into (relative to the project). */
  mainSource: string;
  /** The built main process (relative to the project). */
  builtMain: string;
  /** How the project is type-checked, or why it is not. */
  typecheck: string[] | { skipped: string };
  /** Creates the project in `dir` (which does not exist yet). */
  scaffold(dir: string, context: MatrixContext): Promise<void>;
  /** The npm commands (`npm install`, `npm pkg set`) run, in order, after scaffolding (the README's lines for this shape). */
  installs(context: MatrixContext): string[][];
  /** The README's edits for this shape, applied to the project's files. */
  dropIn(dir: string): void;
  /** Builds the project with its own toolchain, or `undefined` when it has no build. */
  build: ((dir: string, context: MatrixContext) => string[]) | undefined;
}

/**
 * Runs a command to completion; throws with its output when it fails.
 * @param input - typed into its stdin (then closed), for prompts that have no command-line flag
 */
export async function run(command: string, args: string[], cwd: string, input?: string): Promise<void> {
  try {
    const running = execFileAsync(command, args, { cwd, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }, maxBuffer: 64 * 1024 * 1024 });
    if (input !== undefined) {
      running.child.stdin?.end(input);
    }
    await running;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${`${stdout}\n${stderr}`.trim().slice(-4000)}`, { cause: error });
  }
}

/** Runs `body` and returns how long it took, in seconds. */
export async function timed(body: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await body();
  return (performance.now() - started) / 1000;
}

/** Installs Forge's core and its two TypeScript templates (what `electron-forge init` runs from) into `dir`. */
export async function installForgeTools(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'forge-tools',
    private: true,
    overrides: { '@electron/node-gyp': '10.2.0-electron.2' },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest));
  const packages = ['core', 'template-vite-typescript', 'template-webpack-typescript'].map((name) => `@electron-forge/${name}@${TEMPLATES.forge}`);
  await run('npm', ['install', '--no-audit', '--no-fund', ...packages], dir);
}

/** Replaces `anchor` (which must occur exactly once) in a project file. */
function edit(dir: string, file: string, anchor: string, replacement: string): void {
  const target = path.join(dir, file);
  const text = fs.readFileSync(target, 'utf8');
  const count = text.split(anchor).length - 1;
  if (count !== 1) {
    throw new Error(`${file}: expected ${JSON.stringify(anchor)} once, found it ${count} times: the template changed`);
  }
  fs.writeFileSync(target, text.replace(anchor, replacement));
}

/** Adds `block` after the last top-level import of a project file. */
function afterImports(dir: string, file: string, block: string): void {
  const target = path.join(dir, file);
  const lines = fs.readFileSync(target, 'utf8').split('\n');
  const last = lines.reduce((found, line, index) => (line.startsWith('import ') ? index : found), -1);
  lines.splice(last + 1, 0, block);
  fs.writeFileSync(target, lines.join('\n'));
}

/**
 * The README's drop-in for an existing main: claim first, let every window the app creates be
 * the one brought forward, and start the app's own start-up only once the claim is won.
 */
const DROP_IN = `import { singleInstance } from 'sole-instance/electron';

const instance = singleInstance({
  app,
  dialog,
  appId: 'com.example.matrix',
  scheme: 'matrix',
  onSecondInstance(launch) {
    console.log(JSON.stringify({ launch }));
  },
});
app.on('browser-window-created', (_event, window) => {
  void instance.then((primary) => primary.setWindow(window));
});
`;

/** The drop-in in a template's main: `dialog` imported, the claim after the imports, start-up gated on it. */
function dropIntoTemplate(dir: string, file: string, importAnchor: string, startAnchor: string, gatedStart: string): void {
  edit(dir, file, importAnchor, importAnchor.replace('{ app,', '{ app, dialog,'));
  afterImports(dir, file, DROP_IN);
  edit(dir, file, startAnchor, gatedStart);
}

const install = (context: MatrixContext): string[] => ['install', '--no-audit', '--no-fund', context.tarball, 'koffi'];

/** A project of ours, copied from test/package/projects. */
function ownProject(name: string): (dir: string) => Promise<void> {
  return (dir) => {
    fs.cpSync(path.join(PROJECTS, name), dir, { recursive: true });
    return Promise.resolve();
  };
}

/** Where our own projects are (the sources, not the build: they are data for the matrix). */
const PROJECTS = path.join(ROOT, 'test', 'package', 'projects');

/**
 * A project from one of Electron Forge's templates with the drop-in in its main: nothing in its
 * bundler's config changes (koffi is loaded in a way no bundler follows).
 */
function forgeTemplate(template: string, mainSource: string, builtMain: string, typecheck: Shape['typecheck']): Shape {
  return {
    name: `Electron Forge, ${template} template`,
    forge: true,
    mainSource,
    builtMain,
    typecheck,
    scaffold: (dir, context) => run(process.execPath, [context.forgeDriver, 'scaffold', template, dir, context.forgeTools], path.dirname(dir)),
    installs: (context) => [['install', '--no-audit', '--no-fund'], install(context)],
    dropIn(dir) {
      dropIntoTemplate(dir, mainSource, "import { app, BrowserWindow } from 'electron';", "app.on('ready', createWindow);", 'Promise.all([app.whenReady(), instance]).then(createWindow);');
    },
    build: (dir, context) => [process.execPath, context.forgeDriver, 'build', dir],
  };
}

/** How our TypeScript projects are type-checked. */
const TSC = ['npx', 'tsc', '--noEmit'];

/** One of our TypeScript projects: its source already holds the drop-in; `tsc` checks and builds it. */
function ownTypeScriptProject(name: string, project: string): Shape {
  return {
    name,
    forge: false,
    mainSource: 'src/main.ts',
    builtMain: 'dist/main.js',
    typecheck: TSC,
    scaffold: ownProject(project),
    installs: (context) => [['install', '--no-audit', '--no-fund'], install(context)],
    dropIn: () => undefined,
    build: () => ['npx', 'tsc'],
  };
}

/**
 * A project from electron-vite's vanilla-ts template, moved to the current Electron (it pins 39,
 * out of support and outside the package's peer range) and then by `moves` (npm commands).
 */
function electronViteTemplate(name: string, moves: string[][]): Shape {
  return {
    name,
    forge: false,
    mainSource: 'src/main/index.ts',
    builtMain: 'out/main/index.js',
    typecheck: ['npm', 'run', 'typecheck:node'],
    async scaffold(dir) {
      await run('npx', ['--yes', TEMPLATES.electronVite, path.basename(dir), '--template', 'vanilla-ts', '--skip'], path.dirname(dir));
    },
    installs: (context) => [['install', '--no-audit', '--no-fund', '--save-dev', ELECTRON], ...moves, install(context)],
    dropIn(dir) {
      dropIntoTemplate(dir, 'src/main/index.ts', "import { app, shell, BrowserWindow, ipcMain } from 'electron'", 'app.whenReady().then(', 'Promise.all([app.whenReady(), instance]).then(');
    },
    build: () => ['npx', 'electron-vite', 'build'],
  };
}

/** The keys that pick the Vanilla template in `create-electron-vite`'s prompt (Vue, React, Vanilla), which has no flag. */
const VANILLA = '\x1b[B\x1b[B\r';

/**
 * A project from `create-electron-vite`'s Vanilla (TypeScript) template: vite-plugin-electron
 * builds its main as an ES module (the template is `"type": "module"`), with every dependency
 * bundled unless made external: the package is bundled, koffi is not (no bundler follows its loading).
 */
const createElectronVite: Shape = {
  name: 'create-electron-vite (Vanilla, vite-plugin-electron, ESM main)',
  forge: false,
  mainSource: 'electron/main.ts',
  builtMain: 'dist-electron/main.js',
  // The template's own `tsc` (the first step of its build) fails before any edit of ours: its main declares `require` and never reads it.
  typecheck: ['npx', 'tsc', '--noUnusedLocals', 'false'],
  scaffold: (dir) => run('npx', ['--yes', TEMPLATES.createElectronVite, path.basename(dir)], path.dirname(dir), VANILLA),
  // The template pins Electron 30, out of support and outside the package's peer range: move to the current one first.
  installs: (context) => [['install', '--no-audit', '--no-fund', '--save-dev', ELECTRON], install(context)],
  dropIn(dir) {
    dropIntoTemplate(dir, 'electron/main.ts', "import { app, BrowserWindow } from 'electron'", 'app.whenReady().then(createWindow)', 'Promise.all([app.whenReady(), instance]).then(createWindow)');
  },
  build: () => ['npx', 'vite', 'build'],
};

/**
 * One of our projects with an ES module main built by a bundler through its own `build` script
 * (with no koffi-external line: none is needed); its source already holds the drop-in.
 */
function ownBundledProject(name: string, project: string, mainSource: string, typecheck: Shape['typecheck']): Shape {
  return {
    name,
    forge: false,
    mainSource,
    builtMain: 'dist/main.js',
    typecheck,
    scaffold: ownProject(project),
    installs: (context) => [['install', '--no-audit', '--no-fund'], install(context)],
    dropIn: () => undefined,
    build: () => ['npm', 'run', 'build'],
  };
}

/** Every shape of the matrix. */
export const SHAPES: Shape[] = [
  electronViteTemplate('electron-vite (create-electron vanilla-ts)', []),
  electronViteTemplate('electron-vite 6, ESM main (create-electron vanilla-ts, "type": "module")', [
    ['install', '--no-audit', '--no-fund', '--save-dev', TEMPLATES.electronViteCurrent],
    ['pkg', 'set', 'type=module'],
  ]),
  createElectronVite,
  forgeTemplate('vite-typescript', 'src/main.ts', '.vite/build/main.js', {
    skipped: 'the template pins TypeScript 4.5, which cannot read @types/node 24, and has no type-check step',
  }),
  forgeTemplate('webpack-typescript', 'src/index.ts', '.webpack/main/index.js', {
    skipped: 'type-checked by its own build (fork-ts-checker-webpack-plugin)',
  }),
  ownTypeScriptProject('TypeScript, CommonJS (module commonjs, strict)', 'ts-cjs'),
  ownTypeScriptProject('ESM main ("type": "module", nodenext)', 'esm'),
  {
    name: 'plain JavaScript, no build',
    forge: false,
    mainSource: 'main.js',
    builtMain: 'main.js',
    typecheck: { skipped: 'no TypeScript' },
    scaffold: ownProject('plain-js'),
    installs: (context) => [['install', '--no-audit', '--no-fund'], install(context)],
    dropIn: () => undefined,
    build: undefined,
  },
  ownBundledProject('esbuild, ESM bundle (TypeScript, top-level await)', 'esbuild-esm', 'src/main.ts', TSC),
  ownBundledProject('Rollup 4, ESM bundle (node-resolve, commonjs, plain JavaScript)', 'rollup-esm', 'src/main.js', { skipped: 'no TypeScript' }),
  ownBundledProject('webpack 5, ESM output (outputModule, ts-loader)', 'webpack-esm', 'src/main.ts', TSC),
  ownBundledProject('tsup, ESM format (TypeScript)', 'tsup-esm', 'src/main.ts', TSC),
];
