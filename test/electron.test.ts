/**
 * The Electron layer with doubles typed against Electron's own types (no Electron binary here),
 * and real second instances (host processes) handing over to it.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Event, FocusOptions } from 'electron';
import { extractDeepLink } from '../dist/single-instance/deep-link.js';
import {
  type AppLaunch,
  type AppLike,
  type DialogLike,
  type WindowLike,
  bringToFront,
  singleInstance,
} from '../dist/single-instance/electron.js';
import { HostProcess, MODULE, RecordingLogger, isolatedTmp, runHost, startPrimary, uniqueId } from './helpers.js';

let tmp: string;
before(() => {
  tmp = isolatedTmp();
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Records every call made to it, in order, into a shared journal. */
class WindowDouble implements WindowLike {
  constructor(
    private readonly journal: string[],
    private minimized = false,
    private visible = true,
  ) {}
  isDestroyed(): boolean {
    return false;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.journal.push('window.restore');
    this.minimized = false;
  }
  isVisible(): boolean {
    return this.visible;
  }
  show(): void {
    this.journal.push('window.show');
    this.visible = true;
  }
  focus(): void {
    this.journal.push('window.focus');
  }
}

class AppDouble implements AppLike {
  readonly exitCodes: number[] = [];
  private openUrl: ((event: Event, url: string) => void) | undefined;
  private exited: (code: number) => void = () => undefined;
  /** Resolves with the code of the first `exit` call. */
  readonly exit$ = new Promise<number>((resolve) => {
    this.exited = resolve;
  });

  constructor(
    private readonly journal: string[] = [],
    private readonly name = 'Double App',
  ) {}
  exit(exitCode?: number): void {
    this.exitCodes.push(exitCode ?? 0);
    this.exited(exitCode ?? 0);
  }
  focus(options?: FocusOptions): void {
    this.journal.push(`app.focus(${JSON.stringify(options)})`);
  }
  getName(): string {
    return this.name;
  }
  on(event: 'open-url', listener: (event: Event, url: string) => void): this {
    assert.equal(event, 'open-url');
    this.openUrl = listener;
    return this;
  }
  /** What macOS does when a link of the app's scheme is opened. */
  emitOpenUrl(url: string): boolean {
    let prevented = false;
    const event = { preventDefault: () => (prevented = true), defaultPrevented: false } as unknown as Event;
    this.openUrl?.(event, url);
    return prevented;
  }
}

class DialogDouble implements DialogLike {
  readonly shown: [string, string][] = [];
  showErrorBox(title: string, content: string): void {
    this.shown.push([title, content]);
  }
}

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
    const logger = new RecordingLogger();
    const seen: AppLaunch[] = [];
    const appId = uniqueId('electron');
    const primary = await singleInstance({
      app,
      dialog: new DialogDouble(),
      appId,
      scheme: 'sidemo',
      logger,
      platform: 'win32',
      onSecondInstance: (launch) => {
        journal.push(`handler(${launch.argv.at(-1)})`);
        seen.push(launch);
        return { seq: seen.length };
      },
    });
    const first = new HostProcess(['--id', appId, '--', 'sidemo://open/note?id=1']);
    await logger.waitFor(new RegExp(`second instance ${first.child.pid} handed over`));
    const second = new HostProcess(['--id', appId, '--', 'plain']);
    await logger.waitFor(new RegExp(`second instance ${second.child.pid} handed over`));
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

  it('macOS open-url before the window is queued and delivered once it exists', async () => {
    const journal: string[] = [];
    const app = new AppDouble(journal);
    const seen: AppLaunch[] = [];
    const primary = await singleInstance({
      app,
      dialog: new DialogDouble(),
      appId: uniqueId('openurl'),
      scheme: 'sidemo',
      logger: new RecordingLogger(),
      platform: 'darwin',
      onSecondInstance: (launch) => {
        seen.push(launch);
      },
    });
    assert.equal(app.emitOpenUrl('sidemo://from/finder'), true, 'the default is prevented');
    assert.equal(seen.length, 0);
    primary.setWindow(new WindowDouble(journal, false, false));
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    assert.deepEqual(seen.map((launch) => [launch.source, launch.url]), [['open-url', 'sidemo://from/finder']]);
    assert.deepEqual(journal, ['window.show', 'window.focus', 'app.focus({"steal":true})']);
    await primary.release();
  });

  it("a launch's activation token reaches app.setActivationToken before the focus, where Electron has it", async () => {
    const journal: string[] = [];
    const app = Object.assign(new AppDouble(journal), {
      setActivationToken: (token: string) => journal.push(`app.setActivationToken(${token})`),
    });
    const id = uniqueId('token');
    const primary = await singleInstance({ app, dialog: new DialogDouble(), appId: id, logger: new RecordingLogger(), platform: 'linux' });
    primary.setWindow(new WindowDouble(journal));
    const script = `require(${JSON.stringify(MODULE)}).claim({ appId: ${JSON.stringify(id)}, forwardEnv: ['XDG_ACTIVATION_TOKEN'] })`;
    assert.equal(await runScript(script, { XDG_ACTIVATION_TOKEN: 'wayland-token-42' }), 0);
    assert.deepEqual(journal, ['app.setActivationToken(wayland-token-42)', 'window.focus']);
    await primary.release();
  });
});

describe('singleInstance(): second instances', () => {
  it('hands over, calls app.exit(0) and never resolves (no window, no flash)', async () => {
    const id = uniqueId('secondary');
    const running = await startPrimary(id, ['--reply', '"hi"']);
    const app = new AppDouble();
    let resolved = false;
    void singleInstance({ app, dialog: new DialogDouble(), appId: id, logger: new RecordingLogger() }).then(() => {
      resolved = true;
    });
    assert.equal(await app.exit$, 0);
    await running.waitForLines(2);
    assert.equal(resolved, false);
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

  it('an invalid app id is a programming error: thrown, not a dialog', async () => {
    const app = new AppDouble();
    await assert.rejects(singleInstance({ app, dialog: new DialogDouble(), appId: 'bad/id', logger: new RecordingLogger() }), /cannot hold/);
    assert.deepEqual(app.exitCodes, []);
  });

  it('the app id defaults to app.getName()', async () => {
    const name = uniqueId('byname');
    const running = await startPrimary(name);
    const app = new AppDouble([], name);
    void singleInstance({ app, dialog: new DialogDouble(), logger: new RecordingLogger() });
    assert.equal(await app.exit$, 0);
    await running.stop();
    assert.equal((await runHost(['--id', name, '--hold-ms', '0'])).lines[0]?.role, 'primary');
  });
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

/** Runs a plain Node script (a second instance that is not the host) with extra environment variables. */
function runScript(script: string, env: Record<string, string>): Promise<number | string> {
  const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, ...env }, stdio: 'ignore' });
  return new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
}
