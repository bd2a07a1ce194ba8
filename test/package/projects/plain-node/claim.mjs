// The Electron-free core from plain Node, imported as ESM: prints the role this process got.
import { claim, exitCodeFor } from 'sole-instance';

try {
  const instance = await claim({ appId: process.argv[2], argv: process.argv.slice(3) });
  if (instance.role === 'primary') {
    instance.onSecondInstance((launch) => console.log(JSON.stringify({ launch: launch.argv })));
    process.once('SIGTERM', () => void instance.release());
    console.log(JSON.stringify({ role: 'primary', format: 'esm' }));
  } else {
    console.log(JSON.stringify({ role: 'secondary', format: 'esm', reply: instance.reply }));
  }
} catch (error) {
  console.error(error.message);
  process.exitCode = exitCodeFor(error);
}
