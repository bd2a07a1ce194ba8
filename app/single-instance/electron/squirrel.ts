/**
 * Squirrel.Windows (Electron Forge's default Windows maker, electron-winstaller) runs the app
 * itself at each step of its life: `--squirrel-install`, `--squirrel-updated`,
 * `--squirrel-uninstall` and `--squirrel-obsolete` as the first argument, and expects it to do
 * its part (shortcuts) and exit at once. Such a launch is not the user opening the app: it must
 * never become the primary (it would hold the lock while Squirrel waits) nor be handed to the
 * running instance as a launch. `singleInstance()` handles them before claiming; apps that claim
 * with `claim()` call {@link handleSquirrelEvent} first. `--squirrel-firstrun` (the first start
 * after installing) is an ordinary launch.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { firstArgumentIndex } from '../index.js';

/** The Squirrel.Windows events that are not a launch of the app. */
export type SquirrelEvent = 'install' | 'updated' | 'uninstall' | 'obsolete';

const EVENTS: readonly SquirrelEvent[] = ['install', 'updated', 'uninstall', 'obsolete'];

/** How long Update.exe may take to make or remove the shortcuts; Squirrel itself gives a hook 15 s. */
export const SQUIRREL_HOOK_TIMEOUT_MS = 10_000;

/** Options of {@link handleSquirrelEvent}. */
export interface SquirrelOptions {
  /**
   * The command line.
   * @default process.argv
   */
  argv?: readonly string[];
  /**
   * The app's program, beside whose folder Squirrel keeps `Update.exe` (`<app root>\Update.exe`,
   * the program in `<app root>\app-<version>\`).
   * @default process.execPath
   */
  execPath?: string;
  /**
   * How long to wait for Update.exe.
   * @default SQUIRREL_HOOK_TIMEOUT_MS
   */
  timeoutMs?: number;
}

/** What handling an event did: the event, and Update.exe's exit code, or why it did not run. */
export interface SquirrelOutcome {
  event: SquirrelEvent;
  /** `null` for an event with nothing to run (`obsolete`). */
  updateExe: { code: number | null } | { error: string } | null;
}

/**
 * The Squirrel.Windows event a command line carries as its first argument, if any.
 * @param argv - the command line, as `process.argv` gives it
 * @param first - where its own arguments start
 */
export function squirrelEventOf(argv: readonly string[], first = firstArgumentIndex()): SquirrelEvent | null {
  const match = /^--squirrel-(.+)$/.exec(argv[first] ?? '');
  const event = match?.[1] as SquirrelEvent | undefined;
  return event !== undefined && EVENTS.includes(event) ? event : null;
}

/**
 * Does what Squirrel.Windows expects of an event launch: creates the app's shortcuts on install
 * and update, removes them on uninstall (through Squirrel's own `Update.exe`), and waits for it,
 * bounded. The caller then exits without claiming.
 * @param options - the command line and the program
 * @returns what was done, or `null` when the launch carries no Squirrel event (claim as usual)
 */
export async function handleSquirrelEvent(options: SquirrelOptions = {}): Promise<SquirrelOutcome | null> {
  const { argv = process.argv, execPath = process.execPath, timeoutMs = SQUIRREL_HOOK_TIMEOUT_MS } = options;
  const event = squirrelEventOf(argv);
  if (event === null) {
    return null;
  }
  const shortcut = { install: '--createShortcut', updated: '--createShortcut', uninstall: '--removeShortcut', obsolete: null }[event];
  if (shortcut === null) {
    return { event, updateExe: null };
  }
  const updateExe = path.resolve(path.dirname(execPath), '..', 'Update.exe');
  return { event, updateExe: await run(updateExe, [`${shortcut}=${path.basename(execPath)}`], timeoutMs) };
}

/** Runs a program to its end or to `timeoutMs`, whichever comes first; never throws. */
function run(program: string, args: string[], timeoutMs: number): Promise<{ code: number | null } | { error: string }> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: 'ignore', detached: true, windowsHide: true });
    const timer = setTimeout(() => {
      child.unref();
      resolve({ error: `did not end within ${timeoutMs} ms` });
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ error: error.message });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code });
    });
  });
}
