/**
 * The one way a launch reaches its handler in the primary: launches that arrive before a handler
 * is registered wait here and are delivered in arrival order once one is; the handler's return
 * value (or promise) becomes the second instance's reply, checked here once. A launch handed over
 * by a second instance goes to the handler only if its sender still waits (`take`), so one that
 * gave up meanwhile is never delivered.
 */
import { HandlerError, ShutdownError } from './errors.js';
import { type JsonValue, jsonProblem } from './json.js';
import type { Launch, LaunchHandler } from './launch.js';

/** Whether a launch may still be delivered: its sender was told, and still waits. */
export type Take = () => Promise<boolean>;

interface Pending {
  launch: Launch;
  take: Take;
  resolve(value: JsonValue): void;
  reject(error: unknown): void;
}

/** The launch was not delivered: its sender no longer waits for it. */
export class Withdrawn extends Error {
  override name = 'Withdrawn';
}

const always: Take = () => Promise.resolve(true);

/** Holds launches until a handler is registered, then delivers them in order. */
export class LaunchQueue {
  private handler: LaunchHandler | undefined;
  private readonly waiting: Pending[] = [];
  private closed = false;

  /**
   * Delivers a launch now, or queues it until a handler is registered.
   * @param launch - the launch
   * @param take - called right before the handler gets it; the launch is delivered only if it resolves true
   * @returns the reply to send back
   * @throws ShutdownError (rejects) once the queue is closed
   * @throws HandlerError (rejects) when the handler throws or returns what JSON cannot carry
   * @throws Withdrawn (rejects) when `take` said the sender no longer waits
   */
  deliver(launch: Launch, take: Take = always): Promise<JsonValue> {
    if (this.closed) {
      return Promise.reject(new ShutdownError());
    }
    return new Promise((resolve, reject) => {
      const pending = { launch, take, resolve, reject };
      if (this.handler) {
        run(this.handler, pending);
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
  setHandler(handler: LaunchHandler): () => void {
    this.handler = handler;
    for (const pending of this.waiting.splice(0)) {
      run(handler, pending);
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

  /** Whether a launch delivered now goes straight to the handler (none waits before it). */
  get ready(): boolean {
    return this.handler !== undefined && this.waiting.length === 0;
  }

  /** Refuses what still waits (second instances may then start a new primary) and every later launch. */
  close(): void {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) {
      pending.reject(new ShutdownError());
    }
  }
}

function run(handler: LaunchHandler, pending: Pending): void {
  pending
    .take()
    .then((taken) => {
      if (!taken) {
        throw new Withdrawn('the second instance no longer waits for its launch');
      }
      return handler(pending.launch);
    })
    .then((value) => {
      const reply = value ?? null;
      const problem = jsonProblem(reply, 'the reply');
      if (problem) {
        throw HandlerError.failed(`it returned a reply JSON cannot carry: ${problem}`);
      }
      pending.resolve(reply);
    })
    .catch((error: unknown) => pending.reject(error instanceof HandlerError || error instanceof Withdrawn ? error : HandlerError.failed(error)));
}
