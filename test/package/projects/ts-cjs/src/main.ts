// A plain TypeScript CommonJS main (module: commonjs, classic node resolution), with the drop-in as the README shows it.
import { BrowserWindow, app, dialog } from 'electron';
import { singleInstance } from 'sole-instance/electron';

async function main(): Promise<void> {
  const instance = await singleInstance({
    app,
    dialog,
    appId: 'com.example.matrix.ts-cjs',
    scheme: 'matrix',
    onSecondInstance(launch) {
      console.log(JSON.stringify({ launch }));
    },
  });
  await app.whenReady();
  instance.setWindow(new BrowserWindow({ width: 800, height: 600 }));
}

void main();
