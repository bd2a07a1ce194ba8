/**
 * The generated installer include inside electron-builder's own NSIS scripts: real
 * `electron-builder --win` builds of the template, offline, compiled by Debian's makensis with
 * electron-builder's header, messages and flags, for the installer and the uninstaller, in
 * each installer shape, and what happens when the check is broken or left out. What this
 * machine cannot do is stood in for and said so: Electron's
 * binary (a stand-in folder), the third-party NSIS plugins (stubs that export the names the
 * scripts call, built here with MinGW) and running the 32-bit uninstaller generator (Debian's
 * Wine here is 64-bit only), which a script replaces by a copy. The installers are compiled,
 * not run: test/wine/installer.test.ts runs the include itself under Wine.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { installerIncludePath } from 'sole-instance/builder';
import { BOUNDS, ROOT, needFile, skipUnless, tempDir } from '../helpers.js';
import { runElectronBuilder, standInElectron } from './electron-builder.js';

const TEMPLATES = path.join(ROOT, 'node_modules', 'app-builder-lib', 'templates', 'nsis');
const PLUGIN_SOURCE = path.join(ROOT, 'test', 'fixtures', 'nsis-plugin-stub.c');
const MINGW = '/usr/bin/i686-w64-mingw32-gcc';
const SEVEN_ZIP = '/usr/bin/7zz';
const MAKENSIS = '/usr/bin/makensis';
/** NSIS's own plugins, which Debian's nsis ships. */
const SHIPPED_PLUGINS = new Set(['System', 'nsExec', 'nsDialogs', 'Kernel32', 'kernel32', 'shell32', 'user32', 'psapi', 'advapi32']);

/** Every `Plugin::Function` electron-builder's NSIS scripts call, by plugin. */
function pluginCalls(): Map<string, Set<string>> {
  const calls = new Map<string, Set<string>>();
  const files = fs.readdirSync(TEMPLATES, { recursive: true, encoding: 'utf8' }).filter((file) => /\.ns[hi]$/.test(file));
  for (const file of files) {
    for (const [, plugin = '', name = ''] of fs.readFileSync(path.join(TEMPLATES, file), 'utf8').matchAll(/\b(\w+)::(\w+)/g)) {
      if (!SHIPPED_PLUGINS.has(plugin)) {
        calls.set(plugin, (calls.get(plugin) ?? new Set()).add(name));
      }
    }
  }
  return calls;
}

/** The tools electron-builder is pointed at (as environment variables): Debian's makensis, stub plugins, a stand-in for the Wine step. */
function toolchain(): Record<string, string> {
  const root = tempDir('nsis-toolchain');
  const nsis = path.join(root, 'nsis');
  const plugins = path.join(root, 'resources', 'plugins', 'x86-unicode');
  const bin = path.join(root, 'bin');
  for (const dir of [nsis, plugins, bin]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  // Each compile also lists its sections, in order, in the file $SOLE_INSTANCE_SECTIONS names (when set).
  fs.writeFileSync(
    path.join(nsis, 'makensis'),
    '#!/bin/sh\n' +
      `[ -z "$SOLE_INSTANCE_SECTIONS" ] && exec ${MAKENSIS} "$@"\n` +
      `out=$(mktemp)\n${MAKENSIS} -V4 "$@" >"$out" 2>&1\nstatus=$?\n` +
      'grep -E \'^Section: \' "$out" >>"$SOLE_INSTANCE_SECTIONS"\necho ---- >>"$SOLE_INSTANCE_SECTIONS"\ncat "$out"\nrm -f "$out"\nexit $status\n',
    { mode: 0o755 },
  );
  for (const [plugin, names] of pluginCalls()) {
    const def = path.join(root, `${plugin}.def`);
    fs.writeFileSync(def, `EXPORTS\n${[...names].map((name) => `  ${name}=stub`).join('\n')}\n`);
    execFileSync(MINGW, ['-shared', '-O2', '-o', path.join(plugins, `${plugin}.dll`), PLUGIN_SOURCE, def]);
  }
  fs.copyFileSync(path.join(plugins, 'UAC.dll'), path.join(nsis, 'elevate.exe'));
  // electron-builder runs the compiled uninstaller generator under Wine to write the uninstaller;
  // it is a 32-bit program, which this machine's 64-bit Wine cannot run: a copy stands in for it.
  fs.writeFileSync(path.join(bin, 'wine'), '#!/bin/sh\ncp "$1" "${1%exe}__uninstaller.exe"\n', { mode: 0o755 });
  return {
    ELECTRON_BUILDER_NSIS_DIR: nsis,
    ELECTRON_BUILDER_NSIS_RESOURCES_DIR: path.dirname(path.dirname(plugins)),
    ELECTRON_BUILDER_7ZIP_PATH: SEVEN_ZIP,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
  };
}

const TOOLS = [MINGW, SEVEN_ZIP, MAKENSIS].map((tool) => needFile(tool, '.ci/run installs it'));

describe("electron-builder's NSIS installers with the generated include", { skip: skipUnless(...TOOLS) }, () => {
  let env: Record<string, string> = {};
  let electron = '';
  before(() => {
    env = toolchain();
    electron = standInElectron('win');
  });

  /** Runs `electron-builder --win nsis` on the template with `config` overrides; resolves with the installer's path. */
  async function build(label: string, config: string[], extraEnv: Record<string, string> = {}): Promise<string> {
    const output = tempDir(`installer-${label}`);
    await runElectronBuilder({ os: 'win', args: ['nsis', ...config], electron, output, env: { ...env, ...extraEnv } });
    const installers = fs.readdirSync(output).filter((file) => file.endsWith('.exe'));
    assert.equal(installers.length, 1, `one installer in ${fs.readdirSync(output).join(', ')}`);
    return path.join(output, installers[0] ?? '');
  }

  const shapes: [string, string[]][] = [
    ["the template's: one-click, per user, x64 and arm64 in one installer", []],
    ['one-click, per machine', ['-c.nsis.perMachine=true']],
    // Debian's NSIS 3.08 lacks strings electron-builder's bundled NSIS has for some languages:
    // English only, so that warnings stay errors.
    ['assisted, the folder chosen by the user', ['-c.nsis.oneClick=false', '-c.nsis.allowToChangeInstallationDirectory=true', '-c.nsis.installerLanguages=en_US']],
    ["a product name with quotes, %, & and non-Latin letters", ["-c.productName=Ana's Nötes 100% & 日本"]],
    // The shapes whose elevated inner instance installs, where electron-builder's own section skips the check.
    ['assisted, for all users by default (elevates)', ['-c.nsis.oneClick=false', '-c.nsis.selectPerMachineByDefault=true', '-c.nsis.installerLanguages=en_US']],
    ['assisted, per machine', ['-c.nsis.oneClick=false', '-c.nsis.perMachine=true', '-c.nsis.installerLanguages=en_US']],
  ];
  for (const [shape, config] of shapes) {
    it(`${shape}: installer and uninstaller compile, warnings as errors; the installer checks in a section of its own, before electron-builder's install section`, { timeout: BOUNDS.build }, async () => {
      const sections = path.join(tempDir('sections'), 'sections.txt');
      const installer = await build('shape', ['--x64', ...(config.length === 0 ? ['--arm64'] : []), ...config], { SOLE_INSTANCE_SECTIONS: sections });
      assert.equal(fs.readFileSync(installer).subarray(0, 2).toString(), 'MZ', 'a Windows program');
      const compiles = fs.readFileSync(sections, 'utf8').split('----\n').filter(Boolean);
      // The uninstaller is compiled first, from the same script with its own sections.
      const installerSections = compiles.find((list) => list.includes('Section: "install"') && !list.includes('Section: "un.'));
      assert.ok(installerSections, fs.readFileSync(sections, 'utf8'));
      assert.deepEqual(installerSections.split('\n').filter(Boolean).slice(0, 2), ['Section: "-sole-instance check"', 'Section: "install" ->(INSTALL_SECTION_ID)']);
    });
  }

  it('the generated check is really compiled in: a quit command it cannot compile fails the build inside its macro', { timeout: BOUNDS.build }, async () => {
    const custom = path.join(tempDir('custom-include'), 'installer.nsh');
    fs.writeFileSync(custom, `!define SI_QUIT_COMMAND 'one two three four'\n!include "${installerIncludePath(ROOT)}"\n`);
    await assert.rejects(build('broken', ['--x64', `-c.nsis.include=${custom}`]), (error: { stdout: string; stderr: string }) => {
      assert.match(error.stdout + error.stderr, /StrCpy expects[\s\S]*Error in macro _siRequestQuit/);
      return true;
    });
  });

  it('an nsis.include of the app\'s own that leaves the check out stops the real build', { timeout: BOUNDS.build }, async () => {
    const custom = path.join(tempDir('custom-include'), 'installer.nsh');
    fs.writeFileSync(custom, '!macro customInstall\n!macroend\n');
    await assert.rejects(build('replaced', ['--x64', `-c.nsis.include=${custom}`]), (error: { stdout: string; stderr: string }) => {
      assert.match(error.stdout + error.stderr, /which replaces the installer check sole-instance generates/);
      return true;
    });
  });
});
