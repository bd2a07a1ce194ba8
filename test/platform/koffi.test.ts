/**
 * Where koffi's native binary comes from. A launch that becomes the primary loads koffi, and
 * loading a binary runs its code: it must never come from a place another user can write, such
 * as /tmp beside a file a packaged app was asked to open, or a script's folder that anyone may
 * write. Each case plants a working copy of koffi there and reads, from the kernel, which binary
 * the process mapped. A script in the user's own folders takes the fast way, the binary loaded
 * straight: its koffi's JavaScript loader is made to throw, and must never run.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { type Finished, NodeProcess, FIXTURE, ROOT, finished, isolatedTmp, tempDir, uniqueId } from '../helpers.js';

const missing = process.platform === 'linux' ? undefined : 'reads which binaries a process mapped from /proc (Linux)';
let planted: string;

before(() => {
  isolatedTmp();
  planted = tempDir('planted', 0o1777);
  for (const part of ['node_modules/koffi', 'node_modules/@koromix']) {
    fs.cpSync(path.join(ROOT, part), path.join(planted, part), { recursive: true });
  }
  fs.writeFileSync(path.join(planted, 'report.txt'), 'a file someone was asked to open\n');
  fs.writeFileSync(path.join(planted, 'app.js'), '// a script in a folder anyone can write\n');
});

/** Runs a claim as if `program` were argv[1] (with `resources`, as a packaged Electron app); its role and mapped koffi binaries. */
async function claimAs(program: string, resources?: string): Promise<{ role: unknown; binaries: string[]; run: Finished }> {
  const args = [FIXTURE, 'claim-as', program, JSON.stringify({ appId: uniqueId('koffi') }), ...(resources ? [resources] : [])];
  const run = await finished(new NodeProcess(args));
  assert.equal(run.code, 0, run.stderr);
  const [line] = run.lines;
  return { role: line?.role, binaries: (line?.binaries as string[] | undefined) ?? [], run };
}

/** Asserts the primary loaded a koffi binary, and none of the planted ones. */
function assertNotPlanted(result: { role: unknown; binaries: string[] }): void {
  assert.equal(result.role, 'primary');
  assert.notEqual(result.binaries.length, 0, 'the primary loaded no koffi binary');
  assert.deepEqual(
    result.binaries.filter((file) => file.startsWith(planted)),
    [],
    'a binary planted where anyone can write was loaded',
  );
}

describe('koffi binary origin', { skip: missing }, () => {
  it('a packaged app asked to open a file in /tmp beside a planted koffi loads the real one', async () => {
    const resources = tempDir('resources', 0o755);
    assertNotPlanted(await claimAs(path.join(planted, 'report.txt'), resources));
  });

  it('a script in a folder anyone can write does not load the koffi beside it straight', async () => {
    assertNotPlanted(await claimAs(path.join(planted, 'app.js')));
  });

  it("a link planted where anyone can write, to a binary in the user's own folders, never chooses what is loaded", async () => {
    const own = fs.mkdtempSync(path.join(os.userInfo().homedir, '.sole-instance-koffi-'));
    const steered = fs.mkdtempSync(path.join(planted, 'steered-'));
    try {
      fs.chmodSync(own, 0o755);
      const decoy = path.join(own, 'decoy', 'koffi.node');
      fs.mkdirSync(path.dirname(decoy));
      fs.copyFileSync(path.join(ROOT, 'node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node'), decoy);
      fs.cpSync(path.join(ROOT, 'node_modules/koffi'), path.join(steered, 'node_modules/koffi'), { recursive: true });
      const binary = path.join(steered, 'node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node');
      fs.mkdirSync(path.dirname(binary), { recursive: true });
      fs.writeFileSync(path.join(steered, 'node_modules/@koromix/koffi-linux-x64/package.json'), '{"name":"@koromix/koffi-linux-x64"}\n');
      fs.symlinkSync(decoy, binary);
      fs.writeFileSync(path.join(steered, 'app.js'), '// a script in a folder anyone can write\n');
      const result = await claimAs(path.join(steered, 'app.js'));
      assert.equal(result.role, 'primary');
      assert.deepEqual(result.binaries.filter((file) => file.startsWith(own)), [], 'the binary the planted link names was loaded');
    } finally {
      fs.rmSync(own, { recursive: true, force: true });
      fs.rmSync(steered, { recursive: true, force: true });
    }
  });

  it("a script in the user's own folders loads the binary of the koffi it resolves straight, never running koffi's JavaScript loader", async () => {
    const own = fs.mkdtempSync(path.join(os.userInfo().homedir, '.sole-instance-koffi-'));
    try {
      fs.chmodSync(own, 0o755);
      for (const part of ['node_modules/koffi', 'node_modules/@koromix']) {
        fs.cpSync(path.join(ROOT, part), path.join(own, part), { recursive: true });
      }
      for (const loader of ['index.js', 'index.cjs']) {
        fs.writeFileSync(path.join(own, 'node_modules', 'koffi', loader), "throw new Error('koffi\\'s JavaScript loader ran');\n");
      }
      const script = path.join(own, 'app', 'main.js');
      fs.mkdirSync(path.dirname(script));
      fs.writeFileSync(script, '// a script of the user\'s\n');
      const result = await claimAs(script);
      assert.equal(result.role, 'primary');
      assert.ok(result.binaries.length > 0 && result.binaries.every((file) => file.startsWith(`${own}/node_modules/@koromix/`)), `mapped: ${result.binaries.join(', ')}`);
    } finally {
      fs.rmSync(own, { recursive: true, force: true });
    }
  });
});
