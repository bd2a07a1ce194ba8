/**
 * Random bytes without loading Node's crypto module where the OS has a random device (Linux,
 * macOS: `/dev/urandom`, the kernel's CSPRNG): a launch's start-up pays for what it uses only.
 * Elsewhere (Windows), Node's crypto.
 */
import { fs } from './builtins.js';

/**
 * `count` cryptographically random bytes.
 * @param count - how many
 */
export function randomBytes(count: number): Buffer {
  if (process.platform === 'win32') {
    return process.getBuiltinModule('node:crypto').randomBytes(count);
  }
  const bytes = Buffer.allocUnsafe(count);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    for (let filled = 0; filled < count; ) {
      filled += fs.readSync(fd, bytes, filled, count - filled, null);
    }
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}
