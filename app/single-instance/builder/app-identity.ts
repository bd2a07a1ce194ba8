/**
 * The app's identity for single instance, written once: the `soleInstance` block of the app's
 * package.json (`{ "appId": "com.example.notes", "scope": "session" }`). The app passes it to
 * `singleInstance()`, the electron-builder preset makes it electron-builder's `appId`, and the
 * installer check is generated from it: nothing is typed twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Scope, SingleInstanceError, validateAppId, validateScope } from '../index.js';
import { BuildError } from './build-error.js';

/** The app id and scope the app claims with. */
export interface AppIdentity {
  appId: string;
  scope: Scope;
}

/**
 * Reads the `soleInstance` block of a project's package.json.
 * @param projectDir - the app's project directory
 * @throws BuildError when it is missing or invalid
 */
export function readAppIdentity(projectDir: string): AppIdentity {
  const file = path.join(projectDir, 'package.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { soleInstance?: { appId?: unknown; scope?: unknown } };
  const identity = manifest.soleInstance;
  if (!identity) {
    throw new BuildError(`${file} has no "soleInstance" block: add "soleInstance": { "appId": "com.example.yourapp" } (the one place the app id is written).`);
  }
  return { appId: checked(file, 'appId', () => validateAppId(identity.appId)), scope: checked(file, 'scope', () => validateScope(identity.scope ?? 'session')) };
}

/** A field of the block, checked by the core's own rule; a BuildError naming the file and field when it fails. */
function checked<T>(file: string, field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    const detail = error instanceof SingleInstanceError ? error.detail : String(error);
    throw new BuildError(`"soleInstance.${field}" in ${file}: ${detail}`, { cause: error });
  }
}
