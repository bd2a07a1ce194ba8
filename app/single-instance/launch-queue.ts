/**
 * The primary's side of delivery: launches that arrive before a handler is registered wait
 * here and are delivered in arrival order once one is; the handler's return value (or
 * promise) becomes the second instance's reply. The Electron layer holds its launches in one
 * too, until the app has a window.
 */
import { HandlerError, ShutdownError } from './errors.js';
import { type JsonValue, jsonProblem } from './json.js';
import type { Launch } from './launch.js';

/** Receives a launch of type `L`; returns (or resolves) the reply. */
// A handler with no return statement (`void`) must be accepted: it replies null.
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export type Handler<L extends Launch> = (launch: L) => JsonValue | void | Promise<JsonValue | void>;

interface Pending<L> {
  launch: L;
  resolve(value: JsonValue): void;
  reject(error: unknown): void;
}

/** Holds launches until a handler is registered, then delivers them in order. */
export class LaunchQueue<L extends Launch = Launch> {
  private handler: Handler<L> | undefined;
  private readonly waiting: Pending<L>[] = [];
  private closed = false;

  /**
   * Delivers a launch now, or queues it until a handler is registered.
   * @param launch - the verified launch
   * @returns the reply to send back
   */
  deliver(launch: L): Promise<JsonValue> {
    if (this.closed) {
      return Promise.reject(new ShutdownError());
    }
    return new Promise((resolve, reject) => {
      const pending = { launch, resolve, reject };
      if (this.handler) {
        this.run(this.handler, pending);
      } else {
        this.waiting.push(pending);
      }
    });
  }

  /**
   * Registers the handler (replacing any earlier one) and delivers what was waiting.
   * @param handler - receives each launch
   * @returns a function that unregisters it; later launches wait again
   */
  setHandler(handler: Handler<L>): () => void {
    this.handler = handler;
    for (const pending of this.waiting.splice(0)) {
      this.run(handler, pending);
    }
    return () => {
      if (this.handler === handler) {
        this.handler = undefined;
      }
    };
  }

  /** How many launches wait for a handler. */
  get size(): number {
    return this.waiting.length;
  }

  /** Refuses what still waits (the second instances may then start a new primary) and all later launches. */
  close(): void {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) {
      pending.reject(new ShutdownError());
    }
  }

  private run(handler: Handler<L>, pending: Pending<L>): void {
    Promise.resolve()
      .then(() => handler(pending.launch))
      .then((value) => {
        const reply = value ?? null;
        const problem = jsonProblem(reply, 'the reply');
        if (problem) {
          throw HandlerError.failed(`it returned a reply JSON cannot carry: ${problem}`);
        }
        pending.resolve(reply);
      })
      .catch((error: unknown) => pending.reject(error instanceof HandlerError ? error : HandlerError.failed(error)));
  }
}
