/** Preload: exposes the launch list to the page through a typed bridge; no Node in the renderer. */
import { contextBridge, ipcRenderer } from 'electron';

const bridge: SingleInstanceBridge = {
  launches: () => ipcRenderer.invoke('launches:list') as Promise<LaunchRecord[]>,
  onLaunch: (listener) => {
    ipcRenderer.on('launches:new', (_event, launch: LaunchRecord) => listener(launch));
  },
};

contextBridge.exposeInMainWorld('singleInstance', bridge);
