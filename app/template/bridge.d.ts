/** The typed bridge between the preload script and the page (ambient: the page is a plain script). */

/** One launch as the page shows it. */
interface LaunchRecord {
  /** 1 for the first launch, then one more for each launch received. */
  seq: number;
  source: 'first' | 'second-instance' | 'open-url' | 'open-file' | 'session-end';
  pid: number;
  argv: string[];
  /** null when the launch had no working directory (deleted, or a link the OS opened). */
  cwd: string | null;
  url: string | null;
  /** When the primary received it (ISO time). */
  receivedAt: string;
  /** From the launching process's start to its arrival here, in ms (null for the first launch). */
  handOffMs: number | null;
}

/** What the preload script exposes as `window.singleInstance`. */
interface SingleInstanceBridge {
  /** Every launch so far, the first one included. */
  launches(): Promise<LaunchRecord[]>;
  /** Calls `listener` for each new launch. */
  onLaunch(listener: (launch: LaunchRecord) => void): void;
}

interface Window {
  singleInstance: SingleInstanceBridge;
}
