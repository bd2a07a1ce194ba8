/** Bringing the primary's window forward on each launch, the way users expect on each OS. */
import type { App, BrowserWindow } from 'electron';

/** What the layer uses of a `BrowserWindow` to bring it forward. */
export type WindowLike = Pick<BrowserWindow, 'isDestroyed' | 'isMinimized' | 'restore' | 'isVisible' | 'show' | 'focus'>;

/**
 * Brings a window to the front: restore if minimized, show if hidden (tray apps), focus; on
 * macOS also make the app active.
 * @param window - the window
 * @param app - Electron's `app`
 * @param platform - the platform whose rules apply
 */
export function bringToFront(window: WindowLike, app: Pick<App, 'focus'>, platform: NodeJS.Platform): void {
  if (window.isMinimized()) {
    window.restore();
  }
  if (!window.isVisible()) {
    window.show();
  }
  window.focus();
  if (platform === 'darwin') {
    app.focus({ steal: true });
  }
}
