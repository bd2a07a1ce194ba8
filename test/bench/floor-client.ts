/**
 * The benchmark's floor: the least a second instance can do to speak the protocol (Linux/macOS:
 * the token flow), in one small file with no validation, no options and no error handling. Never
 * use it as a client; it only shows what a fresh Node process with a socket costs on this machine.
 * Usage: node floor-client.js <record path>
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const record = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as { endpoint: string; secret: string };
const frame = (message: object): Buffer => {
  const body = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
};
const socket = connect(record.endpoint, () => {
  const launch = { t: 'launch', v: 4, argv: process.argv, cwd: process.cwd(), data: null, pid: process.pid, env: {}, request: null };
  socket.write(Buffer.concat([frame({ t: 'auth', v: 4, token: record.secret }), frame(launch)]));
});
let buffered = Buffer.alloc(0);
socket.on('data', (chunk: Buffer) => {
  buffered = Buffer.concat([buffered, chunk]);
  while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
    const size = buffered.readUInt32BE(0);
    const message = JSON.parse(buffered.subarray(4, 4 + size).toString()) as { t: string };
    buffered = buffered.subarray(4 + size);
    if (message.t === 'reply') {
      socket.destroy();
    }
  }
});
