/**
 * The processes of this machine as Linux's /proc shows them: which are alive, which descend from
 * which, and how to end a whole tree of them. The runner (run.ts) and the preload of each test
 * file (preload.ts) use it to end what a test file leaves behind.
 */
import * as fs from 'node:fs';

/** A live process (not a zombie). */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Its command line, arguments joined by spaces. */
  command: string;
}

/** The process `pid` as /proc shows it, or `undefined` when it is gone or a zombie. */
function entryOf(pid: number): ProcessEntry | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') {
      return undefined;
    }
    const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid: Number(ppid), command };
  } catch {
    return undefined;
  }
}

/** Every live process of this machine. */
export function liveProcesses(): ProcessEntry[] {
  const pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  return pids.map(entryOf).filter((entry): entry is ProcessEntry => entry !== undefined);
}

/** Whether `pid` is a live process (a zombie is not). */
export function isLive(pid: number): boolean {
  return entryOf(pid) !== undefined;
}

/** The live descendants of `pid` (not `pid` itself), parents before their children. */
export function descendantsOf(pid: number): ProcessEntry[] {
  const all = liveProcesses();
  const found: ProcessEntry[] = [];
  for (let parents = [pid]; parents.length > 0; ) {
    const children = all.filter((entry) => parents.includes(entry.ppid));
    found.push(...children);
    parents = children.map((entry) => entry.pid);
  }
  return found;
}

/** Kills each process with SIGKILL, parents first so that none starts another; one already gone is skipped. */
export function killAll(processes: ProcessEntry[]): void {
  for (const { pid } of processes) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
