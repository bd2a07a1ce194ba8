/**
 * The template app's identity, in one place: main uses it, the installer include is generated
 * from it, and a test checks that electron-builder.yml says the same.
 */
import type { Scope } from 'sole-instance';

/** Reverse-DNS app id; electron-builder's `appId` must equal it. */
export const APP_ID = 'com.example.singleinstance';
/** Shown in dialogs and the installer. */
export const PRODUCT_NAME = 'Single Instance Demo';
/** One instance per user per login session. */
export const APP_SCOPE: Scope = 'session';
/** Custom protocol for deep links (`sidemo://...`). */
export const DEEP_LINK_SCHEME = 'sidemo';
