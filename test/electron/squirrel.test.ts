/**
 * Squirrel.Windows' event launches (`--squirrel-install` and the like): handled before the claim
 * (Squirrel's own `Update.exe`, played by a real program that records its arguments, makes or
 * removes the shortcuts) and never claimed: the running instance is not handed them.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { handleSquirrelEvent, singleInstance, squirrelEventOf } from 'sole-instance/electron';
import { HostProcess, RecordingLogger, isolatedTmp, startPrimary, tempDir, uniqueId } from '../helpers.js';
import { AppDouble, DialogDouble } from './doubles.js';

before(() => isolatedTmp());

/** A command line as this test's process (node and a script, as in `electron .`) would have it. */
function mainArgv(...args: string[]): string[] {
  return [process.execPath, 'main.js', ...args];
}

/** A Squirrel install: `<root>\Update.exe` (a program that writes its arguments to a file) and `<root>\app-1.2.3\Notes.exe`. */
function squirrelInstall(): { execPath: string; updateArgs: () => string[] } {
  const root = tempDir('squirrel');
  const recorded = path.join(root, 'update-args.txt');
  fs.writeFileSync(path.join(root, 'Update.exe'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${recorded}'\n`, { mode: 0o755 });
  fs.mkdirSync(path.join(root, 'app-1.2.3'));
  return { execPath: path.join(root, 'app-1.2.3', 'Notes.exe'), updateArgs: () => fs.readFileSync(recorded, 'utf8').split('\n').filter(Boolean) };
}

describe('Squirrel.Windows events', () => {
  it('are read from the first argument after the program only; --squirrel-firstrun is an ordinary launch', () => {
    assert.equal(squirrelEventOf(['Notes.exe', '--squirrel-install', '1.2.3'], 1), 'install');
    assert.equal(squirrelEventOf(['Notes.exe', '--squirrel-updated', '1.2.4'], 1), 'updated');
    assert.equal(squirrelEventOf(['Notes.exe', '--squirrel-uninstall', '1.2.4'], 1), 'uninstall');
    assert.equal(squirrelEventOf(['Notes.exe', '--squirrel-obsolete', '1.2.3'], 1), 'obsolete');
    assert.equal(squirrelEventOf(['Notes.exe', '--squirrel-firstrun'], 1), null);
    assert.equal(squirrelEventOf(['Notes.exe', 'notes.md', '--squirrel-install'], 1), null);
    assert.equal(squirrelEventOf(['Notes.exe', '--squirrel-installer'], 1), null);
  });

  for (const [event, expected] of [['install', ['--createShortcut=Notes.exe']], ['updated', ['--createShortcut=Notes.exe']], ['uninstall', ['--removeShortcut=Notes.exe']]] as const) {
    it(`--squirrel-${event}: Update.exe ${expected[0]} is run and waited for`, async () => {
      const install = squirrelInstall();
      const outcome = await handleSquirrelEvent({ argv: mainArgv(`--squirrel-${event}`, '1.2.3'), execPath: install.execPath });
      assert.deepEqual(outcome, { event, updateExe: { code: 0 } });
      assert.deepEqual(install.updateArgs(), expected);
    });
  }

  it('--squirrel-obsolete runs nothing; a launch without an event is left to the claim', async () => {
    const install = squirrelInstall();
    assert.deepEqual(await handleSquirrelEvent({ argv: mainArgv('--squirrel-obsolete', '1.2.3'), execPath: install.execPath }), { event: 'obsolete', updateExe: null });
    assert.equal(await handleSquirrelEvent({ argv: mainArgv('notes.md'), execPath: install.execPath }), null);
  });

  it('an Update.exe that cannot run is reported, never thrown', async () => {
    const outcome = await handleSquirrelEvent({ argv: mainArgv('--squirrel-install', '1'), execPath: '/nowhere/app-1/Notes.exe' });
    assert.equal(outcome?.event, 'install');
    assert.match(JSON.stringify(outcome?.updateExe), /ENOENT/);
  });

  it('singleInstance() on Windows never claims for one: the running instance is not handed it, and the launch exits 0', async (t) => {
    const appId = uniqueId('squirrel');
    const running = await startPrimary(appId);
    t.after(() => running.stop());
    const app = new AppDouble();
    void singleInstance({ app, dialog: new DialogDouble(), appId, argv: mainArgv('--squirrel-install', '1.2.3'), platform: 'win32', logger: new RecordingLogger() });
    assert.equal(await app.exit$, 0);
    assert.equal(await new HostProcess(['--id', appId, '--', 'after-squirrel']).exited, 0);
    const [, handed] = await running.waitForLines(2);
    assert.deepEqual((handed?.argv as string[]).at(-1), 'after-squirrel', 'the first launch the primary saw came after the Squirrel event');
  });
});
