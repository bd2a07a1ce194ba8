/**
 * The per-user secret behind the mutual proof. A new primary writes a fresh one (atomically,
 * readable by the user only) before it listens; a second instance reads it after connecting.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { EndpointError, errnoCode } from '../errors.js';

const SECRET_BYTES = 32;

/**
 * Writes a fresh secret and returns it. Only the lock owner calls this.
 * @param file - the secret's path (from the instance names)
 * @throws EndpointError when it cannot be written
 */
export function writeSecret(file: string): Buffer {
  const secret = randomBytes(SECRET_BYTES);
  const staging = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(staging, secret, { mode: 0o600, flag: 'w' });
    fs.renameSync(staging, file);
  } catch (error) {
    fs.rmSync(staging, { force: true });
    throw new EndpointError(`cannot write the secret ${file}: ${String(error)}`, { cause: error });
  }
  return secret;
}

/**
 * Reads the secret, or `undefined` when there is none.
 * @param file - the secret's path
 * @throws EndpointError when it exists but cannot be read or has the wrong size
 */
export function readSecret(file: string): Buffer | undefined {
  let secret: Buffer;
  try {
    secret = fs.readFileSync(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      return undefined;
    }
    throw new EndpointError(`cannot read the secret ${file}: ${String(error)}`, { cause: error });
  }
  if (secret.length !== SECRET_BYTES) {
    throw new EndpointError(`the secret ${file} is damaged (${secret.length} bytes); delete it and launch again.`);
  }
  return secret;
}
