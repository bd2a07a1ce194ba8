/**
 * The integration matrix: the packed package (`npm pack`, as published) in every common project
 * shape, each made from its real template, installed as a user installs it, edited with the
 * README's drop-in lines, type-checked, built with its own toolchain, and its built main run
 * under this Node with the Electron stand-in:
 *
 * - a first launch becomes primary; a link macOS hands over at a cold start (`open-url`, before
 *   any window) is delivered once the window exists;
 * - a second launch hands its exact argv over, the window is focused, and it exits 0 without a
 *   window and without ever loading koffi.
 *
 * Each shape's time is printed. Nothing is cached between runs beyond what npm keeps itself.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { BOUNDS, KOFFI_LOADED, type Line, NodeProcess, REPORT_KOFFI, ROOT, finished, isolatedTmp, tempDir } from '../helpers.js';
import { type MatrixContext, SHAPES, type Shape, installForgeTools, run, timed } from './shapes.js';

const STAND_IN = path.join(__dirname, 'stand-in', 'register.js');
const FORGE_DRIVER = path.join(__dirname, 'forge.js');
const COLD_LINK = 'matrix://open/cold-start?note=1';
/** Shapes made at once: installs wait on the network, builds on the 2 cores. */
const CONCURRENCY = 3;

/** A shape, made and built, with the seconds each step took. */
interface Prepared {
  dir: string;
  main: string;
  seconds: Record<string, number>;
}

let work: string;
let context: MatrixContext;
const prepared = new Map<Shape, Promise<Prepared>>();

before(async () => {
  isolatedTmp();
  work = tempDir('matrix');
  const tarball = await pack(work);
  const forgeTools = path.join(work, 'forge-tools');
  context = { tarball, forgeTools, forgeDriver: FORGE_DRIVER };
  const forgeReady = installForgeTools(forgeTools);
  forgeReady.catch(() => undefined);
  const queue = [...SHAPES];
  const next = async (): Promise<void> => {
    for (let shape = queue.shift(); shape; shape = queue.shift()) {
      const making = (shape.forge ? forgeReady : Promise.resolve()).then(() => prepare(shape));
      prepared.set(shape, making);
      await making.catch(() => undefined);
    }
  };
  void Promise.all(Array.from({ length: CONCURRENCY }, next));
}, { timeout: BOUNDS.install });

/** Packs the package as `npm publish` would (its prepack builds it from source). */
async function pack(dir: string): Promise<string> {
  await run('npm', ['pack', '--workspace', 'sole-instance', '--pack-destination', dir, '--silent'], ROOT);
  const [tarball] = fs.readdirSync(dir).filter((name) => name.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack made a tarball');
  return path.join(dir, tarball);
}

/** Makes one shape: scaffold, install, drop-in, type-check, build. */
async function prepare(shape: Shape): Promise<Prepared> {
  const dir = path.join(work, shape.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
  const seconds: Record<string, number> = {};
  seconds.scaffold = await timed(() => shape.scaffold(dir, context));
  seconds.install = await timed(async () => {
    for (const args of shape.installs(context)) {
      await run('npm', args, dir);
    }
  });
  shape.dropIn(dir);
  const { typecheck, build } = shape;
  if (Array.isArray(typecheck)) {
    const [command = '', ...args] = typecheck;
    seconds.typecheck = await timed(() => run(command, args, dir));
  }
  if (build) {
    const [command = '', ...args] = build(dir, context);
    seconds.build = await timed(() => run(command, args, dir));
  }
  return { dir, main: path.join(dir, shape.builtMain), seconds };
}

/** The built main under this Node, with the Electron stand-in and the koffi report preloaded. */
function launch(made: Prepared, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): NodeProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.XDG_ACTIVATION_TOKEN;
  delete env.DESKTOP_STARTUP_ID;
  return new NodeProcess(['--require', STAND_IN, '--require', REPORT_KOFFI, made.main, ...args], { cwd: options.cwd ?? made.dir, env });
}

const isLaunch = (source: string) => (line: Line): boolean => (line.launch as { source?: string } | undefined)?.source === source;
const standIn = (event: string) => (line: Line): boolean => line.standIn === event;

for (const shape of SHAPES) {
  describe(shape.name, () => {
    let made: Prepared;

    // Waits for the shape to be made in the background (installs from the registry, three at a time).
    it('installs the packed package, takes the drop-in, type-checks and builds with its own toolchain', { timeout: BOUNDS.install }, async (t) => {
      made = await (prepared.get(shape) ?? Promise.reject(new Error('not scheduled')));
      const times = Object.entries(made.seconds).map(([step, value]) => `${step} ${value.toFixed(1)} s`);
      const skipped = Array.isArray(shape.typecheck) ? '' : ` (no type-check: ${shape.typecheck.skipped})`;
      t.diagnostic(`${shape.name}: ${times.join(', ')}${skipped}`);
      assert.ok(fs.existsSync(made.main), `${shape.builtMain} was built`);
    });

    it('first launch: primary; a cold-start link waits for the window; a second launch hands over exactly and exits 0 without koffi', async () => {
      assert.ok(made, 'the shape was built');
      const primary = launch(made, [], { env: { STAND_IN_OPEN_URL: COLD_LINK } });
      try {
        const window = await primary.waitForLine(standIn('window-created'));
        const cold = await primary.waitForLine(isLaunch('open-url'));
        assert.ok(primary.lines.indexOf(window) < primary.lines.indexOf(cold), 'the link is delivered after the window exists');
        assert.deepEqual((cold.launch as { url: unknown }).url, COLD_LINK);

        const cwd = tempDir('launch cwd ü');
        const args = ['--open', 'file one.txt', 'ünïcødé', ''];
        const second = await finished(launch(made, args, { cwd }));
        assert.equal(second.code, 0, second.stderr);
        assert.deepEqual(second.lines.filter(standIn('exit')), [{ standIn: 'exit', code: 0 }]);
        assert.equal(second.lines.some(standIn('window-created')), false, 'the second launch never opened a window');
        assert.doesNotMatch(second.stderr, new RegExp(KOFFI_LOADED), 'the second launch never loaded koffi');

        const handedOver = await primary.waitForLine(isLaunch('second-instance'));
        assert.deepEqual(handedOver.launch, { argv: [process.execPath, made.main, ...args], cwd, data: null, pid: second.pid, env: {}, source: 'second-instance', url: null });
        assert.deepEqual(primary.lines[primary.lines.indexOf(handedOver) - 1], { standIn: 'focus' }, 'the window is focused, then the handler runs');
      } finally {
        await primary.stop();
      }
    });
  });
}
