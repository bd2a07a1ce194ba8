/**
 * The built preload script as a sandboxed preload runs it: no `exports`, no `module`, a
 * `require` that serves only 'electron' (here a double typed against Electron's own types).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { describe, it } from 'node:test';
import type { ContextBridge, IpcRenderer, IpcRendererEvent } from 'electron';
import { ROOT } from '../helpers.js';

const PRELOAD = path.join(ROOT, 'dist', 'preload.js');

describe('preload.js in a sandboxed renderer', () => {
  it('runs without exports or module and exposes the typed bridge over two IPC channels', async () => {
    const exposed = new Map<string, unknown>();
    const invoked: string[] = [];
    const listeners = new Map<string, (event: IpcRendererEvent, ...args: unknown[]) => void>();
    const contextBridge: Pick<ContextBridge, 'exposeInMainWorld'> = {
      exposeInMainWorld: (key, api) => exposed.set(key, api),
    };
    const ipcRenderer: Pick<IpcRenderer, 'invoke' | 'on'> = {
      invoke: (channel) => {
        invoked.push(channel);
        return Promise.resolve([]);
      },
      on(channel, listener) {
        listeners.set(channel, listener);
        return this as IpcRenderer;
      },
    };
    const require = (name: string): unknown => {
      assert.equal(name, 'electron', 'a sandboxed preload can require only electron');
      return { contextBridge, ipcRenderer };
    };
    vm.runInNewContext(fs.readFileSync(PRELOAD, 'utf8'), { require });

    const bridge = exposed.get('singleInstance') as SingleInstanceBridge;
    assert.deepEqual(await bridge.launches(), []);
    assert.deepEqual(invoked, ['launches:list']);
    const received: LaunchRecord[] = [];
    bridge.onLaunch((launch) => received.push(launch));
    const launch = { seq: 2 } as LaunchRecord;
    listeners.get('launches:new')?.({} as IpcRendererEvent, launch);
    assert.deepEqual(received, [launch]);
  });
});
