/**
 * Installers made of the generated include the way electron-builder includes it (its defines,
 * escaped by its own functions, its strings, the macro in installer and uninstaller), compiled by
 * Debian's makensis, for the installer suites under Wine.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nsisEscapeString } from 'app-builder-lib/out/targets/nsis/nsisScriptGenerator.js';
import { sanitizeFileName } from 'builder-util/out/filename.js';
import { renderInstallerInclude } from 'sole-instance/builder';
import { ROOT } from '../helpers.js';
import { NODE_EXE, RUN_DIR, windowsPath } from './harness.js';

export const OUT = path.join(ROOT, '.cache', 'installer-test');
const MAKENSIS = '/usr/bin/makensis';
/** An app id with the characters NSIS's quoting and variables trip on, which app ids may hold. */
export const APP_ID = "com.example.ana's-$check";
export const HOSTILE_NAME = 'Ana\'s "Notes" $HOME `x` 100% Ünïcødé 日本';
/** The bounded waits of the installers under test: for a quitting app, after a quit request, before a retry. */
export const WAITS = { update: 3000, quit: 4000, retry: 1000 };

/** One installer to compile. */
export interface Build {
  /** Names the files. */
  label: string;
  target: 'x86-unicode' | 'amd64-unicode';
  productName: string;
  /** The command that sends the quit request, and the one that starts the app again. */
  quitCommand?: string;
  relaunchCommand?: string;
  /**
   * Its install section leaves the check out, as electron-builder's does in the elevated inner
   * instance of an assisted installer.
   */
  innerInstance?: boolean;
  /** Runs electron-builder's hook for a previous version's uninstaller that failed (exit code 2). */
  oldUninstallerFails?: boolean;
  /** Once past the check, writes the flags it was started with to this file (Windows path), as JSON. */
  doneFile?: string;
  /** Where it installs without /D= (electron-builder's: where the app was installed before). */
  installDir?: string;
}

/** A command line as an NSIS string: double-quoted, its quotes and dollars escaped. */
export function nsisCommand(args: string[]): string {
  return `"${args.map((arg) => `$\\"${arg.replace(/\$/g, '$$$$')}$\\"`).join(' ')}"`;
}

/** The host run by node.exe, as an NSIS command line, with extra raw arguments. */
export function hostCommand(appId: string, args: string[]): string {
  return nsisCommand([windowsPath(NODE_EXE), windowsPath(path.join(RUN_DIR, 'dist', 'host.js')), '--id', appId, ...args]);
}

/** Writes the include as afterPack does (UTF-8 with a BOM) and returns its path. */
function writeInclude(productName: string, name: string): string {
  const file = path.join(OUT, `${name}.nsh`);
  fs.writeFileSync(file, `\uFEFF${renderInstallerInclude({ appId: APP_ID, scope: 'session', productName })}`);
  return file;
}

/** Lines that write the flags the installer runs with to `file`, once past the check. */
function doneSection(file: string): string[] {
  const flag = (test: string, name: string): string[] => [`  \${If} ${test}`, `    FileWrite $0 '"${name}":true,'`, '  ${Else}', `    FileWrite $0 '"${name}":false,'`, '  ${EndIf}'];
  return [
    'Section',
    `  FileOpen $0 "${file}" w`,
    "  FileWrite $0 '{'",
    ...flag('${Silent}', 'silent'),
    ...flag('${siIsUpdated}', 'updated'),
    ...flag('${siIsForceRun}', 'forceRun'),
    `  FileWrite $0 '"done":true}'`,
    '  FileClose $0',
    'SectionEnd',
  ];
}

/** The script of an installer that includes the file as electron-builder does. */
function script(build: Build, exe: string, include: string): string[] {
  return [
    'Unicode true',
    `Target ${build.target}`,
    `!define PRODUCT_NAME "${nsisEscapeString(build.productName)}"`,
    `!define PRODUCT_FILENAME "${nsisEscapeString(sanitizeFileName(build.productName))}"`,
    '!define APP_EXECUTABLE_FILENAME "${PRODUCT_FILENAME}.exe"',
    `!define SI_UPDATE_WAIT_MS ${WAITS.update}`,
    `!define SI_QUIT_WAIT_MS ${WAITS.quit}`,
    `!define SI_RETRY_WAIT_MS ${WAITS.retry}`,
    ...(build.quitCommand ? [`!define SI_QUIT_COMMAND \`${build.quitCommand}\``] : []),
    ...(build.relaunchCommand ? [`!define SI_RELAUNCH_COMMAND \`${build.relaunchCommand}\``] : []),
    'LangString appRunning 1033 "${PRODUCT_NAME} is running. Click OK to close it."',
    'LangString appCannotBeClosed 1033 "${PRODUCT_NAME} cannot be closed. Close it manually and click Retry."',
    'LangString uninstallFailed 1033 "Failed to uninstall old application files. Please try running the installer again."',
    `!include "${include}"`,
    'Name "${PRODUCT_NAME}"',
    `OutFile "${exe}"`,
    `InstallDir "${build.installDir ?? '$TEMP\\si-check'}"`,
    'RequestExecutionLevel user',
    // Run with a window, it goes straight to work and closes when done, as an update does.
    'Page instfiles',
    'UninstPage instfiles',
    'AutoCloseWindow true',
    'Section',
    ...(build.innerInstance ? [] : ['  !insertmacro customCheckAppRunning']),
    ...(build.oldUninstallerFails ? ['  StrCpy $R0 2', '  ClearErrors', '  !insertmacro customUnInstallCheck'] : []),
    'SectionEnd',
    ...(build.doneFile ? doneSection(build.doneFile) : []),
    'Section "un.check"',
    '  !insertmacro customCheckAppRunning',
    'SectionEnd',
    'Section',
    '  WriteUninstaller "$TEMP\\si-uninstall.exe"',
    'SectionEnd',
    '',
  ];
}

/** Compiles an installer; `status` is makensis's exit code. */
export function compile(build: Build): { status: number | null; output: string; exe: string } {
  fs.mkdirSync(OUT, { recursive: true });
  const name = `check-${build.target}-${build.label}`;
  const exe = path.join(OUT, `${name}.exe`);
  const file = path.join(OUT, `${name}.nsi`);
  fs.writeFileSync(file, script(build, exe, writeInclude(build.productName, name)).join('\n'));
  const result = spawnSync(MAKENSIS, ['-V2', '-WX', '-INPUTCHARSET', 'UTF8', file], { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr, exe };
}

/** Text as a literal inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
