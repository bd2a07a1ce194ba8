/**
 * `sole-instance/builder`: koffi's binary for every electron-builder target, checked by its header
 * where koffi's loader looks in a packaged app; real `electron-builder --dir` builds of the
 * template for Linux, Windows and macOS, offline with a stand-in Electron folder; the packaged
 * Linux app loading koffi the way it would run; one app id by construction; and Forge's hook.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import Ajv from 'ajv';
import * as asar from '@electron/asar';
import { type AfterPackContext, type Target, afterPack, binaryTarget, electronBuilderPreset, installerIncludePath, koffiFolder, soleInstanceForge } from 'sole-instance/builder';
import { BOUNDS, FIXTURE, NodeProcess, ROOT, finished, tempDir } from '../helpers.js';
import { type BuilderOs, runElectronBuilder, standInElectron } from './electron-builder.js';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { soleInstance: { appId: string } };
const APP_ID = manifest.soleInstance.appId;

/** electron-builder's Arch numbers. */
const ARCH = { ia32: 0, x64: 1, arm64: 3, universal: 4 } as const;

/** A pack context as electron-builder gives it, for a packed app in a fresh folder. */
function packContext(platform: string, arch: number, appId = APP_ID, projectDir = ROOT): AfterPackContext {
  const appOutDir = tempDir('packed');
  return {
    appOutDir,
    electronPlatformName: platform,
    arch,
    packager: {
      projectDir,
      appInfo: { id: appId, productName: 'Single Instance Demo' },
      getResourcesDir: (dir) => (platform === 'darwin' ? path.join(dir, 'Single Instance Demo.app', 'Contents', 'Resources') : path.join(dir, 'resources')),
    },
  };
}

/** What each koffi binary under a resources folder is built for, by its header. */
function placedBinaries(resources: string): Record<string, Target | undefined> {
  const koffi = path.join(resources, 'koffi');
  return Object.fromEntries(fs.readdirSync(koffi).map((triplet) => [triplet, binaryTarget(fs.readFileSync(path.join(koffi, triplet, 'koffi.node')))]));
}

describe('koffi for every target, whatever machine builds', () => {
  const cases: [string, string, number, Record<string, Target>][] = [
    ['Windows x64', 'win32', ARCH.x64, { win32_x64: { platform: 'win32', arch: 'x64' } }],
    ['Windows arm64', 'win32', ARCH.arm64, { win32_arm64: { platform: 'win32', arch: 'arm64' } }],
    ['Linux x64', 'linux', ARCH.x64, { linux_x64: { platform: 'linux', arch: 'x64' } }],
    ['Linux arm64', 'linux', ARCH.arm64, { linux_arm64: { platform: 'linux', arch: 'arm64' } }],
  ];
  const mac = { darwin_x64: { platform: 'darwin', arch: 'x64' }, darwin_arm64: { platform: 'darwin', arch: 'arm64' } } as const;
  cases.push(['macOS x64 (both CPUs, for universal builds)', 'darwin', ARCH.x64, mac], ['macOS arm64', 'darwin', ARCH.arm64, mac], ['macOS universal (the merged app)', 'darwin', ARCH.universal, mac]);
  for (const [name, platform, arch, expected] of cases) {
    it(`${name}: the hook places the target's binary where koffi's loader looks (checked by its header)`, async () => {
      const context = packContext(platform, arch);
      await afterPack(context);
      assert.deepEqual(placedBinaries(context.packager.getResourcesDir(context.appOutDir)), expected);
    });
  }

  it('the preset tells a universal build that the two macOS binaries are per-CPU files', () => {
    const preset = electronBuilderPreset({ projectDir: ROOT });
    assert.deepEqual(preset.mac, { x64ArchFiles: `Contents/Resources/${koffiFolder({ platform: 'darwin', arch: 'x64' }).replace('darwin_x64', 'darwin_*')}/koffi.node` });
  });

  it('a binary that cannot be had stops the build, naming the target and the fix', async () => {
    const project = tempDir('project');
    fs.mkdirSync(path.join(project, 'node_modules', 'koffi'), { recursive: true });
    fs.writeFileSync(path.join(project, 'node_modules', 'koffi', 'package.json'), JSON.stringify({ name: 'koffi', version: '0.0.0-none', main: 'index.cjs' }));
    fs.writeFileSync(path.join(project, 'node_modules', 'koffi', 'index.cjs'), '');
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'x', soleInstance: { appId: APP_ID } }));
    await assert.rejects(afterPack(packContext('win32', ARCH.arm64, APP_ID, project)), (error: Error) => {
      assert.equal(error.name, 'BuildError');
      assert.match(error.message, /koffi's binary for win32-arm64 could not be had from @koromix\/koffi-win32-arm64@0\.0\.0-none/);
      assert.match(error.message, /Build where the npm registry is reachable/);
      return true;
    });
  });
});

describe('one app id, by construction', () => {
  it("electron-builder's config takes the app id from package.json; it validates against electron-builder's schema", async () => {
    const { getConfig } = (await import('app-builder-lib/out/util/config/config.js')) as unknown as { getConfig(dir: string, file: string | null, options: null): Promise<Record<string, unknown>> };
    const config = await getConfig(ROOT, null, null);
    assert.equal(config.appId, APP_ID);
    assert.equal((config.nsis as { include: string }).include, installerIncludePath(ROOT));
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    assert.equal(validate({ ...config, afterPack: String(config.afterPack) }), true, JSON.stringify(validate.errors));
  });

  it('a build whose app id differs from the app\'s own stops, saying where the id belongs', async () => {
    await assert.rejects(afterPack(packContext('linux', ARCH.x64, 'com.example.typed-twice')), /packs app id "com\.example\.typed-twice", but the app claims its single instance as "com\.example\.singleinstance"/);
  });
});

describe("an nsis.include of the app's own", () => {
  /** A Windows pack context whose config names `include`, a file in the build resources holding `text`. */
  function withInclude(text: string): AfterPackContext {
    const resources = tempDir('build-resources');
    fs.writeFileSync(path.join(resources, 'custom.nsh'), text);
    const context = packContext('win32', ARCH.x64);
    return { ...context, packager: { ...context.packager, config: { nsis: { include: 'custom.nsh' } }, info: { buildResourcesDir: resources } } };
  }

  it('that leaves the generated check out stops the build, saying which line to add', async () => {
    await assert.rejects(afterPack(withInclude('!macro customInstall\n!macroend\n')), /nsis\.include is "custom\.nsh", which replaces the installer check sole-instance generates[\s\S]*!include "\$\{PROJECT_DIR\}\\node_modules\\\.cache\\sole-instance\\installer\.nsh"/);
  });

  it('that includes the generated check passes', async () => {
    await afterPack(withInclude('!include "${PROJECT_DIR}\\node_modules\\.cache\\sole-instance\\installer.nsh"\n!macro customInstall\n!macroend\n'));
  });
});

describe('electron-builder --dir, offline, with a stand-in Electron', () => {
  let output: string;
  const electrons: Partial<Record<BuilderOs, string>> = {};
  before(() => {
    output = tempDir('release');
    for (const os of ['linux', 'win', 'mac'] as const) {
      electrons[os] = standInElectron(os);
    }
  });

  const builds: [BuilderOs, string, string, string, string, Target][] = [
    ['linux', 'x64', 'linux-unpacked', 'resources', 'linux_x64', { platform: 'linux', arch: 'x64' }],
    ['linux', 'arm64', 'linux-arm64-unpacked', 'resources', 'linux_arm64', { platform: 'linux', arch: 'arm64' }],
    ['win', 'x64', 'win-unpacked', 'resources', 'win32_x64', { platform: 'win32', arch: 'x64' }],
    ['win', 'arm64', 'win-arm64-unpacked', 'resources', 'win32_arm64', { platform: 'win32', arch: 'arm64' }],
    ['mac', 'x64', 'mac', 'Single Instance Demo.app/Contents/Resources', 'darwin_x64', { platform: 'darwin', arch: 'x64' }],
    ['mac', 'arm64', 'mac-arm64', 'Single Instance Demo.app/Contents/Resources', 'darwin_arm64', { platform: 'darwin', arch: 'arm64' }],
  ];
  for (const [os, arch, folder, resourcesIn, triplet, target] of builds) {
    it(`${os} ${arch}: the packed app carries the target's koffi binary and not the build machine's`, { timeout: BOUNDS.build }, async () => {
      await runElectronBuilder({ os, args: ['dir', `--${arch}`], electron: electrons[os] ?? '', output });
      const resources = path.join(output, folder, resourcesIn);
      assert.deepEqual(placedBinaries(resources)[triplet], target);
      const packed = asar.listPackage(path.join(resources, 'app.asar'), { isPack: false });
      assert.ok(packed.some((file) => file.endsWith(`${path.sep}koffi${path.sep}index.cjs`)), "koffi's JavaScript is in the app");
      assert.deepEqual(packed.filter((file) => file.includes('@koromix')), [], "the build machine's own koffi binary is not");
      if (os === 'win') {
        assert.ok(fs.readFileSync(installerIncludePath(ROOT), 'utf8').includes(`"Local\\${APP_ID}-$R0"`), "the include opens the user's mutex");
      }
    });
  }

  it('the packed Linux x64 app loads koffi from its resources, the way it runs', async () => {
    const resources = path.join(output, 'linux-unpacked', 'resources');
    const app = tempDir('app');
    asar.extractAll(path.join(resources, 'app.asar'), app);
    const loaded = await finished(new NodeProcess([FIXTURE, 'load-koffi', resources, app]));
    assert.deepEqual(loaded.lines, [{ loaded: true, samePid: true }], loaded.stderr);
  });
});

describe('Electron Forge: packageAfterCopy', () => {
  it("puts koffi's JavaScript into the packaged app and its binary where koffi looks; the app loads it", async () => {
    const buildPath = path.join(tempDir('forge'), 'app-linux-x64', 'resources', 'app');
    fs.mkdirSync(buildPath, { recursive: true });
    await soleInstanceForge(ROOT).packageAfterCopy({}, buildPath, '45.5.0', 'linux', 'x64');
    const resources = path.dirname(buildPath);
    assert.deepEqual(placedBinaries(resources), { linux_x64: { platform: 'linux', arch: 'x64' } });
    const loaded = await finished(new NodeProcess([FIXTURE, 'load-koffi', resources, buildPath]));
    assert.deepEqual(loaded.lines, [{ loaded: true, samePid: true }], loaded.stderr);
  });

  it('for Windows arm64 and macOS: the targets\' binaries', async () => {
    for (const [platform, arch, expected] of [
      ['win32', 'arm64', ['win32_arm64']],
      ['darwin', 'arm64', ['darwin_arm64', 'darwin_x64']],
    ] as const) {
      const buildPath = path.join(tempDir('forge'), 'resources', 'app');
      fs.mkdirSync(buildPath, { recursive: true });
      await soleInstanceForge(ROOT).packageAfterCopy({}, buildPath, '45.5.0', platform, arch);
      const placed = placedBinaries(path.dirname(buildPath));
      assert.deepEqual(Object.keys(placed).sort(), [...expected]);
      for (const [triplet, target] of Object.entries(placed)) {
        assert.equal(`${target?.platform}_${target?.arch}`, triplet);
      }
    }
  });
});
