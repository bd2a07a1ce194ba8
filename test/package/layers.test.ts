/**
 * The package's layers, read from its sources: the basics (errors, names, the launch type…), then
 * the wire (ipc/) and the platform backends (platform/), then the core algorithm (claim, primary,
 * keeper…), then the core's entry, then the adapters (electron/, builder/), which reach the core
 * only through its entry. No module imports one of a higher layer or of a sibling layer, and no
 * import cycle exists anywhere.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers.js';

const PACKAGE = path.join(ROOT, 'app', 'single-instance');

/** The core algorithm's modules (the rest of the package's root folder holds the basics). */
const CORE = new Set(['claim.ts', 'primary.ts', 'keeper.ts', 'options.ts', 'record.ts', 'launch-queue.ts']);

/** A module's layer: its rank, and its name (sibling layers share a rank but may not import each other). */
function layerOf(file: string): { rank: number; name: string } {
  const relative = path.relative(PACKAGE, file);
  const [folder] = relative.split(path.sep);
  if (folder === 'electron' || folder === 'builder') {
    return { rank: 4, name: folder };
  }
  if (relative === 'index.ts') {
    return { rank: 3, name: 'entry' };
  }
  if (CORE.has(relative)) {
    return { rank: 2, name: 'core' };
  }
  if (folder === 'ipc' || folder === 'platform') {
    return { rank: 1, name: folder };
  }
  return { rank: 0, name: 'basics' };
}

/** Every TypeScript source of the package (not its build). */
function sources(dir = PACKAGE): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return entry.name === 'dist' || entry.name === 'node_modules' ? [] : sources(full);
    }
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The package modules a source imports or re-exports (type-only imports included: they are dependencies too). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms)].map((match) => match[1] ?? '');
  return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
}

const graph = new Map(sources().map((file) => [file, importsOf(file)]));
const name = (file: string): string => path.relative(PACKAGE, file);

describe("the package's layers", () => {
  it('reads a graph of the whole package', () => {
    assert.ok(graph.size >= 30, `found ${graph.size} modules`);
    for (const [file, imports] of graph) {
      for (const imported of imports) {
        assert.ok(graph.has(imported), `${name(file)} imports ${name(imported)}, which is not a source`);
      }
    }
  });

  it('no module imports one of a higher or a sibling layer; the adapters reach the core only through its entry', () => {
    const violations: string[] = [];
    for (const [file, imports] of graph) {
      const from = layerOf(file);
      for (const imported of imports) {
        const to = layerOf(imported);
        const sameLayer = from.name === to.name;
        const allowed = from.rank === 4 ? sameLayer || to.name === 'entry' : sameLayer || to.rank < from.rank;
        if (!allowed) {
          violations.push(`${name(file)} (${from.name}) imports ${name(imported)} (${to.name})`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });

  it('no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, trail: string[]): void => {
      state.set(file, 'visiting');
      for (const imported of graph.get(file) ?? []) {
        if (state.get(imported) === 'visiting') {
          cycles.push([...trail.slice(trail.indexOf(imported)), imported].map(name).join(' → '));
        } else if (!state.has(imported)) {
          visit(imported, [...trail, imported]);
        }
      }
      state.set(file, 'done');
    };
    for (const file of graph.keys()) {
      if (!state.has(file)) {
        visit(file, [file]);
      }
    }
    assert.deepEqual(cycles, []);
  });

  it('the core (everything but the Electron adapter) never imports Electron', () => {
    const importers = [...graph.keys()].filter((file) => layerOf(file).name !== 'electron' && /from\s+'electron'/.test(fs.readFileSync(file, 'utf8')));
    assert.deepEqual(importers.map(name), []);
  });
});
