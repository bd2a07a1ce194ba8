/**
 * The installer check (build/installer.nsh): generated from the one name derivation, compiled
 * by Debian's makensis the way electron-builder includes it, and run for real under Wine
 * against a running Windows instance of the app.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { win32MutexName } from 'sole-instance';
import { APP_ID, APP_SCOPE, PRODUCT_NAME } from '../../app/template/app-id.js';
import { INSTALLER_INCLUDE, renderInstallerInclude } from '../../app/tools/installer-include.js';
import { ROOT } from '../helpers.js';
import { RUN_DIR, WineProcess, harnessMissing, stageBuild, stopWineServer, wineHost } from './harness.js';

const OUT = path.join(ROOT, '.cache', 'installer-test');
const MAKENSIS = '/usr/bin/makensis';
const include = fs.readFileSync(INSTALLER_INCLUDE, 'utf8');
/** How long the silent installer under test waits for a quitting app. */
const SILENT_WAIT_MS = 3000;

/** A minimal installer that includes the file the way electron-builder does and runs the macro. */
function compile(target: 'x86-unicode' | 'amd64-unicode', silentWaitMs: number): { status: number | null; output: string; exe: string } {
  fs.mkdirSync(OUT, { recursive: true });
  const exe = path.join(OUT, `check-${target}.exe`);
  const script = path.join(OUT, `check-${target}.nsi`);
  fs.writeFileSync(
    script,
    [
      'Unicode true',
      `Target ${target}`,
      `!define PRODUCT_NAME "${PRODUCT_NAME}"`,
      `!define SI_SILENT_WAIT_MS ${silentWaitMs}`,
      '!include "LogicLib.nsh"',
      `!include "${INSTALLER_INCLUDE}"`,
      'Name "${PRODUCT_NAME} check"',
      `OutFile "${exe}"`,
      'RequestExecutionLevel user',
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
    ].join('\n'),
  );
  const result = spawnSync(MAKENSIS, ['-V2', script], { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr, exe };
}

describe('build/installer.nsh', () => {
  it('is up to date with the app id (npm run build:installer regenerates it)', () => {
    assert.equal(include, renderInstallerInclude(APP_ID, APP_SCOPE, PRODUCT_NAME));
  });

  it('opens the very mutex name the module derives for the app id and scope', () => {
    const opened = /OpenMutexW\([^"]*"([^"]+)"\)/.exec(include)?.[1];
    const sid = 'S-1-5-21-1004336348-1177238915-682003330-512';
    assert.equal(opened?.replace('$0', sid), win32MutexName(APP_ID, APP_SCOPE, sid));
  });

  it('never kills a process', () => {
    assert.doesNotMatch(include, /taskkill|TerminateProcess|KILL_PROCESS|nsProcess/i);
  });

  it('compiles with makensis for electron-builder\'s x86 target and for x64, installer and uninstaller', () => {
    for (const target of ['x86-unicode', 'amd64-unicode'] as const) {
      const { status, output } = compile(target, 10_000);
      assert.equal(status, 0, output);
    }
  });

  it('a syntax error in the include would fail the compile (the check can fail)', () => {
    const broken = path.join(OUT, 'broken.nsh');
    fs.writeFileSync(broken, include.replace('${EndIf}', '${EndIff}'));
    const script = `Unicode true\n!include "LogicLib.nsh"\n!include "${broken}"\nOutFile "${path.join(OUT, 'broken.exe')}"\nSection\n!insertmacro customCheckAppRunning\nSectionEnd\n`;
    fs.writeFileSync(path.join(OUT, 'broken.nsi'), script);
    const result = spawnSync(MAKENSIS, ['-V1', path.join(OUT, 'broken.nsi')], { encoding: 'utf8' });
    assert.notEqual(result.status, 0);
  });
});

describe('the installer check under Wine', { skip: harnessMissing() }, () => {
  let exe = '';
  before(() => {
    stageBuild();
    const compiled = compile('amd64-unicode', SILENT_WAIT_MS);
    assert.equal(compiled.status, 0, compiled.output);
    exe = compiled.exe;
  });
  after(() => stopWineServer());

  const installer = (): WineProcess => new WineProcess(exe, ['/S'], RUN_DIR);

  it('the app is not running: the installer goes on (exit 0)', async () => {
    assert.equal(await installer().exited, 0);
  });

  it('the app is running for this user: the installer stops with code 2 (after its silent wait) and leaves the app alone', async () => {
    const app = wineHost(['--id', APP_ID, '--scope', APP_SCOPE]);
    assert.equal((await app.first()).role, 'primary');
    assert.equal(await installer().exited, 2);
    const launch = wineHost(['--id', APP_ID, '--scope', APP_SCOPE]);
    assert.equal(await launch.exited, 0, 'the running app still takes launches');
    await app.stop();
  });

  it('an auto-update started while the app quits: the silent installer waits for it and goes on', async () => {
    const app = wineHost(['--id', APP_ID, '--scope', APP_SCOPE, '--hold-ms', '1000']);
    assert.equal((await app.first()).role, 'primary');
    const update = installer();
    assert.equal(await app.exited, 0);
    assert.equal(await update.exited, 0);
  });
});
