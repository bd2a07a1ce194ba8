/**
 * The template app's main process. The single-instance claim comes first, before
 * `app.whenReady()` and before any window: a second launch hands over and exits right there.
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BrowserWindow, app, dialog, ipcMain } from 'electron';
import log from 'electron-log/main';
import { DEEP_LINK_SCHEME, SINGLE_INSTANCE } from './app-id.js';
import { type Launch, extractDeepLink } from 'sole-instance';
import { singleInstance } from 'sole-instance/electron';

const history: LaunchRecord[] = [];

function record(launch: Omit<LaunchRecord, 'seq' | 'receivedAt'>): LaunchRecord {
  const entry = { ...launch, seq: history.length + 1, receivedAt: new Date().toISOString() };
  history.push(entry);
  return entry;
}

/** How long the launch took from its process start to here, when it said when it started. */
function handOffMs(launch: Launch): number | null {
  const data = launch.data;
  const startedAt = data && typeof data === 'object' && !Array.isArray(data) ? data.startedAt : undefined;
  return typeof startedAt === 'number' ? Math.round(performance.timeOrigin + performance.now() - startedAt) : null;
}

/** This process's working directory, or null when it was started from a directory since deleted. */
function workingDirectory(): string | null {
  try {
    return process.cwd();
  } catch {
    return null;
  }
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 960,
    height: 600,
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.js'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadFile(path.join(__dirname, 'renderer', 'index.html'));
  return window;
}

function registerProtocol(): void {
  if (process.defaultApp && process.argv[1]) {
    app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, process.execPath, [path.resolve(process.argv[1])]);
  } else {
    app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  }
}

async function main(): Promise<void> {
  log.initialize();
  let window: BrowserWindow | undefined;
  const instance = await singleInstance({
    app,
    dialog,
    ...SINGLE_INSTANCE,
    scheme: DEEP_LINK_SCHEME,
    data: { startedAt: performance.timeOrigin },
    logger: log.scope('sole-instance'),
    onQuitRequest() {
      // The installer or updater asks to quit so that it can install over the app: nothing to
      // save in this demo; a real app saves its documents here, then quits.
      app.quit();
    },
    onSecondInstance(launch) {
      const entry = record({ source: launch.source, pid: launch.pid, argv: launch.argv, cwd: launch.cwd, url: launch.url, handOffMs: handOffMs(launch) });
      window?.webContents.send('launches:new', entry);
      return { shownAs: entry.seq };
    },
  });
  const url = extractDeepLink(process.argv, DEEP_LINK_SCHEME);
  record({ source: 'first', pid: process.pid, argv: process.argv, cwd: workingDirectory(), url, handOffMs: null });
  registerProtocol();
  ipcMain.handle('launches:list', () => history);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') {
      app.quit();
    }
  });
  await app.whenReady();
  window = createWindow();
  instance.setWindow(window);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) {
      window = createWindow();
      instance.setWindow(window);
    }
  });
}

main().catch((error: unknown) => {
  log.error(error);
  dialog.showErrorBox(`${app.getName()} failed to start`, String(error));
  app.exit(1);
});
