/** The host contract and the claim's behaviour, with real processes, sockets and flock. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { before, describe, it } from 'node:test';
import { currentPlatform } from '../../app/single-instance/platform/index.js';
import { HOST, HostProcess, KOFFI_LOADED, REPORT_KOFFI, isolatedTmp, runHost, startPrimary, uniqueId } from '../helpers.js';

let tmp: string;
before(() => {
  tmp = isolatedTmp();
});

describe('host: one primary', () => {
  it('two hosts started together: one primary, one secondary that handed over', async () => {
    const id = uniqueId('pair');
    const hosts = [new HostProcess(['--id', id]), new HostProcess(['--id', id])];
    const firsts = await Promise.all(hosts.map((host) => host.first()));
    const primaryIndex = firsts.findIndex((line) => line.role === 'primary');
    assert.notEqual(primaryIndex, -1, 'one host is primary');
    const primary = hosts[primaryIndex]!;
    const secondary = hosts[1 - primaryIndex]!;
    assert.equal((await secondary.first()).role, 'secondary');
    assert.equal(await secondary.exited, 0);
    assert.equal((await secondary.first()).primaryPid, primary.child.pid);
    const [, event] = await primary.waitForLines(2);
    assert.equal(event!.pid, secondary.child.pid);
    assert.equal(await primary.stop(), 0);
  });

  it('a burst of 16 simultaneous launches: exactly one primary, 15 delivered, no duplicates', async () => {
    const id = uniqueId('burst');
    const hosts = Array.from({ length: 16 }, (_, index) => new HostProcess(['--id', id, '--', `launch-${index}`]));
    const firsts = await Promise.all(hosts.map((host) => host.first()));
    const primaries = hosts.filter((_, index) => firsts[index]!.role === 'primary');
    assert.equal(primaries.length, 1);
    const primary = primaries[0]!;
    const secondaries = hosts.filter((host) => host !== primary);
    assert.deepEqual(await Promise.all(secondaries.map((host) => host.exited)), secondaries.map(() => 0));
    assert.equal(await primary.stop(), 0);
    const events = primary.lines.slice(1);
    assert.equal(events.length, 15);
    assert.deepEqual(
      events.map((event) => event.pid).sort(),
      secondaries.map((host) => host.child.pid).sort(),
    );
    assert.equal(new Set(events.map((event) => (event.argv as string[]).at(-1))).size, 15);
  });
});

describe('host: what arrives', () => {
  it('argv with spaces, quotes, newlines, unicode and an empty string arrives exactly and in order', async () => {
    const id = uniqueId('argv');
    const primary = await startPrimary(id);
    const args = ['plain', 'with space', 'it\'s "quoted"', 'line\nbreak', 'ünïcødé 🚀 中文', '', '--flag=x', 'tab\there'];
    const result = await runHost(['--id', id, '--', ...args]);
    assert.equal(result.code, 0, result.stderr);
    const [, event] = await primary.waitForLines(2);
    assert.deepEqual(event!.argv, [process.execPath, HOST, '--id', id, '--', ...args]);
    await primary.stop();
  });

  it('cwd with spaces and unicode arrives exactly', async () => {
    const id = uniqueId('cwd');
    const cwd = fs.mkdtempSync(path.join(tmp, 'dir with spaces ü 文件 '));
    const primary = await startPrimary(id);
    const result = await runHost(['--id', id], { cwd });
    assert.equal(result.code, 0, result.stderr);
    const [, event] = await primary.waitForLines(2);
    assert.equal(event!.cwd, cwd);
    await primary.stop();
  });

  it('every JSON data type round-trips', async () => {
    const id = uniqueId('data');
    const primary = await startPrimary(id);
    const values = [{ nested: { list: [1, 'two', null, true] } }, [1, [2, [3]]], 42.5, -0.001, 'text ✓', true, false, null, {}];
    for (const value of values) {
      const result = await runHost(['--id', id, '--data', JSON.stringify(value)]);
      assert.equal(result.code, 0, result.stderr);
    }
    await primary.waitForLines(1 + values.length);
    assert.deepEqual(primary.lines.slice(1).map((event) => event.data), values);
    await primary.stop();
  });

  it('the reply value reaches the second instance', async () => {
    const id = uniqueId('reply');
    const reply = { opened: ['a.txt', 'b.txt'], ok: true, count: 2 };
    const primary = await startPrimary(id, ['--reply', JSON.stringify(reply)]);
    const result = await runHost(['--id', id]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.lines, [{ role: 'secondary', primaryPid: primary.child.pid, reply }]);
    await primary.stop();
  });

  it('a secondary without --data sends null', async () => {
    const id = uniqueId('nodata');
    const primary = await startPrimary(id);
    assert.equal((await runHost(['--id', id])).code, 0);
    const [, event] = await primary.waitForLines(2);
    assert.equal(event!.data, null);
    await primary.stop();
  });
});

describe('host: the fast path', () => {
  it('the bundled host, as a second instance, never loads the FFI library; as a primary it does', async () => {
    const env = { ...process.env, NODE_OPTIONS: `--require ${REPORT_KOFFI}` };
    const id = uniqueId('ffi');
    const primary = new HostProcess(['--id', id], { env });
    assert.equal((await primary.first()).role, 'primary');
    const secondary = await runHost(['--id', id], { env });
    assert.equal(secondary.lines[0]?.role, 'secondary');
    assert.doesNotMatch(secondary.stderr, new RegExp(KOFFI_LOADED));
    await primary.stop();
    assert.match(primary.stderr, new RegExp(KOFFI_LOADED));
  });

  it("the host's compiled code is cached under its user's home, never in the temp folder others share", async () => {
    const cache = path.join(os.userInfo().homedir, '.cache', 'sole-instance-host');
    fs.rmSync(cache, { recursive: true, force: true });
    assert.equal((await runHost(['--id', uniqueId('cache'), '--hold-ms', '0'])).code, 0);
    assert.deepEqual(fs.readdirSync(tmp).filter((entry) => entry.includes('compile-cache')), []);
    assert.ok(fs.existsSync(cache), `no compile cache at ${cache}`);
  });
});

describe('host: crashes and hangs', () => {
  it('SIGKILL of the primary: the next launch becomes primary at once', async () => {
    const id = uniqueId('kill');
    const first = await startPrimary(id);
    assert.equal(await first.stop('SIGKILL'), 'SIGKILL');
    const started = performance.now();
    const next = await startPrimary(id);
    const tookMs = performance.now() - started;
    assert.ok(tookMs < 5000, `became primary within the timeout (took ${Math.round(tookMs)} ms)`);
    const result = await runHost(['--id', id]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.lines[0]!.primaryPid, next.child.pid);
    await next.stop();
  });

  /** Starts a primary for `id`, SIGKILLs it, and returns the endpoint it left. */
  async function killedPrimaryEndpoint(id: string): Promise<string> {
    const first = await startPrimary(id);
    const endpoint = String((await first.role()).endpoint);
    assert.equal(await first.stop('SIGKILL'), 'SIGKILL');
    return endpoint;
  }

  /** The next primary for `id`, printing its traced events. */
  const tracedPrimary = (id: string): Promise<HostProcess> => startPrimary(id, [], { env: { ...process.env, SOLE_INSTANCE_TRACE: '1' } });

  it("a killed primary's endpoint folder is removed by the next primary", async () => {
    const id = uniqueId('leftover');
    const endpoint = await killedPrimaryEndpoint(id);
    assert.ok(fs.lstatSync(endpoint).isSocket(), 'the killed primary left its socket');
    const next = await tracedPrimary(id);
    assert.equal((await next.traced('leftover', { endpoint })).removed, true);
    assert.equal(fs.existsSync(path.dirname(endpoint)), false, 'the folder is gone');
    await next.stop();
  });

  it("a dead primary's endpoint on which something listens again is left alone", async () => {
    const id = uniqueId('leftover-live');
    const endpoint = await killedPrimaryEndpoint(id);
    fs.rmSync(endpoint);
    const listener = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(endpoint, resolve));
    try {
      const next = await tracedPrimary(id);
      assert.equal((await next.traced('leftover', { endpoint })).removed, false);
      assert.ok(fs.lstatSync(endpoint).isSocket(), 'the listened-on socket stays');
      await next.stop();
    } finally {
      await new Promise((resolve) => listener.close(resolve));
      fs.rmSync(path.dirname(endpoint), { recursive: true, force: true });
    }
  });

  it('a stopped (SIGSTOP) primary: the secondary exits 3 near its timeout', async () => {
    const id = uniqueId('stop');
    const primary = await startPrimary(id);
    await primary.whileStopped(async () => {
      const started = performance.now();
      const result = await runHost(['--id', id, '--timeout-ms', '1500']);
      const tookMs = performance.now() - started;
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /did not answer within 1500 ms/);
      assert.deepEqual(result.lines, []);
      assert.ok(tookMs >= 1400 && tookMs < 4500, `exited near the timeout (took ${Math.round(tookMs)} ms)`);
    });
  });

  it('--hold-ms: the primary exits 0 after the hold and frees everything', async () => {
    const id = uniqueId('hold');
    const primary = await startPrimary(id, ['--hold-ms', '200']);
    const endpoint = primary.lines[0]!.endpoint as string;
    const places = await currentPlatform.places(id, 'session');
    assert.ok(fs.existsSync(places.record), 'the record is published');
    assert.equal(await primary.exited, 0);
    assert.equal(fs.existsSync(path.dirname(endpoint)), false, 'socket and its directory removed');
    assert.equal(fs.existsSync(places.record), false, 'record removed');
    const next = await startPrimary(id);
    await next.stop();
  });
});

describe('host: usage errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['missing --id', [], /--id is required/],
    ['unknown option', ['--id', 'a.b', '--nope', '1'], /unknown option --nope/],
    ['empty app id', ['--id', ''], /appId/],
    ['app id with a slash', ['--id', 'com/example'], /cannot hold/],
    ['app id with a backslash', ['--id', 'com\\example'], /cannot hold/],
    ['app id too long', ['--id', 'a'.repeat(129)], /limit is 128/],
    ['bad scope', ['--id', 'a.b', '--scope', 'machine'], /scope/],
    ['data that is not JSON (undefined)', ['--id', 'a.b', '--data', 'undefined'], /--data must be JSON/],
    ['timeout that is not a number', ['--id', 'a.b', '--timeout-ms', 'soon'], /whole number/],
    ['zero timeout', ['--id', 'a.b', '--timeout-ms', '0'], /timeoutMs/],
  ];
  for (const [name, args, message] of cases) {
    it(`${name}: exit 2 with a clear message`, async () => {
      const result = await runHost(args);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
      assert.deepEqual(result.lines, []);
    });
  }
});
