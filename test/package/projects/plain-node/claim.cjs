// The Electron-free core from plain Node, required as CommonJS: prints the role this process got.
const { claim, exitCodeFor } = require('sole-instance');

claim({ appId: process.argv[2], argv: process.argv.slice(3) }).then(
  async (instance) => {
    if (instance.role === 'primary') {
      instance.onSecondInstance((launch) => console.log(JSON.stringify({ launch: launch.argv })));
      process.once('SIGTERM', () => void instance.release());
      console.log(JSON.stringify({ role: 'primary', format: 'cjs' }));
    } else {
      console.log(JSON.stringify({ role: 'secondary', format: 'cjs', reply: instance.reply }));
    }
  },
  (error) => {
    console.error(error.message);
    process.exitCode = exitCodeFor(error);
  },
);
