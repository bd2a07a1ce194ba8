/**
 * `npm run demo`: a launcher fires a storm of launches of the headless host at once; a progress
 * bar follows the hand-offs live, then a summary shows that exactly one primary took all of them.
 * Runs on any machine, with or without Electron.
 */
import { isolatedTmp, uniqueId } from '../helpers.js';
import { median, quantile, storm } from './measure.js';

const LAUNCHES = Number(process.argv[2] ?? 24);
const BAR_WIDTH = 32;

function progress(done: number, total: number): void {
  const filled = Math.round((done / total) * BAR_WIDTH);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
  const text = `  hand-offs ${bar} ${String(done).padStart(String(total).length)}/${total}`;
  if (process.stdout.isTTY) {
    process.stdout.write(`\r${text}`);
  } else if (done === total || done % 8 === 0) {
    console.log(text);
  }
}

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join('\n');
}

async function main(): Promise<void> {
  if (!Number.isSafeInteger(LAUNCHES) || LAUNCHES < 2) {
    console.error('usage: npm run demo [-- <launches, at least 2>]');
    process.exitCode = 2;
    return;
  }
  isolatedTmp();
  console.log(`Starting ${LAUNCHES} launches of the same app at the same instant…\n`);
  const result = await storm(uniqueId('demo'), LAUNCHES, progress);
  if (process.stdout.isTTY) {
    process.stdout.write('\n');
  }
  const ok = result.primaries === 1 && result.delivered === LAUNCHES - 1 && result.duplicates === 0 && result.failures === 0;
  console.log(`\n${table([
    ['primary pid', String(result.primaryPid)],
    ['primaries', `${result.primaries} (must be 1)`],
    ['launches delivered', `${result.delivered} of ${LAUNCHES - 1} (the others handed over)`],
    ['duplicates', String(result.duplicates)],
    ['failed launches', String(result.failures)],
    ['hand-off, median', `${median(result.handOffMs).toFixed(0)} ms from spawn to exit`],
    ['hand-off, p95', `${quantile(result.handOffMs, 0.95).toFixed(0)} ms`],
    ['slowest hand-off', `${Math.max(...result.handOffMs).toFixed(0)} ms`],
    ['whole storm', `${result.ms.toFixed(0)} ms`],
  ])}\n\n${ok ? '✔ exactly one instance, nothing lost' : '✘ something went wrong'}`);
  process.exitCode = ok ? 0 : 1;
}

void main();
