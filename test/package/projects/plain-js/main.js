// A plain JavaScript main, no TypeScript and no build step, with the drop-in as the README shows it.
const { BrowserWindow, app, dialog } = require('electron');
const { singleInstance } = require('sole-instance/electron');

singleInstance({
  app,
  dialog,
  appId: 'com.example.matrix.plain-js',
  scheme: 'matrix',
  onSecondInstance(launch) {
    console.log(JSON.stringify({ launch }));
  },
}).then(async (instance) => {
  await app.whenReady();
  instance.setWindow(new BrowserWindow({ width: 800, height: 600 }));
});
