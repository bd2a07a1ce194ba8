/**
 * The template app's page, in a real browser: Debian's Chromium loads the built page with a
 * stand-in for the preload bridge (the only Electron-side piece) and the DOM is checked.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, needFile, skipUnless, tempDir } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const PAGE = path.join(ROOT, 'dist', 'renderer');

/** Stands in for what preload.ts exposes: two launches known, a third arriving live. */
const BRIDGE = `
const at = (offset) => new Date(Date.UTC(2026, 10, 25, 12, 0, offset)).toISOString();
window.singleInstance = {
  launches: () => Promise.resolve([
    { seq: 1, source: 'first', pid: 4120, argv: ['C:\\\\Apps\\\\Demo.exe'], cwd: 'C:\\\\Users\\\\ana', url: null, receivedAt: at(0), handOffMs: null },
    { seq: 2, source: 'second-instance', pid: 5332, argv: ['C:\\\\Apps\\\\Demo.exe', 'todo list.txt', ''], cwd: 'C:\\\\Users\\\\ana\\\\notes', url: null, receivedAt: at(30), handOffMs: 212 },
  ]),
  onLaunch: (listener) => setTimeout(() => listener(
    { seq: 3, source: 'open-url', pid: 6010, argv: ['sidemo://open/note?id=42'], cwd: null, url: 'sidemo://open/note?id=42', receivedAt: at(60), handOffMs: 187 },
  ), 10),
};
`;

function renderedRows(): string[][] {
  const dir = tempDir('page');
  fs.copyFileSync(path.join(PAGE, 'renderer.js'), path.join(dir, 'renderer.js'));
  fs.writeFileSync(path.join(dir, 'bridge.js'), BRIDGE);
  const html = fs.readFileSync(path.join(PAGE, 'index.html'), 'utf8');
  assert.match(html, /<script src="renderer.js"><\/script>/);
  fs.writeFileSync(path.join(dir, 'index.html'), html.replace('<script src="renderer.js">', '<script src="bridge.js"></script><script src="renderer.js">'));
  const result = spawnSync(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(dir, 'profile')}`,
    '--virtual-time-budget=2000', '--dump-dom', `file://${path.join(dir, 'index.html')}`,
  ], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  const body = /<tbody id="launches">([\s\S]*?)<\/tbody>/.exec(result.stdout)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] ?? '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => (cell[1] ?? '').replace(/&amp;/g, '&').replace(/&quot;/g, '"')),
  );
}

describe('the template page', { skip: skipUnless(needFile(CHROMIUM, 'apt-get install chromium (.ci/run installs it)')) }, () => {
  it('lists every launch, newest first: seq, source, pid, hand-off, link or command line, cwd', () => {
    const rows = renderedRows();
    assert.deepEqual(rows.map((row) => [row[0], row[2], row[3], row[4], row[5], row[6]]), [
      ['3', 'open-url', '6010', '187 ms', 'sidemo://open/note?id=42', '—'],
      ['2', 'second-instance', '5332', '212 ms', 'C:\\Apps\\Demo.exe "todo list.txt" ""', 'C:\\Users\\ana\\notes'],
      ['1', 'first', '4120', '—', 'C:\\Apps\\Demo.exe', 'C:\\Users\\ana'],
    ]);
  });
});
