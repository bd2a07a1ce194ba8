/**
 * Linux: the beacon, an abstract Unix socket name a live primary binds. No file operation can
 * remove it, the kernel lets one process bind it at a time and drops it with its owner: when a
 * primary's files are deleted under it, a launch that then takes the (re-created) lock file
 * cannot bind it, and hands over instead of becoming a second one.
 *
 * Abstract names have no permissions: another user could bind ours first, or connect to it.
 * So the beacon accepts and drops connections and carries nothing, and a launch believes it only
 * when the kernel says its holder runs as the same user (`SO_PEERCRED`). A name another user
 * took is ignored: the primary runs without a beacon (the presence semaphore still guards it),
 * and nobody can stop it from starting.
 */
import { net } from '../builtins.js';
import type { Logger } from '../logger.js';
import type { Trace } from '../trace.js';
import { loadLibc } from './koffi.js';
import type { Held } from './types.js';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
/** `struct ucred { pid_t pid; uid_t uid; gid_t gid; }` */
const UCRED_BYTES = 12;

/**
 * Binds the beacon until closed, unless a live process of this user holds it.
 * @param name - the abstract name, without its leading NUL
 * @param logger - where a beacon that cannot be held is reported
 * @param trace - where it is published
 * @returns the held beacon; `'rival'` when a live process of this user holds it (the kernel
 *   vouches for its uid); `undefined` when another user took the name, or binding is refused (snap confinement)
 */
export async function claimBeacon(name: string, logger: Logger, trace: Trace): Promise<Held | 'rival' | undefined> {
  const server = net.createServer((socket) => socket.destroy());
  const bound = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    server.once('error', resolve);
    server.listen(`\0${name}`, () => resolve(undefined));
  });
  if (!bound) {
    server.unref();
    return { close: () => server.close() };
  }
  if (bound.code === 'EADDRINUSE' && (await beaconHeldByUs(name))) {
    return 'rival';
  }
  logger.warn(`cannot hold the beacon @${name} (${String(bound)}): if this app's files are deleted while it runs, a second instance could start`);
  trace({ event: 'degraded', what: 'beacon' });
  return undefined;
}

/** The libc calls the probe makes. */
interface SocketCalls {
  socket(domain: number, type: number, protocol: number): number;
  connect(fd: number, address: Buffer, length: number): number;
  getsockopt(fd: number, level: number, option: number, value: Buffer, length: number[]): number;
  close(fd: number): number;
}

let calls: SocketCalls | undefined;

async function socketCalls(): Promise<SocketCalls> {
  if (!calls) {
    const libc = await loadLibc();
    calls = {
      socket: libc.func('int socket(int domain, int type, int protocol)'),
      connect: libc.func('int connect(int fd, const void *addr, uint32_t len)'),
      getsockopt: libc.func('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *len)'),
      close: libc.func('int close(int fd)'),
    };
  }
  return calls;
}

/**
 * Whether a live process of this user (other than this one) holds the beacon.
 * @param name - the abstract name, without its leading NUL
 */
async function beaconHeldByUs(name: string): Promise<boolean> {
  const { socket, connect, getsockopt, close } = await socketCalls();
  const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  try {
    const address = abstractAddress(name);
    if (connect(fd, address, address.length) !== 0) {
      return false;
    }
    const credentials = Buffer.alloc(UCRED_BYTES);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, credentials, [UCRED_BYTES]) !== 0) {
      return false;
    }
    return credentials.readUInt32LE(4) === process.getuid?.() && credentials.readInt32LE(0) !== process.pid;
  } finally {
    close(fd);
  }
}

/** `struct sockaddr_un` for an abstract name: the family, a NUL, the name (no terminator). */
function abstractAddress(name: string): Buffer {
  const bytes = Buffer.from(name, 'utf8');
  const address = Buffer.alloc(2 + 1 + bytes.length);
  address.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(address, 3);
  return address;
}
