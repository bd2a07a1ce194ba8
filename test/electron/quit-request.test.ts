/**
 * The installer's quit request in the Electron layer, with typed doubles of Electron's objects and
 * real processes on the other end: the launch that carries it always ends within its bound and
 * never shows a box; the app takes it only from its own installation; and the flag counts only
 * where the installer puts it, as the first argument after the program.
 */
import * as assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { before, describe, it } from 'node:test';
import { type Launch, QUIT_REQUEST, claim } from 'sole-instance';
import { QUIT_REPLY_TIMEOUT_MS, singleInstance } from 'sole-instance/electron';
import { FIXTURE, HostProcess, NodeProcess, RecordingLogger, isolatedTmp, runFixture, startPrimary, uniqueId } from '../helpers.js';
import { AppDouble, DialogDouble } from './doubles.js';

before(() => isolatedTmp());

/** The hand-off deadline the tests claim with, beside the quit request's own reply bound. */
const TIMEOUT_MS = 1000;

describe("the launch that carries the installer's quit request", () => {
  it('ends within its bound against an app that takes it and never answers (exit 4: delivered, no reply), and never shows a box', { timeout: 20_000 }, async (t) => {
    const appId = uniqueId('quit-unanswered');
    const running = await claim({ appId });
    assert.ok(running.role === 'primary');
    t.after(() => running.release());
    running.onQuitRequest(() => new Promise<never>(() => undefined));
    const app = new AppDouble([], 'Notes');
    const dialog = new DialogDouble();
    const started = performance.now();
    void singleInstance({ app, dialog, appId, argv: [process.execPath, 'main.js', QUIT_REQUEST], timeoutMs: TIMEOUT_MS, logger: new RecordingLogger() });
    assert.equal(await app.exit$, 4);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < TIMEOUT_MS + QUIT_REPLY_TIMEOUT_MS + 2000, `ended after ${Math.round(elapsed)} ms`);
    assert.deepEqual(dialog.shown, []);
  });

  it("an ordinary launch keeps the app's own reply timeout (a slow handler is not a quit request)", { timeout: 20_000 }, async (t) => {
    const appId = uniqueId('slow-open');
    const running = new NodeProcess([FIXTURE, 'primary', JSON.stringify({ appId }), '--never-reply']);
    t.after(() => running.stop('SIGKILL'));
    assert.equal((await running.first()).role, 'primary');
    const app = new AppDouble([], 'Notes');
    const started = performance.now();
    void singleInstance({ app, dialog: new DialogDouble(), appId, argv: [process.execPath, 'main.js', 'notes.md'], replyTimeoutMs: QUIT_REPLY_TIMEOUT_MS + 1500, logger: new RecordingLogger() });
    assert.equal(await app.exit$, 4);
    assert.ok(performance.now() - started >= QUIT_REPLY_TIMEOUT_MS + 1500, 'waited for its own timeout');
  });
});

describe('the running app takes a quit request only from its own installation', () => {
  it("declines one whose program lies in another folder (another copy's installer), and takes its own", async (t) => {
    const appId = uniqueId('quit-installation');
    const seen: Launch[] = [];
    const primary = await singleInstance({
      app: new AppDouble(),
      dialog: new DialogDouble(),
      appId,
      logger: new RecordingLogger(),
      onQuitRequest: (launch) => {
        seen.push(launch);
        return 'quitting';
      },
    });
    t.after(() => primary.release());
    const ask = (program: string): Promise<unknown> =>
      runFixture(['claim', JSON.stringify({ appId, argv: [program, QUIT_REQUEST], request: 'quit' })]).then((result) => result.lines[0]?.reply);
    assert.deepEqual(await ask('/opt/another-copy/notes'), { declined: 'another installation' });
    assert.equal(seen.length, 0, 'not handed to onQuitRequest');
    assert.equal(await ask(process.execPath), 'quitting');
    assert.deepEqual(seen.map((launch) => launch.argv[0]), [process.execPath]);
  });
});

describe('the quit flag counts only as the first argument after the program', () => {
  const cases: [string, string[], string][] = [
    ['first, where the installer puts it', [QUIT_REQUEST], 'quit-request'],
    ['after --', ['--', QUIT_REQUEST], 'second-instance'],
    ['after a file', ['notes.md', QUIT_REQUEST], 'second-instance'],
    ['after a link', ['notes://open', QUIT_REQUEST], 'second-instance'],
  ];

  for (const [where, args, event] of cases) {
    it(`the Electron layer, ${where}: ${event}`, async (t) => {
      const appId = uniqueId('flag-electron');
      const running = await startPrimary(appId, ['--on-quit', 'ignore']);
      t.after(() => running.stop());
      const app = new AppDouble();
      void singleInstance({ app, dialog: new DialogDouble(), appId, argv: [process.execPath, 'main.js', ...args], logger: new RecordingLogger() });
      assert.equal(await app.exit$, 0);
      assert.equal((await running.waitForLines(2))[1]?.event, event);
    });

    it(`the host, ${where}: ${event}`, async (t) => {
      const appId = uniqueId('flag-host');
      const running = await startPrimary(appId, ['--on-quit', 'ignore']);
      t.after(() => running.stop());
      assert.equal(await new HostProcess(['--id', appId, '--', ...args]).exited, 0);
      assert.equal((await running.waitForLines(2))[1]?.event, event);
    });
  }

  it('a launch with the flag elsewhere opens the app when none runs (it is no quit request)', async (t) => {
    const app = new AppDouble();
    const primary = await singleInstance({ app, dialog: new DialogDouble(), appId: uniqueId('flag-none'), argv: [process.execPath, 'main.js', 'notes.md', QUIT_REQUEST], logger: new RecordingLogger() });
    t.after(() => primary.release());
    assert.deepEqual(app.exitCodes, [], 'it became the primary');
  });
});
