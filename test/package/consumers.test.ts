/**
 * The packed package as a new project gets it from the registry: what the tarball holds, the
 * core from plain Node as CommonJS and as ESM, and the type declarations under every
 * module/moduleResolution setting, strict or not, from the oldest TypeScript the README names.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { BOUNDS, NodeProcess, ROOT, finished, isolatedTmp, tempDir, uniqueId } from '../helpers.js';
import { ELECTRON, run } from './shapes.js';

const PROJECTS = path.join(ROOT, 'test', 'package', 'projects');

/** TypeScript releases the types are checked with, installed side by side under these names. */
const TYPESCRIPTS = { ts45: '4.5', ts47: '4.7', ts50: '5.0', ts59: '5.9' } as const;
type TypeScriptName = keyof typeof TYPESCRIPTS;

let project: string;
let tarball: string;

before(async () => {
  isolatedTmp();
  project = tempDir('consumer');
  await run('npm', ['pack', '--workspace', 'sole-instance', '--pack-destination', project, '--silent'], ROOT);
  tarball = path.join(project, fs.readdirSync(project).find((name) => name.endsWith('.tgz')) ?? '');
  fs.cpSync(path.join(PROJECTS, 'plain-node'), project, { recursive: true });
  fs.cpSync(path.join(PROJECTS, 'types'), path.join(project, 'types'), { recursive: true });
  const typescripts = Object.entries(TYPESCRIPTS).map(([alias, version]) => `${alias}@npm:typescript@${version}`);
  await run('npm', ['install', '--no-audit', '--no-fund', tarball, 'koffi', ELECTRON, '@types/node@24', ...typescripts], project);
}, { timeout: BOUNDS.install });

describe('the tarball', () => {
  it('ships the bundles, their types and the package files; no sources, tests or build scripts', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((file) => file.replace(/^package\//, ''));
    const unexpected = files.filter((file) => !/^(package\.json|README\.md|LICENSE|dist\/((index|electron|builder)\.js|package\.json|types(-cjs)?\/([\w/-]+\.d\.ts|package\.json)))$/.test(file));
    assert.deepEqual(unexpected, []);
    for (const file of ['index.js', 'electron.js', 'builder.js', 'package.json']) {
      assert.ok(files.includes(`dist/${file}`), `dist/${file} is shipped`);
    }
    for (const folder of ['types', 'types-cjs']) {
      for (const file of ['index.d.ts', 'electron/index.d.ts', 'builder/index.d.ts']) {
        assert.ok(files.includes(`dist/${folder}/${file}`), `dist/${folder}/${file} is shipped`);
      }
    }
    assert.ok(files.includes('README.md') && files.includes('LICENSE'));
  });
});

describe('plain Node, from the installed tarball', () => {
  const orders = [['claim.cjs', 'claim.mjs'], ['claim.mjs', 'claim.cjs']] as const;
  for (const [first, second] of orders) {
    it(`${first} becomes primary; ${second} hands its argv over to it`, async () => {
      const id = uniqueId('plain-node');
      const primary = new NodeProcess([path.join(project, first), id], { cwd: project });
      try {
        assert.equal((await primary.first()).role, 'primary', primary.stderr);
        const launch = await finished(new NodeProcess([path.join(project, second), id, 'a b', 'ü'], { cwd: project }));
        assert.equal(launch.code, 0, launch.stderr);
        assert.deepEqual(launch.lines, [{ role: 'secondary', format: second.endsWith('.mjs') ? 'esm' : 'cjs', reply: null }]);
        assert.deepEqual((await primary.waitForLines(2))[1], { launch: ['a b', 'ü'] });
      } finally {
        await primary.stop();
      }
    });
  }
});

describe('one core, however it is loaded', () => {
  it('required and imported, the package is one copy: the same error classes, each with its own name', async () => {
    const result = await finished(new NodeProcess([path.join(project, 'identity.mjs')], { cwd: project }));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.lines, [{
      sameClasses: true,
      names: ['SingleInstanceError', 'HandlerError', 'PrimaryNotRespondingError', 'MessageTooLargeError', 'NoReplyError'],
      electronEntry: 'function',
    }]);
  });
});

/** One type-check of the consumer (test/package/projects/types/consumer.ts). */
interface TypesCase {
  typescript: TypeScriptName;
  module: string;
  moduleResolution?: string;
  /** Checked as an ES module (a `"type": "module"` package). */
  esm?: boolean;
}

/**
 * Each TypeScript with the settings it supports. Only the newest checks the declarations of
 * Electron and Node too (`skipLibCheck: false`); older ones cannot read those (Electron 45 names
 * DOM types TypeScript 5.0 lacks; TypeScript 4.5 cannot parse @types/node 24), as the projects
 * that pin them set `skipLibCheck`.
 */
const CASES: TypesCase[] = [
  ...(['ts59', 'ts50', 'ts47'] as const).flatMap((typescript): TypesCase[] => [
    { typescript, module: 'commonjs' },
    { typescript, module: 'node16', moduleResolution: 'node16' },
    { typescript, module: 'nodenext', moduleResolution: 'nodenext', esm: true },
  ]),
  { typescript: 'ts59', module: 'esnext', moduleResolution: 'bundler' },
  { typescript: 'ts59', module: 'preserve', moduleResolution: 'bundler' },
  { typescript: 'ts50', module: 'esnext', moduleResolution: 'bundler' },
  { typescript: 'ts45', module: 'commonjs' },
];

describe('the type declarations', () => {
  for (const { typescript, module, moduleResolution, esm } of CASES) {
    for (const strict of [true, false]) {
      const label = `TypeScript ${TYPESCRIPTS[typescript]}, module ${module}${moduleResolution ? `/${moduleResolution}` : ''}${esm ? ' (ESM package)' : ''}, strict ${strict}`;
      it(label, () => {
        const dir = path.join(project, esm ? 'types-esm' : 'types');
        if (esm && !fs.existsSync(dir)) {
          fs.cpSync(path.join(project, 'types'), dir, { recursive: true });
          fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
        }
        const errors = typeErrors(typescript, dir, [
          '--module', module, ...(moduleResolution ? ['--moduleResolution', moduleResolution] : []),
          '--strict', String(strict), '--skipLibCheck', String(typescript !== 'ts59'),
          '--target', typescript === 'ts45' ? 'es2021' : 'es2022',
        ]);
        const ours = errors.filter((error) => !(typescript === 'ts45' && error.startsWith('node_modules/@types/node/')));
        assert.deepEqual(ours, []);
      });
    }
  }
});

/** The error lines `tsc --noEmit` reports for the consumer, paths relative to the project. */
function typeErrors(typescript: TypeScriptName, dir: string, settings: string[]): string[] {
  const tsc = path.join(project, 'node_modules', typescript, 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--types', 'node', ...settings, path.join(dir, 'consumer.ts')], { cwd: project, encoding: 'utf8' });
    return [];
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? String(error);
    return output.split('\n').filter((line) => line.includes('error TS')).map((line) => line.replace(`${project}/`, ''));
  }
}
