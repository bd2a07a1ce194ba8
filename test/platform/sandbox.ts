/**
 * Sandboxes laid out the way Flatpak and Snap lay theirs, made with bubblewrap (unprivileged, as
 * the test user), one per launch: the `wrapper` a process is started in.
 *
 * - **Flatpak**: a fresh root with only the system read-only; the home hidden (read-only, empty)
 *   but for `~/.var/app/<id>`; `/run/user/<uid>` holding only `app/<id>`; a `/tmp` and a PID
 *   namespace of each instance's own; `/.flatpak-info`; `FLATPAK_ID` and the `XDG_*_HOME` that
 *   `flatpak run` sets.
 * - **Snap** (strict): the system as it is, but the real home hidden (read-only, empty) but for
 *   `~/snap`, `HOME=~/snap/<name>/<revision>`, a `/tmp` private to the snap (shared by its
 *   instances), `/run/user/<uid>` holding only `snap.<name>`, the `SNAP_*` variables, and the
 *   program run from the snap's own folder, `/snap/<name>/<revision>` (Node's folder is mounted
 *   there, and its usual path is a link to it; the host must have a `/snap` folder).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestUser } from '../helpers.js';

/** The folders a sandboxed launch must see: Node's (the binary is `bin/node` in it) and the build's. */
export interface Needed {
  node: string;
  build: string;
}

/**
 * Makes `dir` and the folders between `under` and it (as login would make a runtime folder, or
 * Flatpak and snapd their folders), each `user`'s, mode 0700.
 * @param dir - the folder
 * @param under - an existing ancestor, left as it is
 * @param user - whose they are
 */
export function ownedDir(dir: string, under: string, user: TestUser): string {
  fs.mkdirSync(dir, { recursive: true });
  for (let current = dir; current !== under && current.startsWith(`${under}/`); current = path.dirname(current)) {
    fs.chownSync(current, user.uid, user.gid);
    fs.chmodSync(current, 0o700);
  }
  return dir;
}

/** The system, read-only, in a fresh root with a `/tmp` of its own, and the Node binary and the build. */
function system(needed: Needed): string[] {
  return [
    '--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc',
    '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin',
    '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp',
    '--ro-bind', needed.node, needed.node, '--ro-bind', needed.build, needed.build,
  ];
}

/**
 * A Flatpak-like sandbox for one launch of app `id`.
 * @param user - whose app it is
 * @param id - the Flatpak app id
 * @param info - a file with the `/.flatpak-info` contents
 * @param needed - the Node binary's and the build's folders
 */
export function flatpak(user: TestUser, id: string, info: string, needed: Needed): string[] {
  const data = path.join(user.home, '.var', 'app', id);
  const runtime = `/run/user/${user.uid}`;
  return [
    'bwrap', '--unshare-pid', '--die-with-parent',
    ...system(needed),
    '--tmpfs', user.home, '--bind', data, data, '--remount-ro', user.home,
    '--tmpfs', runtime, '--bind', path.join(runtime, 'app', id), path.join(runtime, 'app', id), '--remount-ro', runtime,
    '--ro-bind', info, '/.flatpak-info',
    '--setenv', 'HOME', user.home, '--setenv', 'FLATPAK_ID', id, '--setenv', 'XDG_RUNTIME_DIR', runtime,
    '--setenv', 'XDG_DATA_HOME', path.join(data, 'data'), '--setenv', 'XDG_CONFIG_HOME', path.join(data, 'config'),
    '--setenv', 'XDG_CACHE_HOME', path.join(data, 'cache'), '--setenv', 'XDG_STATE_HOME', path.join(data, '.local', 'state'),
    '--chdir', data,
    '--',
  ];
}

/** The `/.flatpak-info` of an app, as Flatpak writes its first section. */
export function flatpakInfo(id: string): string {
  return `[Application]\nname=${id}\nruntime=runtime/org.freedesktop.Platform/x86_64/24.08\n\n[Instance]\ninstance-id=${Math.floor(Math.random() * 1e9)}\n`;
}

/**
 * A snap-like sandbox (strict confinement) for one launch of snap `name` at `revision`.
 * @param user - whose app it is
 * @param name - the snap's instance name
 * @param revision - the installed revision (a refresh changes it, and so `HOME`)
 * @param snapTmp - the host folder that is the snap's private `/tmp`
 * @param needed - the Node binary's and the build's folders
 */
export function snap(user: TestUser, name: string, revision: string, snapTmp: string, needed: Needed): string[] {
  const snaps = path.join(user.home, 'snap');
  const runtime = `/run/user/${user.uid}`;
  const root = `/snap/${name}/${revision}`;
  const node = path.join(needed.node, 'bin', 'node');
  return [
    'bwrap', '--dev-bind', '/', '/', '--die-with-parent',
    '--bind', snapTmp, '/tmp', '--ro-bind', needed.build, needed.build,
    '--tmpfs', '/snap', '--ro-bind', needed.node, path.join(root, 'node'),
    '--tmpfs', path.dirname(node), '--symlink', path.join(root, 'node', 'bin', 'node'), node,
    '--tmpfs', user.home, '--bind', snaps, snaps, '--remount-ro', user.home,
    '--tmpfs', runtime, '--bind', path.join(runtime, `snap.${name}`), path.join(runtime, `snap.${name}`), '--remount-ro', runtime,
    '--setenv', 'HOME', path.join(snaps, name, revision), '--setenv', 'SNAP_NAME', name, '--setenv', 'SNAP_INSTANCE_NAME', name,
    '--setenv', 'SNAP_REVISION', revision, '--setenv', 'SNAP', root,
    '--setenv', 'SNAP_USER_DATA', path.join(snaps, name, revision), '--setenv', 'SNAP_USER_COMMON', path.join(snaps, name, 'common'),
    '--setenv', 'XDG_RUNTIME_DIR', path.join(runtime, `snap.${name}`),
    '--chdir', path.join(snaps, name, revision),
    '--',
  ];
}
