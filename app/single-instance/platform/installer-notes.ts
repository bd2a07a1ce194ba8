/**
 * Windows: what an installer that gave up left for the app (an update that could not close it,
 * see `sole-instance/builder`): `<state dir>\\<appId>.installer.log`, UTF-16 as NSIS writes it.
 * The next primary logs each line once and removes the file.
 */
import { fs } from '../builtins.js';
import type { Logger } from '../logger.js';

/**
 * Logs, once, what the last installer left, and removes it.
 * @param file - the notes file (`Places.installerNotes`)
 * @param logger - where each line is logged as a warning
 */
export function reportInstallerNotes(file: string, logger: Logger): void {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
    fs.rmSync(file, { force: true });
  } catch {
    return;
  }
  const text = bytes[0] === 0xff && bytes[1] === 0xfe ? bytes.subarray(2).toString('utf16le') : bytes.toString('utf8');
  for (const line of text.split(/\r?\n/).filter(Boolean)) {
    logger.warn(`the installer left a note: ${line}`);
  }
}
