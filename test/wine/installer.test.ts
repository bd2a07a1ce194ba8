/**
 * The installer include sole-instance/builder generates: compiled by Debian's makensis the way
 * electron-builder includes it (both targets, installer and uninstaller, hostile product names),
 * and run for real under Wine against running Windows instances: one that quits when asked, one
 * that does not, one that is quitting already, one that is hung, another user's, processes of
 * the installation that hold no mutex, an installed version that does not know the request, names
 * held by other kinds of objects, another installation's copy, install folders named another way,
 * and a person in front of the boxes.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { win32InstallationMutexName, win32MutexName } from 'sole-instance';
import { renderInstallerInclude } from 'sole-instance/builder';
import { type Line, skipUnless } from '../helpers.js';
import { APP_ID, HOSTILE_NAME, OUT, WAITS, compile, escapeRegExp, hostCommand } from './check-installer.js';
import {
  type Display,
  NODE_EXE,
  RUN_DIR,
  WineProcess,
  runWineFixture,
  stageBuild,
  startDisplay,
  stopWineServer,
  unixPathOf,
  wineFixture,
  wineHost,
  wineNeeds,
  wineNode,
  windowsPath,
} from './harness.js';

const MAKENSIS = '/usr/bin/makensis';
/** Each run of an installer here ends within seconds; a hang fails the test. */
const BOUND = { timeout: 60_000 };
const SID = 'S-1-5-21-1004336348-1177238915-682003330-512';
/** The app id of the stand-in for an installed version without sole-instance. */
const OLD_VERSION_ID = 'com.example.old-version-stand-in';

describe('the generated installer include', () => {
  const include = renderInstallerInclude({ appId: APP_ID, scope: 'session', productName: HOSTILE_NAME });

  it("opens the very names the app holds: the user's mutex (SID filled in, from the user's session or another) and the installation's (folder hash filled in)", () => {
    const names = [...include.matchAll(/StrCpy \$R7 "(.+)"$/gm)].map((match) => match[1] ?? '').filter((name) => !name.startsWith('$R7'));
    const filled = (name: string, values: Record<string, string>): string =>
      Object.entries(values).reduce((text, [register, value]) => text.replace(new RegExp(`(?<!\\$)\\$${register}`, 'g'), value), name).replace(/\$\$/g, '$');
    const user = win32MutexName(APP_ID, 'session', SID);
    assert.deepEqual(names.map((name) => filled(name, { R0: SID, R1: '3', R4: '0badf00d' })), [
      user.replace(/^Local\\/, 'Session\\3\\'),
      user,
      win32InstallationMutexName(APP_ID, '0badf00d'),
    ]);
    assert.doesNotMatch(include, /System::Call '[^']*Local\\|System::Call '[^']*Global\\/, 'no name inside System::Call\'s own quotes');
  });

  it('asks the app to quit through its own channel and never kills a process', () => {
    assert.match(include, /--sole-instance-request=quit/);
    assert.doesNotMatch(include, /taskkill|TerminateProcess|KILL_PROCESS|nsProcess/i);
  });

  it("compiles with makensis for electron-builder's x86 target and for x64, installer and uninstaller, whatever the product's name, warnings as errors", () => {
    for (const target of ['x86-unicode', 'amd64-unicode'] as const) {
      for (const productName of ['Notes', HOSTILE_NAME]) {
        const { status, output } = compile({ label: 'compile', target, productName, oldUninstallerFails: true });
        assert.equal(status, 0, output);
      }
    }
  });

  it('a syntax error in the include fails the compile (the check can fail)', () => {
    const broken = path.join(OUT, 'broken.nsh');
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(broken, include.replace('${EndIf}', '${EndIff}'));
    const script = `Unicode true\n!include "${broken}"\nOutFile "${path.join(OUT, 'broken.exe')}"\nSection\n!insertmacro customCheckAppRunning\nSectionEnd\n`;
    fs.writeFileSync(path.join(OUT, 'broken.nsi'), script);
    const result = spawnSync(MAKENSIS, ['-V1', path.join(OUT, 'broken.nsi')], { encoding: 'utf8' });
    assert.notEqual(result.status, 0);
  });

  it('an app id whose mutex name the installer could not rebuild is refused at build time', () => {
    assert.throws(() => renderInstallerInclude({ appId: 'x'.repeat(250), scope: 'session', productName: 'Notes' }), /too long for the installer to rebuild; use a shorter app id/);
  });
});

describe('the installer under Wine, against a running app', { skip: skipUnless(...wineNeeds()) }, () => {
  /** The app is installed where node.exe is: the installation mutex the host holds is the one the installer asks for. */
  const installDir = windowsPath(path.dirname(NODE_EXE));
  const exes = { main: '', oldVersion: '', inner: '', oldUninstaller: '' };
  let trace = '';
  let display: Display | undefined;

  before(async () => {
    stopWineServer();
    display = await startDisplay();
    stageBuild();
    const base = { target: 'amd64-unicode', productName: HOSTILE_NAME, relaunchCommand: hostCommand(APP_ID, ['--', 'relaunched-by-installer']) } as const;
    // Its own deadline well inside the installer's bound for it, so that the installer reads its exit code.
    const quit = hostCommand(APP_ID, ['--timeout-ms', '1500', '--', '--sole-instance-request=quit']);
    const builds = {
      main: { ...base, label: 'run', quitCommand: quit },
      // An installed version without sole-instance: it takes the flag for an ordinary argument, opens and stays.
      oldVersion: { ...base, label: 'old-version', quitCommand: hostCommand(OLD_VERSION_ID, ['--', 'notes.md', '--sole-instance-request=quit']) },
      inner: { ...base, label: 'inner', quitCommand: quit, innerInstance: true },
      oldUninstaller: { ...base, label: 'old-uninstaller', quitCommand: quit, innerInstance: true, oldUninstallerFails: true },
    };
    for (const [key, build] of Object.entries(builds)) {
      const compiled = compile(build);
      assert.equal(compiled.status, 0, compiled.output);
      exes[key as keyof typeof exes] = compiled.exe;
    }
    const places = await runWineFixture(['places', APP_ID, 'session']);
    trace = unixPathOf(path.win32.join(String(places.lines[0]?.stateDir), `${APP_ID}.installer.log`));
  });
  after(async () => {
    stopWineServer();
    await display?.stop();
  });

  /** What a test started and has not seen end: ended after it, so that one failing test does not leave processes behind for the next. */
  const started = new Set<WineProcess>();
  const tracked = (child: WineProcess): WineProcess => {
    started.add(child);
    void child.exited.then(() => started.delete(child));
    return child;
  };
  afterEach(async () => {
    await Promise.all([...started].map((child) => child.stop('SIGKILL')));
  });

  const installer = (exe: string, flags: string[] = [], dir = installDir): WineProcess => tracked(new WineProcess(exe, [...flags, `/D=${dir}`], RUN_DIR));
  const app = (...args: string[]): WineProcess => tracked(wineHost(['--id', APP_ID, ...args], RUN_DIR, { SOLE_INSTANCE_LOG: '1' }));
  const host = (...args: string[]): WineProcess => tracked(wineHost(args));
  const fixture = (...args: string[]): WineProcess => tracked(wineFixture(args));
  const windowsFixture = (...args: string[]): WineProcess => tracked(wineNode([path.join(RUN_DIR, 'dist-test', 'test', 'wine', 'windows-fixture.js'), ...args]));
  const readTrace = (): string => fs.readFileSync(trace).toString('utf16le').replace(/^\uFEFF/, '');
  const primary = async (started: WineProcess): Promise<WineProcess> => {
    assert.equal((await started.first()).role, 'primary', started.stderr);
    return started;
  };
  /** What a primary was handed once a later launch has handed over to it (were it asked to quit, it would be gone). */
  const launchesSeen = async (running: WineProcess): Promise<Line[]> => {
    const later = app('--hold-ms', '0', '--', 'after-the-installer');
    assert.equal((await later.first()).role, 'secondary', 'the app still runs');
    return (await running.waitForLines(2)).slice(1);
  };
  /** A folder nothing runs from: the installer there sees only the names it is asked about, no process of the suite. */
  // No spaces: an installer takes /D= only unquoted, and a path with spaces reaches it quoted.
  const emptyFolder = (): string => fs.mkdtempSync(path.join(RUN_DIR, 'another-install-'));
  const windowsFixtureLine = async (...args: string[]): Promise<Line> => windowsFixture(...args).first();
  const alive = async (pid: unknown): Promise<boolean> => (await windowsFixture('alive', String(pid)).first()).alive === true;

  it('nothing runs: the installer goes on (exit 0) and leaves no trace', BOUND, async () => {
    fs.rmSync(trace, { force: true });
    assert.equal(await installer(exes.main, ['/S']).exited, 0);
    assert.equal(fs.existsSync(trace), false);
  });

  it("the user's app runs: the silent update asks it to quit through the app's channel, it quits, the update goes on", BOUND, async () => {
    const running = await primary(app());
    const update = installer(exes.main, ['/S']);
    assert.equal((await running.waitForLines(2))[1]?.event, 'quit-request');
    assert.equal(await running.exited, 0);
    assert.equal(await update.exited, 0);
  });

  it('an app that will not quit is never killed: exit 2, a trace that the next primary logs once, and --force-run starts the app again', BOUND, async () => {
    const stubborn = await primary(app('--on-quit', 'ignore'));
    const update = installer(exes.main, ['/S', '--updated', '--force-run']);
    assert.equal((await stubborn.waitForLines(2))[1]?.event, 'quit-request');
    assert.equal(await update.exited, 2);
    const relaunch = (await stubborn.waitForLines(3))[2];
    assert.equal(relaunch?.event, 'second-instance');
    assert.ok((relaunch.argv as string[]).includes('relaunched-by-installer'), JSON.stringify(relaunch));
    assert.match(readTrace(), new RegExp(`${escapeRegExp(HOSTILE_NAME)} did not close within ${WAITS.quit} ms when asked to; the update was not installed\\.\\r\\n$`));
    await stubborn.stop();
    const next = app('--hold-ms', '0');
    assert.equal(await next.exited, 0);
    assert.match(next.stderr, /did not close within/);
    assert.equal(fs.existsSync(trace), false, 'the note is logged once, then removed');
  });

  it('a hung app: the quit request ends with its own exit code (3: not delivered), which the installer reads, and nothing is killed', BOUND, async () => {
    fs.rmSync(trace, { force: true });
    const hung = await primary(app());
    await hung.whileStopped(async () => {
      assert.equal(await installer(exes.main, ['/S']).exited, 2);
      assert.match(readTrace(), /did not take the request to quit \(exit code 3\)/);
    });
  });

  it('a silent update started while the app is quitting waits for it and goes on', BOUND, async () => {
    const quitting = await primary(app('--hold-ms', '1500'));
    const update = installer(exes.main, ['/S']);
    assert.equal(await quitting.exited, 0);
    assert.equal(await update.exited, 0);
  });

  // Were it not to wait, its "is running" box would stay open on the display: the timeout fails it.
  it('a non-silent update (--updated, as quitAndInstall starts it, its window shown) started while the app is quitting waits for it and goes on', BOUND, async () => {
    const quitting = await primary(app('--hold-ms', '1500'));
    const update = installer(exes.main, ['--updated']);
    assert.equal(await quitting.exited, 0);
    assert.equal(await update.exited, 0);
  });

  it("another user's (or session's) instances of this installation: each holds the installation mutex; while one runs the silent installer stops with code 2 and says why", BOUND, async () => {
    fs.rmSync(trace, { force: true });
    const first = fixture('hold-installation', APP_ID);
    const second = fixture('hold-installation', APP_ID);
    for (const holder of [first, second]) {
      const held = await holder.first();
      assert.equal(held.held, true, holder.stderr);
      assert.match(String(held.installation), new RegExp(`^Global\\\\sole-instance-${escapeRegExp(APP_ID)}-[0-9a-f]{8}$`));
    }
    await first.stop();
    assert.equal(await installer(exes.main, ['/S']).exited, 2, 'the second still holds it after the first has gone');
    assert.match(readTrace(), /is running for another user or in another session; it cannot be closed from here/);
    await second.stop();
    fs.rmSync(trace, { force: true });
    assert.equal(await installer(exes.main, ['/S']).exited, 0, 'nobody holds it any more');
  });

  it('an installed version that does not know the request (it opens and stays) is neither waited on without end nor killed: exit 2 within the bound', BOUND, async () => {
    fs.rmSync(trace, { force: true });
    const running = await primary(app());
    assert.equal(await installer(exes.oldVersion, ['/S']).exited, 2);
    assert.match(readTrace(), new RegExp(`request to quit did not end within ${WAITS.quit} ms \\(an installed version that does not know it\\?\\); nothing was killed`));
    const standIn = host('--id', OLD_VERSION_ID, '--', 'still-there?');
    assert.equal((await standIn.first()).role, 'secondary', 'the stand-in still runs: a launch hands over to it');
    assert.equal(await host('--id', OLD_VERSION_ID, '--', '--sole-instance-request=quit').exited, 0);
    await running.stop();
  });

  it("processes of this installation that hold no mutex (helpers, an app exiting, a version without sole-instance) count as running: waited for, then reported, never killed", BOUND, async () => {
    fs.rmSync(trace, { force: true });
    const exiting = windowsFixture('linger', '1000');
    await exiting.first();
    assert.equal(await installer(exes.main, ['/S']).exited, 0, 'one that ends within the wait is waited for');
    const lingering = windowsFixture('linger');
    const { lingering: pid } = await lingering.first();
    assert.equal(await installer(exes.main, ['/S']).exited, 2);
    assert.match(readTrace(), /still run from .* without an instance that can be asked to quit .*; nothing was killed/);
    assert.equal(await alive(pid), true, 'not killed');
    await lingering.stop();
    assert.equal(await installer(exes.main, ['/S']).exited, 0);
  });

  it('a name held by another kind of object counts as running (the silent installer stops), for the installation mutex and for the user\'s', BOUND, async () => {
    const folder = emptyFolder();
    const { installation } = await windowsFixtureLine('installation', APP_ID, windowsPath(folder));
    const { lock } = (await runWineFixture(['places', APP_ID, 'session'])).lines[0] ?? {};
    for (const [name, reason] of [[installation, /is running for another user or in another session/], [lock, /the installer cannot reach it/]] as const) {
      fs.rmSync(trace, { force: true });
      const squatter = windowsFixture('squat', String(name));
      assert.equal((await squatter.first()).held, true);
      assert.equal(await installer(exes.main, ['/S'], windowsPath(folder)).exited, 2, String(name));
      assert.match(readTrace(), reason);
      await squatter.stop();
    }
    assert.equal(await installer(exes.main, ['/S'], windowsPath(folder)).exited, 0);
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it("an instance it cannot reach is never offered 'Click OK to close it': the box says it cannot be closed", BOUND, async () => {
    const folder = emptyFolder();
    const { lock } = (await runWineFixture(['places', APP_ID, 'session'])).lines[0] ?? {};
    const squatter = windowsFixture('squat', String(lock));
    await squatter.first();
    const setup = installer(exes.main, [], windowsPath(folder));
    const person = windowsFixture('dialog', 'is running|cannot be closed', 'cancel', '30000');
    assert.match(String((await person.first()).dialog), /cannot be closed\. Close it manually and click Retry/);
    assert.equal(await setup.exited, 2);
    await squatter.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it("the installer never owns the user's mutex: an abandoned one stays as the dead app left it", BOUND, async () => {
    const running = await primary(app());
    const holder = fixture('mutex', APP_ID, 'session', '--hold');
    const { session } = await holder.first();
    const name = String((session as Line).name);
    await running.stop('SIGKILL');
    const folder = emptyFolder();
    assert.equal(await installer(exes.main, ['/S'], windowsPath(folder)).exited, 0);
    assert.deepEqual(await windowsFixtureLine('mutex-state', name), { exists: true, status: 0, owned: false, abandoned: true });
    await holder.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it("another installation's copy of the app (a portable or second install) is not asked to quit", BOUND, async () => {
    const elsewhere = emptyFolder();
    const running = await primary(app());
    assert.equal(await installer(exes.main, ['/S'], windowsPath(elsewhere)).exited, 0);
    assert.deepEqual((await launchesSeen(running)).map((line) => line.event), ['second-instance']);
    await running.stop();
    fs.rmSync(elsewhere, { recursive: true, force: true });
  });

  // (/D= with forward slashes cannot be tested: NSIS drops them from $INSTDIR, installing elsewhere altogether.)
  it('an install folder given as an 8.3 path is the same installation, on both sides', BOUND, async () => {
    const folder = fs.mkdtempSync(path.join(RUN_DIR, 'install-folder-with-a-long-name-'));
    const short = String((await windowsFixture('short-path', windowsPath(folder)).first()).short);
    assert.notEqual(short.toLowerCase(), windowsPath(folder).toLowerCase());
    const holder = windowsFixture('hold-installation', APP_ID, short);
    assert.equal((await holder.first()).held, true);
    for (const given of [windowsPath(folder), short]) {
      assert.equal(await installer(exes.main, ['/S'], given).exited, 2, given);
    }
    await holder.stop();
    assert.equal(await installer(exes.main, ['/S'], short).exited, 0);
    const shortNode = String((await windowsFixture('short-path', windowsPath(NODE_EXE)).first()).short);
    const [long, viaShort] = await Promise.all([NODE_EXE, shortNode].map(async (node) => (await tracked(new WineProcess(node, [path.join(RUN_DIR, 'dist-test', 'test', 'fixtures', 'fixture.js'), 'places', APP_ID, 'session'])).first()).installation));
    assert.equal(viaShort, long, 'the app started through a short path holds the same installation mutex');
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it("the process that installs checks even where electron-builder's install section leaves the check out (an assisted installer's elevated inner instance)", BOUND, async () => {
    const stubborn = await primary(app('--on-quit', 'ignore'));
    assert.equal(await installer(exes.inner, ['/S']).exited, 2);
    assert.equal((await stubborn.waitForLines(2))[1]?.event, 'quit-request');
    await stubborn.stop();
  });

  it('the user is asked, once, in the process that installs: OK sends the quit request and the install goes on', BOUND, async () => {
    const running = await primary(app());
    const setup = installer(exes.inner);
    const person = windowsFixture('dialog', 'is running\\.', 'ok', '30000');
    assert.match(String((await person.first()).dialog), /is running\. Click OK to close it\./);
    assert.equal((await running.waitForLines(2))[1]?.event, 'quit-request');
    assert.equal(await running.exited, 0);
    assert.equal(await setup.exited, 0, 'no second box: the installer went on');
  });

  it("the previous version's uninstaller failed: a silent update ends at once with exit 2 and a trace, never a box nobody can click", BOUND, async () => {
    fs.rmSync(trace, { force: true });
    assert.equal(await installer(exes.oldUninstaller, ['/S', '--updated']).exited, 2);
    assert.match(readTrace(), /The previous version of .* could not be uninstalled \(exit code 2\); the update was not installed\./);
    fs.rmSync(trace, { force: true });
  });
});

