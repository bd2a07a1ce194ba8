/** Packaging checks that run here: the builder config against its schema, app id agreement, koffi binaries per target. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import * as yaml from 'js-yaml';
import { APP_ID, DEEP_LINK_SCHEME, PRODUCT_NAME } from '../../app/template/app-id.js';
import afterPack, { TARGETS, binaryTarget, prebuildPath, stagePrebuilds, verifyBinary } from '../../app/tools/koffi-prebuilds.js';
import { ROOT, tempDir } from '../helpers.js';

interface BuilderConfig {
  appId: string;
  productName: string;
  protocols: { schemes: string[] }[];
  nsis: { include: string };
  win: { target: { target: string; arch: string[] }[] };
  extraResources: { from: string; to: string }[];
  files: string[];
  afterPack: string;
}

const config = yaml.load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

describe('electron-builder.yml', () => {
  it('is valid against app-builder-lib/scheme.json', () => {
    assert.equal(validate(config), true, JSON.stringify(validate.errors, null, 2));
  });

  it('the schema check can fail: a misspelled option is rejected', () => {
    assert.equal(validate({ ...config, nsis: { ...config.nsis, oneClik: true } }), false);
  });

  it('agrees with the app: app id, product name, deep-link scheme, installer include', () => {
    assert.equal(config.appId, APP_ID);
    assert.equal(config.productName, PRODUCT_NAME);
    assert.deepEqual(config.protocols.flatMap((protocol) => protocol.schemes), [DEEP_LINK_SCHEME]);
    assert.equal(config.nsis.include, 'build/installer.nsh');
    assert.deepEqual(config.win.target[0], { target: 'nsis', arch: ['x64', 'arm64'] });
    assert.ok(fs.existsSync(path.join(ROOT, config.afterPack)), 'the afterPack hook is built');
  });
});

describe('koffi binaries for every target', () => {
  it('are staged, one per target, each built for its OS and CPU', () => {
    const files = stagePrebuilds();
    assert.equal(files.length, TARGETS.length);
    for (const { platform, arch } of TARGETS) {
      verifyBinary(prebuildPath(platform, arch), platform, arch);
    }
  });

  it('are copied by extraResources to resources/koffi/<platform>_<arch>, where koffi looks, and only those ship', () => {
    assert.ok(config.files.includes('!node_modules/@koromix/**'), "the build machine's own koffi binary is left out");
    assert.deepEqual(config.extraResources, [
      { from: '.cache/koffi-prebuilds/${platform}_${arch}', to: 'koffi/${platform}_${arch}' },
    ]);
    const loader = fs.readFileSync(path.join(ROOT, 'node_modules', 'koffi', 'src', 'koffi', 'index.cjs'), 'utf8');
    assert.match(loader, /resourcesPath"\] \+ suffix2/);
    assert.match(loader, /"\/koffi",/);
  });

  it('the header check tells targets apart and refuses a wrong one', () => {
    const host = fs.readFileSync(path.join(ROOT, 'node_modules', '@koromix', `koffi-${process.platform}-${process.arch}`, `${process.platform}_${process.arch}`, 'koffi.node'));
    assert.deepEqual(binaryTarget(host), { platform: process.platform, arch: process.arch });
    assert.throws(() => verifyBinary(prebuildPath('linux', 'x64'), 'win32', 'x64'), /built for linux-x64, not win32-x64/);
    assert.equal(binaryTarget(Buffer.from('not a binary at all, just text')), undefined);
  });

  it('the afterPack hook passes a packed app that has the binary and fails one that lacks it', async () => {
    const appOutDir = tempDir('packed');
    const WIN32 = 'win32';
    const X64 = 1;
    await assert.rejects(afterPack({ appOutDir, electronPlatformName: WIN32, arch: X64 }), /koffi binary missing for win32-x64/);
    const target = path.join(appOutDir, 'resources', 'koffi', 'win32_x64');
    fs.mkdirSync(target, { recursive: true });
    fs.copyFileSync(prebuildPath('win32', 'x64'), path.join(target, 'koffi.node'));
    await afterPack({ appOutDir, electronPlatformName: WIN32, arch: X64 });
  });
});
