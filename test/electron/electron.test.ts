/**
 * The Electron layer with doubles typed against Electron's own types (no Electron binary here),
 * and real second instances (host processes) handing over to it.
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type Launch, QUIT_REQUEST, extractDeepLink } from 'sole-instance';
import { type SingleInstanceOptions, bringToFront, singleInstance } from 'sole-instance/electron';
import { HostProcess, RecordingLogger, TraceRecorder, isolatedTmp, runFixture, startPrimary, uniqueId } from '../helpers.js';
import { AppDouble, DialogDouble, WindowDouble, settlement } from './doubles.js';

before(() => isolatedTmp());

describe('bringToFront: the order users expect', () => {
  const run = (minimized: boolean, visible: boolean, platform: NodeJS.Platform): string[] => {
    const journal: string[] = [];
    bringToFront(new WindowDouble(journal, minimized, visible), new AppDouble(journal), platform);
    return journal;
  };
  it('minimized: restore, then focus', () => {
    assert.deepEqual(run(true, true, 'win32'), ['window.restore', 'window.focus']);
  });
  it('hidden (tray app): show, then focus', () => {
    assert.deepEqual(run(false, false, 'linux'), ['window.show', 'window.focus']);
  });
  it('minimized and hidden: restore, show, focus', () => {
    assert.deepEqual(run(true, false, 'win32'), ['window.restore', 'window.show', 'window.focus']);
  });
  it('macOS also makes the app active, stealing focus', () => {
    assert.deepEqual(run(false, true, 'darwin'), ['window.focus', 'app.focus({"steal":true})']);
  });
});

describe('singleInstance(): primary', () => {
  it('launches before the first window are queued, then delivered in order and the window focused', async () => {
    const journal: string[] = [];
    const app = new AppDouble(journal);
    const seen: Launch[] = [];
    const appId = uniqueId('electron');
    const trace = new TraceRecorder(appId);
    const primary = await singleInstance({
      app,
      dialog: new DialogDouble(),
      appId,
      scheme: 'sidemo',
      logger: new RecordingLogger(),
      platform: 'win32',
      onSecondInstance: (launch) => {
        journal.push(`handler(${launch.argv.at(-1)})`);
        seen.push(launch);
        return { seq: seen.length };
      },
    });
    const first = new HostProcess(['--id', appId, '--', 'sidemo://open/note?id=1']);
    await trace.waitFor('received', { pid: first.child.pid });
    const second = new HostProcess(['--id', appId, '--', 'plain']);
    await trace.waitFor('received', { pid: second.child.pid });
    assert.deepEqual(journal, [], 'nothing happens before the window exists');

    primary.setWindow(new WindowDouble(journal, true, true));
    assert.equal(await first.exited, 0);
    assert.equal(await second.exited, 0);
    assert.deepEqual(journal, [
      'window.restore', 'window.focus', 'handler(sidemo://open/note?id=1)',
      'window.focus', 'handler(plain)',
    ]);
    assert.deepEqual(seen.map((launch) => [launch.source, launch.url]), [
      ['second-instance', 'sidemo://open/note?id=1'],
      ['second-instance', null],
    ]);
    assert.deepEqual([first.lines[0]?.reply, second.lines[0]?.reply], [{ seq: 1 }, { seq: 2 }]);
    await primary.release();
  });

  it("an installer's quit request reaches onQuitRequest at once, window or not, without raising the window", async () => {
    const journal: string[] = [];
    const appId = uniqueId('quit-request');
    const primary = await singleInstance({
      app: new AppDouble(journal),
      dialog: new DialogDouble(),
      appId,
      logger: new RecordingLogger(),
      onQuitRequest: (launch) => {
        journal.push(`quit-request(${launch.source})`);
        return 'saved';
      },
      onSecondInstance: (launch) => {
        journal.push(`handler(${String(launch.argv.at(-1))})`);
      },
    });
    const early = new HostProcess(['--id', appId, '--', QUIT_REQUEST]);
    assert.equal(await early.exited, 0);
    assert.deepEqual(early.lines[0]?.reply, 'saved', "the installer gets the handler's reply");
    assert.deepEqual(journal, ['quit-request(second-instance)'], 'delivered before any window exists');
    primary.setWindow(new WindowDouble(journal, true, false));
    const installer = new HostProcess(['--id', appId, '--', QUIT_REQUEST]);
    assert.equal(await installer.exited, 0);
    const opened = new HostProcess(['--id', appId, '--', 'plain']);
    assert.equal(await opened.exited, 0);
    assert.deepEqual(journal, ['quit-request(second-instance)', 'quit-request(second-instance)', 'window.restore', 'window.show', 'window.focus', 'handler(plain)']);
    await primary.release();
  });

  it('without onQuitRequest, a quit request quits the app (app.quit), and never reaches onSecondInstance', async () => {
    const journal: string[] = [];
    const appId = uniqueId('quit-default');
    const primary = await singleInstance({
      app: new AppDouble(journal),
      dialog: new DialogDouble(),
      appId,
      logger: new RecordingLogger(),
      onSecondInstance: () => {
        journal.push('handler');
      },
    });
    primary.setWindow(new WindowDouble(journal));
    const installer = new HostProcess(['--id', appId, '--', QUIT_REQUEST]);
    assert.equal(await installer.exited, 0);
    assert.deepEqual(journal, ['app.quit']);
    await primary.release();
  });

  it('a quit request when no instance runs exits 0 at once: no window, no handler, the lock let go', async () => {
    const appId = uniqueId('quit-none');
    const app = new AppDouble();
    const dialog = new DialogDouble();
    const claiming = settlement(singleInstance({ app, dialog, appId, argv: [process.execPath, 'main.js', QUIT_REQUEST], logger: new RecordingLogger() }));
    assert.equal(await app.exit$, 0);
    assert.equal(await claiming(), 'pending');
    assert.deepEqual(dialog.shown, []);
    const next = await startPrimary(appId);
    await next.stop();
  });

  it('a quit request that cannot be delivered never shows a dialog (an installer waits on it): it exits 3', async () => {
    const id = uniqueId('quit-hung');
    const running = await startPrimary(id);
    await running.whileStopped(async () => {
      const app = new AppDouble([], 'Notes');
      const dialog = new DialogDouble();
      void singleInstance({ app, dialog, appId: id, argv: [process.execPath, 'main.js', QUIT_REQUEST], timeoutMs: 500, logger: new RecordingLogger() });
      assert.equal(await app.exit$, 3);
      assert.deepEqual(dialog.shown, []);
    });
  });

  it('macOS open-url and open-file, even before the claim settles, are queued and delivered in order once the window exists', async () => {
    const journal: string[] = [];
    const app = new AppDouble(journal);
    const seen: Launch[] = [];
    const delivered = new Promise<void>((resolve) => {
      const claiming = singleInstance({
        app,
        dialog: new DialogDouble(),
        appId: uniqueId('openurl'),
        scheme: 'sidemo',
        logger: new RecordingLogger(),
        platform: 'darwin',
        onSecondInstance: (launch) => {
          seen.push(launch);
          if (seen.length === 2) {
            resolve();
          }
        },
      });
      assert.equal(app.emit('open-url', 'sidemo://from/finder'), true, 'the default is prevented, synchronously inside the call');
      assert.equal(app.emit('open-file', '/Users/ana/notes.sidemo'), true);
      void claiming.then((primary) => {
        assert.equal(seen.length, 0, 'nothing is delivered before the window');
        primary.setWindow(new WindowDouble(journal, false, false));
        void delivered.then(() => primary.release());
      });
    });
    await delivered;
    assert.deepEqual(seen.map((launch) => [launch.source, launch.argv, launch.url, launch.cwd, launch.pid]), [
      ['open-url', ['sidemo://from/finder'], 'sidemo://from/finder', null, process.pid],
      ['open-file', ['/Users/ana/notes.sidemo'], null, null, process.pid],
    ]);
    assert.deepEqual(journal, ['window.show', 'window.focus', 'app.focus({"steal":true})', 'window.focus', 'app.focus({"steal":true})']);
  });

  it("a launch's activation token reaches app.setActivationToken before the focus, where Electron has it", async () => {
    const journal: string[] = [];
    const app = Object.assign(new AppDouble(journal), {
      setActivationToken: (token: string) => journal.push(`app.setActivationToken(${token})`),
    });
    const id = uniqueId('token');
    const primary = await singleInstance({ app, dialog: new DialogDouble(), appId: id, logger: new RecordingLogger(), platform: 'linux' });
    primary.setWindow(new WindowDouble(journal));
    const launch = await runFixture(['claim', JSON.stringify({ appId: id, forwardEnv: ['XDG_ACTIVATION_TOKEN'] })], {
      env: { ...process.env, XDG_ACTIVATION_TOKEN: 'wayland-token-42' },
    });
    assert.equal(launch.code, 0, launch.stderr);
    assert.deepEqual(journal, ['app.setActivationToken(wayland-token-42)', 'window.focus']);
    await primary.release();
  });
});

describe('singleInstance(): second instances', () => {
  it('hands over, calls app.exit(0) and never resolves (no window, no flash)', async () => {
    const id = uniqueId('secondary');
    const running = await startPrimary(id, ['--reply', '"hi"']);
    const app = new AppDouble();
    const claiming = settlement(singleInstance({ app, dialog: new DialogDouble(), appId: id, logger: new RecordingLogger() }));
    assert.equal(await app.exit$, 0);
    await running.waitForLines(2);
    assert.equal(await claiming(), 'pending');
    await running.stop();
  });

  it('a primary that does not answer: an error box and exit code 3', async () => {
    const id = uniqueId('hung');
    const running = await startPrimary(id);
    await running.whileStopped(async () => {
      const app = new AppDouble([], 'Notes');
      const dialog = new DialogDouble();
      void singleInstance({ app, dialog, appId: id, timeoutMs: 500, logger: new RecordingLogger() });
      assert.equal(await app.exit$, 3);
      assert.equal(dialog.shown.length, 1);
      assert.equal(dialog.shown[0]![0], 'Notes cannot start');
      assert.match(dialog.shown[0]![1], /did not answer within 500 ms/);
    });
  });

  it('onHandedOver sees the primary\'s reply before the exit, and chooses the exit code', async () => {
    const id = uniqueId('reply');
    const running = await startPrimary(id, ['--reply', '{"opened":2}']);
    const app = new AppDouble();
    const seen: unknown[] = [];
    void singleInstance({
      app,
      dialog: new DialogDouble(),
      appId: id,
      logger: new RecordingLogger(),
      onHandedOver: (handedOver) => {
        seen.push(handedOver);
        assert.deepEqual(app.exitCodes, [], 'called before the exit');
        return 5;
      },
    });
    assert.equal(await app.exit$, 5);
    assert.deepEqual(seen, [{ role: 'secondary', primaryPid: running.child.pid, reply: { opened: 2 } }]);
    await running.stop();
  });

  it('an onHandedOver that throws: an error box and exit code 1, never an unhandled rejection', async () => {
    const id = uniqueId('reply-throws');
    const running = await startPrimary(id);
    const app = new AppDouble([], 'Notes');
    const dialog = new DialogDouble();
    const claiming = settlement(
      singleInstance({
        app,
        dialog,
        appId: id,
        logger: new RecordingLogger(),
        onHandedOver: () => {
          throw new Error('could not print the reply');
        },
      }),
    );
    assert.equal(await app.exit$, 1);
    assert.deepEqual(dialog.shown, [['Notes cannot start', 'could not print the reply']]);
    assert.equal(await claiming(), 'pending');
    await running.stop();
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['an invalid app id', { appId: 'bad/id' }, /cannot hold/],
    ['no app id (there is no default that could differ from the installer\'s)', {}, /`appId` must be a non-empty string/],
    ['forwardEnv that is not an array', { appId: 'a.b', forwardEnv: 'HOME' }, /`forwardEnv` must be an array/],
  ];
  for (const [name, options, message] of invalid) {
    it(`${name}: an error box and exit code 2, never a rejection`, async () => {
      const app = new AppDouble([], 'Notes');
      const dialog = new DialogDouble();
      const claiming = settlement(singleInstance({ app, dialog, logger: new RecordingLogger(), ...options } as unknown as SingleInstanceOptions));
      assert.equal(await app.exit$, 2);
      assert.equal(dialog.shown[0]?.[0], 'Notes cannot start');
      assert.match(dialog.shown[0]?.[1] ?? '', message);
      assert.equal(await claiming(), 'pending');
    });
  }
});

describe('extractDeepLink', () => {
  it('finds the link among switches and arguments, whatever the scheme case', () => {
    assert.equal(extractDeepLink(['C:\\App\\app.exe', '--allow-file-access', 'SIDEMO://open?x=1'], 'sidemo'), 'SIDEMO://open?x=1');
    assert.equal(extractDeepLink(['/usr/bin/app', 'file.txt', 'sidemo://a', 'sidemo://b'], 'sidemo'), 'sidemo://a');
  });
  it('ignores look-alikes and plain arguments', () => {
    assert.equal(extractDeepLink(['app', 'sidemox://a', 'xsidemo://a', 'sidemo'], 'sidemo'), null);
    assert.equal(extractDeepLink([], 'sidemo'), null);
  });
});
