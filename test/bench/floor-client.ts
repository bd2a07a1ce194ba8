/**
 * The benchmark's floor: the least a second instance can do to speak the protocol, in one small
 * file with no validation, no options and no error handling. Never use it as a client; it only
 * shows what a fresh Node process with a socket and an HMAC costs on this machine.
 * Usage: node floor-client.js <record path>
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const record = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as { endpoint: string; secret: string };
const secret = Buffer.from(record.secret, 'base64');
const frame = (message: object): Buffer => {
  const body = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
};
const nonce = randomBytes(18).toString('base64');
const socket = connect(record.endpoint, () => socket.write(frame({ t: 'hello', v: 2, nonce })));
let buffered = Buffer.alloc(0);
socket.on('data', (chunk: Buffer) => {
  buffered = Buffer.concat([buffered, chunk]);
  while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
    const size = buffered.readUInt32BE(0);
    const message = JSON.parse(buffered.subarray(4, 4 + size).toString()) as { t: string; nonce: string };
    buffered = buffered.subarray(4 + size);
    if (message.t === 'welcome') {
      const mac = createHmac('sha256', secret).update(`secondary\0${message.nonce}\0${nonce}`).digest('base64');
      socket.write(Buffer.concat([frame({ t: 'auth', v: 2, mac }), frame({ t: 'launch', v: 2, argv: process.argv, cwd: process.cwd(), data: null, pid: process.pid, env: {} })]));
    } else if (message.t === 'ack') {
      socket.write(frame({ t: 'commit', v: 2 }));
    } else if (message.t === 'reply') {
      socket.destroy();
    }
  }
});
