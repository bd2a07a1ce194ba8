/**
 * The installer include sole-instance/builder generates: compiled by Debian's makensis the way
 * electron-builder includes it (both targets, installer and uninstaller, hostile product names),
 * and run for real under Wine against running Windows instances: one that quits when asked, one
 * that does not, one that is quitting already, and another user's.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { win32InstallationMutexName, win32MutexName } from 'sole-instance';
import { nsisEscapeString } from 'app-builder-lib/out/targets/nsis/nsisScriptGenerator.js';
import { sanitizeFileName } from 'builder-util/out/filename.js';
import { renderInstallerInclude } from 'sole-instance/builder';
import { ROOT } from '../helpers.js';
import { type Display, NODE_EXE, RUN_DIR, WineProcess, harnessMissing, runWineFixture, stageBuild, startDisplay, stopWineServer, unixPathOf, wineFixture, wineHost, windowsPath } from './harness.js';

const OUT = path.join(ROOT, '.cache', 'installer-test');
const MAKENSIS = '/usr/bin/makensis';
/** An app id with the characters NSIS's quoting and variables trip on, which app ids may hold. */
const APP_ID = "com.example.ana's-$check";
const HOSTILE_NAME = 'Ana\'s "Notes" $HOME `x` 100% Ünïcødé 日本';
const SID = 'S-1-5-21-1004336348-1177238915-682003330-512';
/** The bounded waits of the installer under test: for a quitting app, and after a quit request. */
const WAITS = { update: 3000, quit: 4000 };

interface Build {
  target: 'x86-unicode' | 'amd64-unicode';
  productName: string;
  /** The command that sends the quit request, and the one that starts the app again. */
  quitCommand?: string;
  relaunchCommand?: string;
}

/** Writes the include as afterPack does (UTF-8 with a BOM) and returns its path. */
function writeInclude(productName: string, name: string): string {
  const file = path.join(OUT, `${name}.nsh`);
  fs.writeFileSync(file, `\uFEFF${renderInstallerInclude({ appId: APP_ID, scope: 'session', productName })}`);
  return file;
}

/**
 * An installer that includes the file as electron-builder does: its defines (escaped by
 * electron-builder's own functions), its strings, the macro in installer and uninstaller.
 */
function compile(build: Build): { status: number | null; output: string; exe: string } {
  fs.mkdirSync(OUT, { recursive: true });
  const name = `check-${build.target}-${build.quitCommand ? 'run' : 'compile'}`;
  const exe = path.join(OUT, `${name}.exe`);
  const script = path.join(OUT, `${name}.nsi`);
  const lines = [
    'Unicode true',
    `Target ${build.target}`,
    `!define PRODUCT_NAME "${nsisEscapeString(build.productName)}"`,
    `!define PRODUCT_FILENAME "${nsisEscapeString(sanitizeFileName(build.productName))}"`,
    '!define APP_EXECUTABLE_FILENAME "${PRODUCT_FILENAME}.exe"',
    `!define SI_UPDATE_WAIT_MS ${WAITS.update}`,
    `!define SI_QUIT_WAIT_MS ${WAITS.quit}`,
    ...(build.quitCommand ? [`!define SI_QUIT_COMMAND \`${build.quitCommand}\``] : []),
    ...(build.relaunchCommand ? [`!define SI_RELAUNCH_COMMAND \`${build.relaunchCommand}\``] : []),
    'LangString appRunning 1033 "${PRODUCT_NAME} is running. Click OK to close it."',
    'LangString appCannotBeClosed 1033 "${PRODUCT_NAME} cannot be closed. Close it manually and click Retry."',
    `!include "${writeInclude(build.productName, name)}"`,
    'Name "${PRODUCT_NAME}"',
    `OutFile "${exe}"`,
    'InstallDir "$TEMP\\si-check"',
    'RequestExecutionLevel user',
    // Run with a window, it goes straight to work and closes when done, as an update does.
    'Page instfiles',
    'UninstPage instfiles',
    'AutoCloseWindow true',
    'Section',
    '  !insertmacro customCheckAppRunning',
    'SectionEnd',
    'Section "un.check"',
    '  !insertmacro customCheckAppRunning',
    'SectionEnd',
    'Section',
    '  WriteUninstaller "$TEMP\\si-uninstall.exe"',
    'SectionEnd',
    '',
  ];
  fs.writeFileSync(script, lines.join('\n'));
  const result = spawnSync(MAKENSIS, ['-V2', '-INPUTCHARSET', 'UTF8', script], { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr, exe };
}

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

  it("compiles with makensis for electron-builder's x86 target and for x64, installer and uninstaller, whatever the product's name", () => {
    for (const target of ['x86-unicode', 'amd64-unicode'] as const) {
      for (const productName of ['Notes', HOSTILE_NAME]) {
        const { status, output } = compile({ target, productName });
        assert.equal(status, 0, output);
      }
    }
  });

  it('a syntax error in the include fails the compile (the check can fail)', () => {
    const broken = path.join(OUT, 'broken.nsh');
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

describe('the installer under Wine, against a running app', { skip: harnessMissing() }, () => {
  const host = path.join(RUN_DIR, 'dist', 'host.js');
  /** A command line as an NSIS string: double-quoted, its quotes and dollars escaped. */
  const hostCommand = (args: string): string =>
    `"${[windowsPath(NODE_EXE), windowsPath(host), '--id', APP_ID].map((arg) => `$\\"${arg.replace(/\$/g, '$$$$')}$\\"`).join(' ')} ${args}"`;
  /** The app is installed where node.exe is: the installation mutex the host holds is the one the installer asks for. */
  const installDir = windowsPath(path.dirname(NODE_EXE));
  let exe = '';
  let trace = '';

  let display: Display | undefined;
  before(async () => {
    stopWineServer();
    display = await startDisplay();
    stageBuild();
    const compiled = compile({
      target: 'amd64-unicode',
      productName: HOSTILE_NAME,
      quitCommand: hostCommand('-- --sole-instance-request=quit'),
      relaunchCommand: hostCommand('-- relaunched-by-installer'),
    });
    assert.equal(compiled.status, 0, compiled.output);
    exe = compiled.exe;
    const places = await runWineFixture(['places', APP_ID, 'session']);
    trace = unixPathOf(path.win32.join(String(places.lines[0]?.stateDir), `${APP_ID}.installer.log`));
  });
  after(async () => {
    stopWineServer();
    await display?.stop();
  });

  const installer = (...flags: string[]): WineProcess => new WineProcess(exe, [...flags, `/D=${installDir}`], RUN_DIR);
  const app = (...args: string[]): WineProcess => wineHost(['--id', APP_ID, ...args], RUN_DIR, { SOLE_INSTANCE_LOG: '1' });
  const readTrace = (): string => fs.readFileSync(trace).toString('utf16le').replace(/^\uFEFF/, '');

  it('nothing runs: the installer goes on (exit 0) and leaves no trace', async () => {
    fs.rmSync(trace, { force: true });
    assert.equal(await installer('/S').exited, 0);
    assert.equal(fs.existsSync(trace), false);
  });

  it("the user's app runs: the silent update asks it to quit through the app's channel, it quits, the update goes on", async () => {
    const running = app();
    assert.equal((await running.first()).role, 'primary');
    const update = installer('/S');
    assert.equal((await running.waitForLines(2))[1]?.event, 'quit-request');
    assert.equal(await running.exited, 0);
    assert.equal(await update.exited, 0);
  });

  it('an app that will not quit is never killed: exit 2, a trace that the next primary logs once, and --force-run starts the app again', async () => {
    const stubborn = app('--on-quit', 'ignore');
    assert.equal((await stubborn.first()).role, 'primary');
    const update = installer('/S', '--updated', '--force-run');
    assert.equal((await stubborn.waitForLines(2))[1]?.event, 'quit-request');
    assert.equal(await update.exited, 2);
    const relaunch = (await stubborn.waitForLines(3))[2];
    assert.equal(relaunch?.event, 'second-instance');
    assert.ok((relaunch.argv as string[]).includes('relaunched-by-installer'), JSON.stringify(relaunch));
    assert.match(readTrace(), new RegExp(`${escape(HOSTILE_NAME)} did not close within ${WAITS.quit} ms when asked to; the update was not installed\\.\\r\\n$`));
    await stubborn.stop();
    const next = app('--hold-ms', '0');
    assert.equal(await next.exited, 0);
    assert.match(next.stderr, /did not close within/);
    assert.equal(fs.existsSync(trace), false, 'the note is logged once, then removed');
  });

  it('a silent update started while the app is quitting waits for it and goes on', async () => {
    const quitting = app('--hold-ms', '1500');
    assert.equal((await quitting.first()).role, 'primary');
    const update = installer('/S');
    assert.equal(await quitting.exited, 0);
    assert.equal(await update.exited, 0);
  });

  // Were it not to wait, its "is running" box would stay open on the display: the timeout fails it.
  it('a non-silent update (--updated, as quitAndInstall starts it, its window shown) started while the app is quitting waits for it and goes on', { timeout: 60_000 }, async () => {
    const quitting = app('--hold-ms', '1500');
    assert.equal((await quitting.first()).role, 'primary');
    const update = installer('--updated');
    assert.equal(await quitting.exited, 0);
    assert.equal(await update.exited, 0);
  });

  it("another user's (or session's) instances of this installation: each holds the installation mutex; while one runs the silent installer stops with code 2 and says why", async () => {
    fs.rmSync(trace, { force: true });
    const first = wineFixture(['hold-installation', APP_ID]);
    const second = wineFixture(['hold-installation', APP_ID]);
    for (const holder of [first, second]) {
      const held = await holder.first();
      assert.equal(held.held, true, holder.stderr);
      assert.match(String(held.installation), new RegExp(`^Global\\\\sole-instance-${escape(APP_ID)}-[0-9a-f]{8}$`));
    }
    await first.stop();
    assert.equal(await installer('/S').exited, 2, 'the second still holds it after the first has gone');
    assert.match(readTrace(), /is running for another user or in another session; it cannot be closed from here/);
    await second.stop();
    fs.rmSync(trace, { force: true });
    assert.equal(await installer('/S').exited, 0, 'nobody holds it any more');
  });
});

/** Text as a literal inside a regular expression. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
