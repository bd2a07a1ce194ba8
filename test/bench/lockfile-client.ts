/**
 * proper-lockfile used the way a single-instance lock would be, for the benchmark's comparison:
 *
 *   node lockfile-client.js lock <file>    take the lock and give it back (one launch)
 *   node lockfile-client.js hold <file>    take it, print {"locked":true}, and keep it until killed
 */
import * as lockfile from 'proper-lockfile';

async function main(): Promise<void> {
  const [mode, file = ''] = process.argv.slice(2);
  const release = await lockfile.lock(file);
  if (mode === 'hold') {
    process.stdout.write(`${JSON.stringify({ locked: true })}\n`);
    setInterval(() => undefined, 60_000);
  } else {
    await release();
  }
}

void main();
