/** The template's packaging: its electron-builder.yml leaves identity and koffi to the sole-instance preset and agrees with the app. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { DEEP_LINK_SCHEME, SINGLE_INSTANCE } from '../../app/template/app-id.js';
import { ROOT } from '../helpers.js';

interface TemplateConfig {
  extends: string;
  protocols: { schemes: string[] }[];
  win: { target: { target: string; arch: string[] }[] };
  mac: { target: { target: string; arch: string[] }[] };
  [key: string]: unknown;
}

const config = yaml.load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as TemplateConfig;
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { soleInstance: unknown };

describe("the template's electron-builder.yml", () => {
  it('extends the preset and types no app id, hook or koffi path of its own', () => {
    assert.equal(config.extends, 'sole-instance/builder');
    for (const key of ['appId', 'afterPack', 'extraResources', 'asarUnpack']) {
      assert.equal(key in config, false, `${key} belongs to the preset`);
    }
    assert.equal((config.nsis as Record<string, unknown>).include, undefined, 'the preset generates the installer include');
  });

  it('the app claims with the identity package.json declares, and registers the scheme it handles', () => {
    assert.deepEqual(SINGLE_INSTANCE, manifest.soleInstance);
    assert.deepEqual(config.protocols.flatMap((protocol) => protocol.schemes), [DEEP_LINK_SCHEME]);
  });

  it('ships Windows on both CPUs and macOS as one universal app', () => {
    assert.deepEqual(config.win.target[0], { target: 'nsis', arch: ['x64', 'arm64'] });
    assert.deepEqual(config.mac.target[0], { target: 'dmg', arch: ['universal'] });
  });
});
