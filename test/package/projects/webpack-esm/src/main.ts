// An ESM main bundled by webpack with the package in the bundle, with the drop-in as the README shows it.
import { BrowserWindow, app, dialog } from 'electron';
import { singleInstance } from 'sole-instance/electron';

const instance = await singleInstance({
  app,
  dialog,
  appId: 'com.example.matrix.webpack-esm',
  scheme: 'matrix',
  onSecondInstance(launch) {
    console.log(JSON.stringify({ launch }));
  },
});
await app.whenReady();
instance.setWindow(new BrowserWindow({ width: 800, height: 600 }));
