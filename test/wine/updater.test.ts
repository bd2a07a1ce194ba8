/**
 * electron-updater end to end, under Wine: an app claimed with the Electron layer calls
 * `autoUpdater.quitAndInstall(isSilent, isForceRunAfter)` for both values of each; electron-updater
 * itself starts the installer (the generated include, compiled as electron-builder includes it)
 * with its arguments, then quits the app. The installer waits for the app, never shows a box,
 * and goes on with the flags electron-updater gave it (written to a file once past the check).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipUnless } from '../helpers.js';
import { APP_ID, OUT, compile } from './check-installer.js';
import { type Display, NODE_EXE, RUN_DIR, stageBuild, startDisplay, stopWineServer, wineNeeds, wineNode, windowsPath } from './harness.js';

/** The flags the installer writes once past the check. */
interface Done {
  silent: boolean;
  updated: boolean;
  forceRun: boolean;
  done: true;
}

/** Resolves with the file's JSON once it is written whole, or rejects after `timeoutMs`. */
function written(file: string, timeoutMs: number): Promise<Done> {
  return new Promise((resolve, reject) => {
    const read = (): boolean => {
      try {
        resolve(JSON.parse(fs.readFileSync(file, 'utf8')) as Done);
        return true;
      } catch {
        return false;
      }
    };
    const watcher = fs.watch(path.dirname(file), () => {
      if (read()) {
        finish();
      }
    });
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`${file} was not written within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      watcher.close();
    };
    if (read()) {
      finish();
    }
  });
}

describe('electron-updater quitAndInstall, end to end under Wine', { skip: skipUnless(...wineNeeds()) }, () => {
  const doneFile = path.join(OUT, 'updater-done', 'done.json');
  let installer = '';
  let display: Display | undefined;

  before(async () => {
    stopWineServer();
    display = await startDisplay();
    stageBuild();
    fs.mkdirSync(path.dirname(doneFile), { recursive: true });
    // electron-updater gives no /D=: the installer installs where the app is (electron-builder's reads it from the registry).
    const compiled = compile({ label: 'updater', target: 'amd64-unicode', productName: 'Notes', doneFile: windowsPath(doneFile), installDir: windowsPath(path.dirname(NODE_EXE)) });
    assert.equal(compiled.status, 0, compiled.output);
    installer = windowsPath(compiled.exe);
  });
  after(async () => {
    stopWineServer();
    await display?.stop();
  });

  // electron-updater passes --force-run when silent only if asked; when not silent, whenever autoRunAppAfterInstall (true by default).
  const combinations: [boolean, boolean, Omit<Done, 'done'>][] = [
    [true, false, { silent: true, updated: true, forceRun: false }],
    [true, true, { silent: true, updated: true, forceRun: true }],
    [false, false, { silent: false, updated: true, forceRun: true }],
    [false, true, { silent: false, updated: true, forceRun: true }],
  ];
  for (const [isSilent, isForceRunAfter, flags] of combinations) {
    it(`quitAndInstall(${isSilent}, ${isForceRunAfter}): the app quits, the installer waits for it and goes on with ${JSON.stringify(flags)}`, { timeout: 90_000 }, async () => {
      fs.rmSync(doneFile, { force: true });
      const register = path.join(RUN_DIR, 'dist-test', 'test', 'package', 'stand-in', 'register.js');
      const app = wineNode(['--require', register, path.join(RUN_DIR, 'dist-test', 'test', 'wine', 'updater-app.js'), APP_ID, installer, String(isSilent), String(isForceRunAfter)]);
      assert.equal((await app.waitForLine((line) => 'role' in line)).role, 'primary', app.stderr);
      assert.deepEqual(await written(doneFile, 60_000), { ...flags, done: true });
      assert.equal(await app.exited, 0, app.stderr);
      const { exiting } = await app.waitForLine((line) => 'exiting' in line);
      assert.ok(fs.statSync(doneFile).mtimeMs >= Number(exiting), 'the installer went on only once the app had quit');
      assert.ok(app.lines.some((line) => line.standIn === 'quit'), 'electron-updater quit the app');
    });
  }
});

