/**
 * An app that updates itself with electron-updater, run under Wine with Electron's stand-in
 * (`node.exe --require register.js updater-app.js <appId> <installer> <isSilent> <isForceRunAfter>`):
 * it claims with the Electron layer, takes an update as electron-updater's own download would
 * leave it (its `DownloadedUpdateHelper`), prints `{"role":"primary"}`, then calls
 * `autoUpdater.quitAndInstall(isSilent, isForceRunAfter)`: electron-updater itself starts the
 * installer with its arguments and quits the app, as in a real app, which takes
 * {@link QUIT_TAKES_MS} to close (saving its documents): the installer starts while it still runs.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { app, dialog } from 'electron';
import { autoUpdater } from 'electron-updater';
import { DownloadedUpdateHelper } from 'electron-updater/out/DownloadedUpdateHelper.js';
import type { Logger } from 'sole-instance';
import { singleInstance } from 'sole-instance/electron';

/** How long the app takes to quit once asked. */
const QUIT_TAKES_MS = 1500;

const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: console.error, error: console.error };

/** The update as electron-updater records it once its download is verified. */
async function downloaded(installer: string): Promise<DownloadedUpdateHelper> {
  const helper = new DownloadedUpdateHelper(path.join(os.tmpdir(), 'sole-instance-updater-test'));
  const info = { url: 'Setup.exe', sha512: 'stand-in' };
  await helper.setDownloadedFile(installer, null, { version: '2.0.0', files: [info], path: 'Setup.exe', sha512: 'stand-in', releaseDate: '2026-12-03' }, { url: new URL('https://updates.example/Setup.exe'), info }, 'Setup.exe', false);
  return helper;
}

async function main(): Promise<void> {
  const [appId = '', installer = '', isSilent = 'false', isForceRunAfter = 'false'] = process.argv.slice(2);
  await singleInstance({ app, dialog, appId, logger: silentLogger });
  await app.whenReady();
  autoUpdater.logger = null;
  // electron-updater keeps it protected; its own download would have set it.
  (autoUpdater as unknown as { downloadedUpdateHelper: DownloadedUpdateHelper }).downloadedUpdateHelper = await downloaded(installer);
  const quit = app.quit.bind(app);
  app.quit = () =>
    void setTimeout(() => {
      // The moment it leaves: the installer must not go on before.
      process.stdout.write(`${JSON.stringify({ exiting: Date.now() })}\n`);
      quit();
    }, QUIT_TAKES_MS);
  process.stdout.write(`${JSON.stringify({ role: 'primary', pid: process.pid })}\n`);
  autoUpdater.quitAndInstall(isSilent === 'true', isForceRunAfter === 'true');
}

void main();
