// An ESM main built by tsup, which keeps dependencies (the package, koffi) external, with the drop-in as the README shows it.
import { BrowserWindow, app, dialog } from 'electron';
import { singleInstance } from 'sole-instance/electron';

const instance = await singleInstance({
  app,
  dialog,
  appId: 'com.example.matrix.tsup-esm',
  scheme: 'matrix',
  onSecondInstance(launch) {
    console.log(JSON.stringify({ launch }));
  },
});
await app.whenReady();
instance.setWindow(new BrowserWindow({ width: 800, height: 600 }));
