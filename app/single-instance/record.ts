/**
 * The record a primary publishes for launches to find it: its pid, its endpoint (a socket path
 * or pipe name nobody could predict) and the secret behind the proof. It lives in the
 * user's state directory, readable by the user only, and is replaced atomically, so a launch
 * reads either a whole record or none.
 */
import { fs } from './builtins.js';
import { EndpointError, describeOsError } from './errors.js';
import { randomBytes } from './random.js';

/** What a running primary publishes. */
export interface PrimaryRecord {
  /** Its process id. */
  pid: number;
  /** Where it listens. */
  endpoint: string;
  /** The secret behind the proof. */
  secret: Buffer;
}

const RECORD_VERSION = 1;
const SECRET_BYTES = 32;

/** A fresh secret for a new primary. */
export function newSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

/**
 * Reads the record, or `undefined` when there is none, or none to trust: damaged, half
 * written, or (Linux/macOS) not owned by `owner`, such as another user's leftover.
 * @param file - the record's path
 * @param owner - the uid it must belong to, where files have one
 */
export function readRecord(file: string, owner: number | undefined): PrimaryRecord | undefined {
  let text: string;
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    try {
      if (owner !== undefined && fs.fstatSync(fd).uid !== owner) {
        return undefined;
      }
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  return parseRecord(text);
}

function parseRecord(text: string): PrimaryRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) {
    return undefined;
  }
  const { v, pid, endpoint, secret } = raw as Record<string, unknown>;
  if (v !== RECORD_VERSION || !Number.isSafeInteger(pid) || typeof endpoint !== 'string' || typeof secret !== 'string') {
    return undefined;
  }
  const key = Buffer.from(secret, 'base64');
  return key.length === SECRET_BYTES ? { pid: pid as number, endpoint, secret: key } : undefined;
}

/**
 * Publishes the record: written beside it and renamed over it, readable by the user only.
 * @param file - the record's path
 * @param record - what to publish
 * @throws EndpointError when it cannot be written
 */
export function writeRecord(file: string, record: PrimaryRecord): void {
  const staging = `${file}.${process.pid}.tmp`;
  const text = JSON.stringify({ v: RECORD_VERSION, pid: record.pid, endpoint: record.endpoint, secret: record.secret.toString('base64') });
  try {
    fs.writeFileSync(staging, `${text}\n`, { mode: 0o600 });
    fs.renameSync(staging, file);
  } catch (error) {
    fs.rmSync(staging, { force: true });
    throw new EndpointError(`cannot publish the instance record ${file}: ${describeOsError(error)}`, { cause: error });
  }
}

/**
 * Whether the file holds exactly this record.
 * @param file - the record's path
 * @param record - what this primary published
 * @param owner - the uid it must belong to, where files have one
 */
export function holdsRecord(file: string, record: PrimaryRecord, owner: number | undefined): boolean {
  const found = readRecord(file, owner);
  return found !== undefined && found.pid === record.pid && found.endpoint === record.endpoint && found.secret.equals(record.secret);
}

/**
 * Removes the record if it is still this primary's (never a newer primary's).
 * @param file - the record's path
 * @param record - what this primary published
 * @param owner - the uid it must belong to, where files have one
 */
export function removeRecordIfOurs(file: string, record: PrimaryRecord, owner: number | undefined): void {
  if (holdsRecord(file, record, owner)) {
    fs.rmSync(file, { force: true });
  }
}
