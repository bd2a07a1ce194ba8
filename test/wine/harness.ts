/**
 * Runs the Windows build of the host under Wine (prepared by `test/wine/setup.sh`): a Windows
 * node.exe, koffi's Windows binary, a private Windows 10 prefix. node.exe under Wine needs
 * files (not pipes) as stdout/stderr, so output goes to files that are watched for new lines.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURE, type Finished, LineProcess, type Need, ROOT, finished, needFile } from '../helpers.js';

const CACHE = path.join(ROOT, '.cache', 'wine');
/** Folder the Windows processes run in: a copy of the build beside koffi's Windows install and the package. */
export const RUN_DIR = path.join(CACHE, 'run');
/** The Windows node.exe. */
export const NODE_EXE = path.join(CACHE, 'node', 'package', 'bin', 'node.exe');
const WINE = '/usr/lib/wine/wine64';
const WINESERVER = '/usr/lib/wine/wineserver64';
const XVFB = '/usr/bin/Xvfb';
/** The private Windows 10 prefix (its C: drive is `drive_c`). */
export const PREFIX = path.join(CACHE, 'prefix');
const LOGS = path.join(CACHE, 'logs');

/** The environment every Wine process gets: our own prefix, Wine's debug output off, the display if one is used. */
const WINE_ENV: NodeJS.ProcessEnv = { ...process.env, WINEPREFIX: PREFIX, WINEDEBUG: '-all' };
delete WINE_ENV.DISPLAY;

/** What the harness needs: Wine, Xvfb, the Windows node.exe and koffi, the prefix (test/wine/setup.sh makes them). */
export function wineNeeds(): Need[] {
  const needed = [WINE, XVFB, NODE_EXE, path.join(RUN_DIR, 'node_modules', '@koromix', 'koffi-win32-x64'), path.join(PREFIX, '.win10')];
  return needed.map((file) => needFile(file, 'run test/wine/setup.sh'));
}

/** Copies the current build (host, fixture, the package) next to koffi's Windows binary, and clears old logs. */
export function stageBuild(): void {
  const copies: [string, string][] = [
    ['dist', 'dist'],
    ['dist-test', 'dist-test'],
    ['app/single-instance/package.json', 'node_modules/sole-instance/package.json'],
    ['app/single-instance/dist', 'node_modules/sole-instance/dist'],
  ];
  for (const [from, to] of copies) {
    fs.rmSync(path.join(RUN_DIR, to), { recursive: true, force: true });
    fs.cpSync(path.join(ROOT, from), path.join(RUN_DIR, to), { recursive: true });
  }
  fs.rmSync(LOGS, { recursive: true, force: true });
  fs.mkdirSync(LOGS, { recursive: true });
}

/** A virtual X display (Xvfb) for Windows programs that open a window. */
export interface Display {
  /** Its `DISPLAY` value. */
  name: string;
  /** Stops the server. */
  stop(): Promise<void>;
}

/**
 * Starts Xvfb on a free display and makes it the display of the Wine processes started from now
 * on; resolves once it accepts clients (it writes its number to `-displayfd` then). Wine's
 * session takes its display from its first process: stop the wineserver before.
 */
export function startDisplay(): Promise<Display> {
  const server = spawn(XVFB, ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1024x768x24'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let number = '';
    let errors = '';
    server.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    server.stdio[3]?.on('data', (chunk: Buffer) => {
      number += chunk.toString();
      if (number.endsWith('\n')) {
        const stop = async (): Promise<void> => {
          delete WINE_ENV.DISPLAY;
          server.kill();
          await exited;
        };
        WINE_ENV.DISPLAY = `:${number.trim()}`;
        resolve({ name: WINE_ENV.DISPLAY, stop });
      }
    });
    void exited.then(() => reject(new Error(`Xvfb exited before it was ready: ${errors}`)));
  });
}

/** Stops our own prefix's wineserver (and with it only our prefix's processes). */
export function stopWineServer(): void {
  spawnSync(WINESERVER, ['-k'], { env: WINE_ENV, stdio: 'ignore' });
}

/** A Windows path on the prefix's C: drive as a Unix path, for the tests to reach it. */
export function unixPathOf(windowsPath: string): string {
  const match = /^C:\\(.*)$/i.exec(windowsPath);
  if (!match) {
    throw new Error(`${windowsPath} is not on drive C:`);
  }
  return path.join(PREFIX, 'drive_c', ...(match[1] ?? '').split('\\'));
}

/** A Unix path as the Windows processes see it (Wine's Z: drive). */
export function windowsPath(unixPath: string): string {
  return `Z:${unixPath.replace(/\//g, '\\')}`;
}

let counter = 0;

/** A Windows program under Wine with its stdout lines (JSON, one object a line). */
export class WineProcess extends LineProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  private readonly out: string;
  private readonly err: string;
  private readonly watcher: fs.FSWatcher;
  private readLines = 0;

  /**
   * @param program - the Windows executable
   * @param args - its arguments
   * @param cwd - working directory (defaults to the run folder)
   * @param env - extra environment variables
   */
  constructor(program: string, args: string[], cwd = RUN_DIR, env: Record<string, string> = {}) {
    super();
    counter += 1;
    this.out = path.join(LOGS, `${counter}.out`);
    this.err = path.join(LOGS, `${counter}.err`);
    const outFd = fs.openSync(this.out, 'w');
    const errFd = fs.openSync(this.err, 'w');
    this.child = spawn(WINE, [program, ...args], { cwd, env: { ...WINE_ENV, ...env }, stdio: ['ignore', outFd, errFd] });
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    this.watcher = fs.watch(this.out, () => this.read());
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.read();
        this.watcher.close();
        resolve(code ?? signal ?? 'unknown');
      });
    });
  }

  get stderr(): string {
    return fs.readFileSync(this.err, 'utf8');
  }

  /** Takes the complete lines the file has gained since the last read. */
  private read(): void {
    const text = fs.readFileSync(this.out, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
    for (const line of complete.slice(this.readLines)) {
      this.readLines += 1;
      this.addLine(line);
    }
  }
}

/** Starts node.exe with `args`. */
export function wineNode(args: string[], cwd?: string, env?: Record<string, string>): WineProcess {
  return new WineProcess(NODE_EXE, args, cwd, env);
}

/** Starts the Windows host with `args`. */
export function wineHost(args: string[], cwd?: string, env?: Record<string, string>): WineProcess {
  return wineNode([path.join(RUN_DIR, 'dist', 'host.js'), ...args], cwd, env);
}

/** Starts the fixture program (test/fixtures/fixture.ts) on Windows with `args`. */
export function wineFixture(args: string[]): WineProcess {
  return wineNode([path.join(RUN_DIR, path.relative(ROOT, FIXTURE)), ...args]);
}

/** Runs the fixture program on Windows to completion. */
export function runWineFixture(args: string[]): Promise<Finished> {
  return finished(wineFixture(args));
}
