/**
 * The template app's identity. The app id and scope are written once, in package.json's
 * `"soleInstance"` block: the app claims with them, and sole-instance's electron-builder preset
 * makes them electron-builder's `appId` and the installer's check.
 */
import manifest from '../../package.json';

/** The app id and scope the app claims its single instance with. */
export const SINGLE_INSTANCE = manifest.soleInstance as { appId: string; scope: 'session' | 'user' };
/** Custom protocol for deep links (`sidemo://...`); electron-builder.yml registers the same. */
export const DEEP_LINK_SCHEME = 'sidemo';
