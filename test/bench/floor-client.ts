/**
 * The benchmark's floor: the least a second instance can do to speak the protocol, in one small
 * file with no validation, no options and no error handling. Never use it as a client; it only
 * shows what a fresh Node process with a socket and an HMAC costs on this machine.
 * Usage: node floor-client.js <socket path> <secret path>
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const [endpoint = '', secretFile = ''] = process.argv.slice(2);
const frame = (message: object): Buffer => {
  const body = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
};
const nonce = randomBytes(18).toString('base64');
const socket = connect(endpoint, () => socket.write(frame({ t: 'hello', v: 1, nonce })));
let buffered = Buffer.alloc(0);
socket.on('data', (chunk: Buffer) => {
  buffered = Buffer.concat([buffered, chunk]);
  while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
    const size = buffered.readUInt32BE(0);
    const message = JSON.parse(buffered.subarray(4, 4 + size).toString()) as { t: string; nonce: string };
    buffered = buffered.subarray(4 + size);
    if (message.t === 'welcome') {
      const mac = createHmac('sha256', readFileSync(secretFile)).update(`secondary\0${message.nonce}\0${nonce}`).digest('base64');
      socket.write(frame({ t: 'launch', v: 1, mac, argv: process.argv, cwd: process.cwd(), data: null, pid: process.pid, env: {} }));
    } else if (message.t === 'reply') {
      socket.destroy();
    }
  }
});
