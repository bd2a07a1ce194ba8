/**
 * The Windows backend for real under Wine: kernel32 mutexes, named pipes, the Windows build of
 * the host. Needs `test/wine/setup.sh` (run by .ci/run); skipped elsewhere with the reason
 * (a skip fails a CI run).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { skipUnless, uniqueId } from '../helpers.js';
import { RUN_DIR, type WineProcess, runWineFixture, stageBuild, stopWineServer, unixPathOf, wineFixture, wineHost, wineNeeds, wineNode, windowsPath } from './harness.js';

async function startPrimary(id: string, extra: string[] = [], env?: Record<string, string>): Promise<WineProcess> {
  const host = wineHost(['--id', id, ...extra], undefined, env);
  const line = await host.first();
  assert.equal(line.role, 'primary', JSON.stringify(line));
  return host;
}

async function handOff(id: string, extra: string[] = [], cwd?: string, env?: Record<string, string>) {
  const host = wineHost(['--id', id, ...extra], cwd, env);
  const code = await host.exited;
  return { code, lines: host.lines, stderr: host.stderr, host };
}

describe('Windows backend under Wine', { skip: skipUnless(...wineNeeds()) }, () => {
  before(() => stageBuild());
  after(() => stopWineServer());

  it('two launches together: one primary, one secondary', async () => {
    const id = uniqueId('w-pair');
    const hosts = [wineHost(['--id', id]), wineHost(['--id', id])];
    const roles = (await Promise.all(hosts.map((host) => host.first()))).map((line) => line.role);
    assert.deepEqual([...roles].sort(), ['primary', 'secondary']);
    const primary = hosts[roles.indexOf('primary')]!;
    const secondary = hosts[roles.indexOf('secondary')]!;
    assert.equal(await secondary.exited, 0);
    assert.equal((await secondary.first()).primaryPid, (await primary.first()).pid);
    await primary.waitForLines(2);
    await primary.stop();
  });

  it('argv, cwd and data with unicode and spaces arrive exactly; the reply comes back', async () => {
    const id = uniqueId('w-exact');
    const reply = { ok: true, files: ['ä b.txt'] };
    const primary = await startPrimary(id, ['--reply', JSON.stringify(reply)]);
    const cwd = fs.mkdtempSync(path.join(RUN_DIR, 'dir with spaces ü 中文 '));
    const args = ['with space', 'ünïcødé 🚀', '', 'quote "q"', 'C:\\path\\to file.txt'];
    const data = { list: [1, 'two', null, false], n: 2.5 };
    const result = await handOff(id, ['--data', JSON.stringify(data), '--', ...args], cwd);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.lines[0]?.reply, reply);
    const [, event] = await primary.waitForLines(2);
    assert.deepEqual((event!.argv as string[]).slice(-args.length), args);
    assert.equal(event!.cwd, windowsPath(cwd));
    assert.deepEqual(event!.data, data);
    await primary.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('a portable build, run from a new folder on every launch: a copy of the app in another folder is the same instance', async () => {
    const id = uniqueId('w-portable');
    const primary = await startPrimary(id);
    const elsewhere = fs.mkdtempSync(path.join(RUN_DIR, 'portable-'));
    try {
      fs.cpSync(path.join(RUN_DIR, 'dist'), path.join(elsewhere, 'dist'), { recursive: true });
      const launch = wineNode([path.join(elsewhere, 'dist', 'host.js'), '--id', id, '--', 'from-elsewhere']);
      assert.equal(await launch.exited, 0, launch.stderr);
      assert.equal((await launch.first()).primaryPid, (await primary.first()).pid);
      const [, event] = await primary.waitForLines(2);
      assert.equal((event!.argv as string[]).at(-1), 'from-elsewhere');
    } finally {
      await primary.stop();
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('a burst of 8 launches: one primary, 7 delivered', async () => {
    const id = uniqueId('w-burst');
    const hosts = Array.from({ length: 8 }, (_, index) => wineHost(['--id', id, '--', `launch-${index}`]));
    const firsts = await Promise.all(hosts.map((host) => host.first()));
    const primaries = hosts.filter((_, index) => firsts[index]!.role === 'primary');
    assert.equal(primaries.length, 1);
    const secondaries = hosts.filter((host) => host !== primaries[0]);
    assert.deepEqual(await Promise.all(secondaries.map((host) => host.exited)), secondaries.map(() => 0));
    const events = (await primaries[0]!.waitForLines(8)).slice(1);
    assert.equal(new Set(events.map((event) => (event.argv as string[]).at(-1))).size, 7);
    await primaries[0]!.stop();
  });

  it('the second instance lets the primary take the foreground before it sends the launch', async () => {
    const id = uniqueId('w-focus');
    const primary = await startPrimary(id);
    const pid = (await primary.first()).pid;
    const secondary = wineHost(['--id', id], undefined, { SOLE_INSTANCE_LOG: '1' });
    assert.equal(await secondary.exited, 0);
    assert.match(secondary.stderr, new RegExp(`allow foreground for primary ${pid}: true`));
    await primary.stop();
  });

  it('primary killed: the next launch becomes primary', async () => {
    const id = uniqueId('w-kill');
    const first = await startPrimary(id);
    await first.stop('SIGKILL');
    const next = await startPrimary(id);
    const result = await handOff(id);
    assert.equal(result.lines[0]?.primaryPid, (await next.first()).pid);
    await next.stop();
  });

  it('a mutex handle held by a third process (an installer probe) does not keep a dead primary\'s lock', async () => {
    const id = uniqueId('w-probe');
    const first = await startPrimary(id);
    const probe = wineFixture(['mutex', id, 'session', '--hold']);
    const { session } = (await probe.first()) as Record<string, { handle: boolean; error: number; state: number }>;
    assert.deepEqual({ handle: session?.handle, error: session?.error, state: session?.state }, { handle: true, error: 183, state: 0x102 });
    await first.stop('SIGKILL');
    const next = wineHost(['--id', id]);
    assert.equal((await next.first()).role, 'primary', 'the abandoned mutex is taken over');
    await next.stop();
    await probe.stop('SIGKILL');
  });

  it('a stopped primary: the second instance exits 3 near its timeout', async () => {
    const id = uniqueId('w-stop');
    const primary = await startPrimary(id);
    await primary.whileStopped(async () => {
      const started = performance.now();
      const result = await handOff(id, ['--timeout-ms', '2000']);
      const tookMs = performance.now() - started;
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /did not answer within 2000 ms/);
      assert.ok(tookMs >= 1900 && tookMs < 8000, `exited near the timeout (took ${Math.round(tookMs)} ms)`);
    }, 'SIGKILL');
  });

  it('garbage on the pipe: a clear error back, the primary survives', async () => {
    const id = uniqueId('w-garbage');
    const primary = await startPrimary(id);
    const endpoint = (await primary.first()).endpoint as string;
    const garbage = await runWineFixture(['garbage', endpoint]);
    assert.equal(garbage.code, 0, garbage.stderr);
    assert.match(String(garbage.lines[0]?.got), /ETOOLARGE/);
    const result = await handOff(id);
    assert.equal(result.code, 0, result.stderr);
    await primary.stop();
  });

  it('the pipe name is unpredictable: random for each primary, carrying neither the app id nor the user', async () => {
    const id = uniqueId('w-pipe');
    const endpoints: string[] = [];
    for (let run = 0; run < 2; run += 1) {
      const primary = await startPrimary(id);
      endpoints.push(String((await primary.first()).endpoint));
      await primary.stop();
    }
    assert.notEqual(endpoints[0], endpoints[1]);
    for (const endpoint of endpoints) {
      assert.match(endpoint, /^\\\\\.\\pipe\\sole-instance-[0-9a-f]{32}$/);
      assert.doesNotMatch(endpoint, /w-pipe|S-1-5/);
    }
  });

  it('the record (pipe name and secret) lives in the known Local AppData folder, whatever %LOCALAPPDATA% says', async () => {
    const id = uniqueId('w-known');
    const elsewhere = windowsPath(fs.mkdtempSync(path.join(RUN_DIR, 'appdata-')));
    const primary = await startPrimary(id, [], { LOCALAPPDATA: elsewhere });
    const places = await runWineFixture(['places', id, 'session']);
    const record = String(places.lines[0]?.record);
    assert.equal(places.lines[0]?.recordExists, true, places.stderr);
    assert.match(record, /^C:\\users\\[^\\]+\\AppData\\Local\\sole-instance\\/i);
    assert.ok(!record.startsWith(elsewhere), 'not under %LOCALAPPDATA%');
    const launch = await handOff(id, [], undefined, { LOCALAPPDATA: windowsPath(RUN_DIR) });
    assert.equal(launch.code, 0, launch.stderr);
    assert.equal(launch.lines[0]?.primaryPid, (await primary.first()).pid);
    await primary.stop();
  });

  it('the record deleted under a running primary is restored at once; the next launch hands over', async () => {
    const id = uniqueId('w-heal');
    const primary = await startPrimary(id, [], { SOLE_INSTANCE_LOG: '1' });
    const places = await runWineFixture(['places', id, 'session']);
    fs.rmSync(unixPathOf(String(places.lines[0]?.record)));
    const launch = await handOff(id);
    assert.equal(launch.code, 0, launch.stderr);
    assert.equal(launch.lines[0]?.primaryPid, (await primary.first()).pid);
    assert.match(primary.stderr, /restored the record/);
    await primary.stop();
  });

  it('names for both scopes are accepted by the kernel: Local\\ and Global\\ mutexes, a pipe each', async () => {
    const id = uniqueId('w-scopes');
    const session = await startPrimary(id, ['--scope', 'session']);
    const user = await startPrimary(id, ['--scope', 'user']);
    assert.notEqual((await session.first()).endpoint, (await user.first()).endpoint);
    assert.match(String((await session.first()).endpoint), /^\\\\\.\\pipe\\sole-instance-[0-9a-f]{32}$/);
    for (const scope of ['session', 'user']) {
      const result = await handOff(id, ['--scope', scope]);
      assert.equal(result.code, 0, result.stderr);
    }
    const probe = await runWineFixture(['mutex', id, 'session', 'user']);
    const seen = probe.lines[0] as Record<string, { name: string; error: number; state: number }>;
    assert.match(seen.session!.name, /^Local\\test\.w-scopes\.[^\\]+-S-1-5-/);
    assert.match(seen.user!.name, /^Global\\test\.w-scopes\.[^\\]+-S-1-5-/);
    for (const scope of ['session', 'user']) {
      assert.equal(seen[scope]!.error, 183, `${scope}: the running primary's mutex exists`);
      assert.equal(seen[scope]!.state, 0x102, `${scope}: and is owned by it`);
    }
    await Promise.all([session.stop(), user.stop()]);
  });
});
