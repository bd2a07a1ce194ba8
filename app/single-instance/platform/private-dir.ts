/**
 * Linux/macOS: the private per-user directory that holds the lock file, the socket and the
 * secret. It must be a real directory (not a symlink), owned by us, with no access for group
 * or others; we refuse to use it otherwise.
 */
import * as fs from 'node:fs';
import { EndpointError, errnoCode } from '../errors.js';

/**
 * Creates the private directory (`0700`) if needed and verifies it.
 * @param dir - the directory (from `privateDirFor`)
 * @throws EndpointError when it cannot be created or is not private
 */
export function ensurePrivateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') {
      throw new EndpointError(`cannot create the private directory ${dir}: ${String(error)}`, { cause: error });
    }
  }
  verifyPrivateDir(dir);
}

/**
 * Verifies that an existing directory is private to us.
 * @param dir - the directory
 * @throws EndpointError when it is a symlink, not ours, or open to group/others
 */
export function verifyPrivateDir(dir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch (error) {
    throw new EndpointError(`cannot inspect the private directory ${dir}: ${String(error)}`, { cause: error });
  }
  const uid = process.getuid?.();
  if (!stat.isDirectory()) {
    throw new EndpointError(`${dir} is not a directory (a symlink or file is there); remove it and launch again.`);
  }
  if (stat.uid !== uid) {
    throw new EndpointError(
      `${dir} belongs to uid ${stat.uid}, not to us (uid ${uid}); someone may be squatting on it. ` +
        'Remove it, or set XDG_RUNTIME_DIR/TMPDIR to a directory of your own.',
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new EndpointError(
      `${dir} is open to other users (mode ${(stat.mode & 0o777).toString(8)}); run \`chmod 700 ${dir}\` and launch again.`,
    );
  }
}
