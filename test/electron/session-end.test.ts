/**
 * Windows' Restart Manager (MSI installers, Windows Update) closing the app: Electron's
 * `session-end` with reason `close-app` on the app's window, played by a typed double, reaches
 * the app's quit path once; a shutdown or log-off is left to Electron.
 */
import * as assert from 'node:assert/strict';
import { type TestContext, before, describe, it } from 'node:test';
import type { Launch } from 'sole-instance';
import { type ElectronPrimary, singleInstance } from 'sole-instance/electron';
import { RecordingLogger, isolatedTmp, uniqueId } from '../helpers.js';
import { AppDouble, DialogDouble, WindowDouble } from './doubles.js';

before(() => isolatedTmp());

/** Lets the callbacks already queued run (the quit path runs after the event, as a promise). */
function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A primary on Windows rules, its quit path recorded into `journal`. */
function windowsPrimary(journal: string[], withHandler = true): Promise<ElectronPrimary> {
  return singleInstance({
    app: new AppDouble(journal),
    dialog: new DialogDouble(),
    appId: uniqueId('restart-manager'),
    logger: new RecordingLogger(),
    platform: 'win32',
    ...(withHandler ? { onQuitRequest: (launch: Launch) => void journal.push(`quit(${launch.source}, pid ${launch.pid === process.pid ? 'own' : launch.pid})`) } : {}),
  });
}

/** A Windows primary with its window set, both recording into one journal; released after the test. */
async function windowed(t: TestContext, withHandler = true): Promise<{ journal: string[]; window: WindowDouble }> {
  const journal: string[] = [];
  const primary = await windowsPrimary(journal, withHandler);
  t.after(() => primary.release());
  const window = new WindowDouble(journal);
  primary.setWindow(window);
  return { journal, window };
}

describe("the Restart Manager's close (session-end, close-app)", () => {
  it('takes the quit path, once, as a launch of source session-end', async (t) => {
    const { journal, window } = await windowed(t);
    window.endSession('close-app');
    window.endSession('close-app');
    await settled();
    assert.deepEqual(journal, ['quit(session-end, pid own)']);
  });

  it('without onQuitRequest, quits the app (app.quit)', async (t) => {
    const { journal, window } = await windowed(t, false);
    window.endSession('close-app', 'critical');
    await settled();
    assert.deepEqual(journal, ['app.quit']);
  });

  it('a shutdown or a log-off is left to Electron', async (t) => {
    const { journal, window } = await windowed(t);
    window.endSession('shutdown');
    window.endSession('logoff');
    await settled();
    assert.deepEqual(journal, []);
  });

  it('the window the app sets last is the one that answers; another platform does not listen', async (t) => {
    const journal: string[] = [];
    const primary = await windowsPrimary(journal);
    t.after(() => primary.release());
    const [first, second] = [new WindowDouble(journal), new WindowDouble(journal)];
    primary.setWindow(first);
    primary.setWindow(second);
    assert.deepEqual([first.sessionEndListeners, second.sessionEndListeners], [0, 1]);
    const linux = await singleInstance({ app: new AppDouble(), dialog: new DialogDouble(), appId: uniqueId('no-restart-manager'), logger: new RecordingLogger(), platform: 'linux' });
    t.after(() => linux.release());
    const window = new WindowDouble([]);
    linux.setWindow(window);
    assert.equal(window.sessionEndListeners, 0);
  });
});
