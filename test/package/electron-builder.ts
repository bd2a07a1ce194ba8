/**
 * Runs the real electron-builder CLI on the template, offline: Electron comes from a stand-in
 * folder (no Electron binary can be downloaded here), and the steps that would download
 * signing or integrity tools are turned off for the target OS.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, tempDir } from '../helpers.js';

const execFileAsync = promisify(execFile);

/** The OSes electron-builder's CLI names. */
export type BuilderOs = 'linux' | 'win' | 'mac';

/** What electron-builder would download for each OS, turned off. */
const OFFLINE: Record<BuilderOs, string[]> = {
  linux: [],
  win: ['-c.win.signAndEditExecutable=false', '-c.disableAsarIntegrity=true'],
  mac: ['-c.mac.identity=null'],
};

/** A folder electron-builder takes as Electron (`electronDist`): the files it copies and renames, no real binary. */
export function standInElectron(os: BuilderOs): string {
  const dir = tempDir(`electron-${os}`);
  if (os === 'linux') {
    fs.writeFileSync(path.join(dir, 'electron'), '#!/bin/sh\n', { mode: 0o755 });
  } else if (os === 'win') {
    fs.writeFileSync(path.join(dir, 'electron.exe'), 'MZ');
  } else {
    const contents = path.join(dir, 'Electron.app', 'Contents');
    const helper = path.join(contents, 'Frameworks', 'Electron Helper.app', 'Contents');
    const plist = (executable: string): string =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>CFBundleExecutable</key><string>${executable}</string>` +
      '<key>CFBundleIdentifier</key><string>com.github.Electron</string><key>CFBundleVersion</key><string>45.5.0</string></dict></plist>\n';
    for (const [folder, executable] of [[contents, 'Electron'], [helper, 'Electron Helper']] as const) {
      fs.mkdirSync(path.join(folder, 'MacOS'), { recursive: true });
      fs.writeFileSync(path.join(folder, 'Info.plist'), plist(executable));
      fs.writeFileSync(path.join(folder, 'MacOS', executable), '');
    }
  }
  return dir;
}

/** One electron-builder run. */
export interface BuilderRun {
  os: BuilderOs;
  /** Targets and CPUs (`dir`, `nsis`, `--x64`…) and `-c.` overrides. */
  args: string[];
  /** The stand-in Electron folder for `os`. */
  electron: string;
  /** The output folder. */
  output: string;
  /** Environment variables added to this process's. */
  env?: Record<string, string>;
}

/** Runs `electron-builder --<os>` on the template; rejects with its output when it fails. */
export async function runElectronBuilder(run: BuilderRun): Promise<void> {
  await execFileAsync(process.execPath, [
    path.join(ROOT, 'node_modules', 'electron-builder', 'cli.js'), `--${run.os}`, ...run.args,
    `-c.electronDist=${run.electron}`, '-c.electronVersion=45.5.0', `-c.directories.output=${run.output}`, ...OFFLINE[run.os],
  ], { cwd: ROOT, env: { ...process.env, ...run.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }, maxBuffer: 64 * 1024 * 1024 });
}
