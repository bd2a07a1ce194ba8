/**
 * Linux and macOS: where an app's single instance may live, derived from what the process knows
 * for sure about where it runs (pure, so every target is tested anywhere). Every launch of one
 * user derives the same list, so they meet: the state directory is the first candidate that is
 * the user's or can be made theirs, whatever the launch's environment, and endpoints go in the
 * first base that can hold a Unix socket.
 *
 * | where the app runs | state directory | endpoints |
 * | --- | --- | --- |
 * | a desktop | `~/.local/state` (macOS: `~/Library/Application Support`), else `~/.sole-instance-<uid>` | `/run/user/<uid>` (macOS: the user's temp folder), else `/tmp` |
 * | a service account without a home, a uid without a passwd entry | `/run/user/<uid>/sole-instance`, else `/tmp/sole-instance-<uid>`, else (another user took that name) a folder of the user's named `/tmp/sole-instance-<uid>-<random>` | as on a desktop |
 * | Flatpak | `~/.var/app/<id>/.local/state` (the only home folder its instances share) | `$XDG_RUNTIME_DIR/app/<id>` (the runtime folder they share) |
 * | Snap (strict) | `~/snap/<name>/common` (kept across refreshes; the home's dot-folders are denied) | `/run/user/<uid>/snap.<name>`, else the snap's `/tmp` |
 * | the Mac App Store sandbox | the app's container | the container's `tmp` |
 */
import { path } from '../builtins.js';
import { stateDirFor } from '../names.js';

/** What a process knows for sure about where it runs (the state directory never depends on `$HOME`, `$TMPDIR` or `$XDG_*`). */
export interface PosixFacts {
  platform: 'linux' | 'darwin';
  uid: number;
  /** The home directory the password database gives, or `null` for a uid without an entry. */
  home: string | null;
  /** Flatpak: the app id `/.flatpak-info` names; `null` outside Flatpak. */
  flatpak: string | null;
  /** Snap: the snap's instance name, for a program that runs from the snap's folder; `null` elsewhere. */
  snap: string | null;
  /** The Mac App Store sandbox: the app's container id; `null` outside it. */
  macSandbox: string | null;
  /** macOS: the user's temp folder (`/var/folders/…`, as the session's `TMPDIR` says: only endpoints go there, and the record carries their path); `null` elsewhere. */
  macTemp: string | null;
}

/** The sandboxes and packagings that decide where things may go. */
export type Target = 'desktop' | 'flatpak' | 'snap' | 'mac-app-store';

/** Where one user's instances may live, in order of preference. */
export interface Locations {
  /** The sandbox or packaging they follow. */
  target: Target;
  /** The sandbox, named for what it is and holds (see `PlaceContext.sandbox`); `null` on a desktop. */
  sandbox: string | null;
  /** State directories, in the order tried: the first that is ours or can be made ours is used. */
  stateDirs: string[];
  /**
   * When none of them can be: the prefix of folders made with a random suffix (so that nobody can
   * take their names first), the user's own of which are used, in name order; `null` where there is none.
   */
  tempPrefix: string | null;
  /** Folders that hold endpoint directories, in the order tried. */
  endpointBases: string[];
  /** Folders endpoints may go in only if they exist as the user's own, private (`0700`): a runtime folder. */
  privateBases: ReadonlySet<string>;
  /** What the app must add when no candidate works, for the message. */
  remedy: string;
}

/**
 * The candidate locations for a process.
 * @param facts - what it knows for sure about where it runs
 */
export function locationsFor(facts: PosixFacts): Locations {
  if (facts.macSandbox !== null && facts.home !== null) {
    return macAppStore(facts.home, facts.macSandbox);
  }
  if (facts.flatpak !== null && facts.home !== null) {
    return flatpak(facts, facts.home, facts.flatpak);
  }
  if (facts.snap !== null && facts.home !== null) {
    return snap(facts, facts.home, facts.snap);
  }
  return desktop(facts);
}

function desktop(facts: PosixFacts): Locations {
  const runtime = facts.platform === 'linux' ? `/run/user/${facts.uid}` : null;
  const home = facts.home === null ? [] : [stateDirFor(facts.platform, facts.home), path.posix.join(facts.home, `.sole-instance-${facts.uid}`)];
  const temp = `/tmp/sole-instance-${facts.uid}`;
  return {
    target: 'desktop',
    sandbox: null,
    stateDirs: [...home, ...(runtime ? [path.posix.join(runtime, 'sole-instance')] : []), temp],
    tempPrefix: `${temp}-`,
    endpointBases: [...(runtime ? [runtime] : []), ...(facts.macTemp ? [facts.macTemp] : []), '/tmp'],
    privateBases: new Set(runtime ? [runtime] : []),
    remedy: 'make the home directory or /tmp writable for this user',
  };
}

function flatpak(facts: PosixFacts, home: string, id: string): Locations {
  const shared = `/run/user/${facts.uid}/app/${id}`;
  return {
    target: 'flatpak',
    sandbox: `flatpak.${id}`,
    tempPrefix: null,
    stateDirs: [path.posix.join(home, '.var', 'app', id, '.local', 'state', 'sole-instance')],
    endpointBases: [shared],
    privateBases: new Set([shared]),
    remedy: `run it with flatpak run (which makes ~/.var/app/${id} and $XDG_RUNTIME_DIR/app/${id}); a sandbox without them cannot share an instance`,
  };
}

function snap(facts: PosixFacts, home: string, name: string): Locations {
  const runtime = `/run/user/${facts.uid}/snap.${name}`;
  return {
    target: 'snap',
    sandbox: `snap.${name}`,
    tempPrefix: null,
    stateDirs: [path.posix.join(home, 'snap', name, 'common', '.local', 'state', 'sole-instance')],
    endpointBases: [runtime, '/tmp'],
    privateBases: new Set([runtime]),
    remedy: `~/snap/${name}/common must be writable (snapd makes it for every strictly confined snap)`,
  };
}

function macAppStore(home: string, container: string): Locations {
  const data = path.posix.join(home, 'Library', 'Containers', container, 'Data');
  return {
    target: 'mac-app-store',
    sandbox: `mac-app-store.${container}`,
    tempPrefix: null,
    stateDirs: [path.posix.join(data, 'Library', 'Application Support', 'sole-instance')],
    endpointBases: [path.posix.join(data, 'tmp')],
    privateBases: new Set(),
    remedy: `the socket must fit macOS's 104 bytes inside the container ${data}: use a shorter bundle id (the container is named for it)`,
  };
}
