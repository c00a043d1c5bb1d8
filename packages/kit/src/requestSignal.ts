import { AsyncLocalStorage } from "node:async_hooks";
import { ERRORS } from "./errors.ts";

const storage = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `fn` with `signal` as the current request's: everything `fn` starts
 * (resolvers, DataLoader batches scheduled from them) sees it through
 * `requestSignal()`, without every subgraph passing it down by hand.
 */
export function runWithRequestSignal<T>(signal: AbortSignal, fn: () => T): T {
  return storage.run(signal, fn);
}

/** The signal of the request being served here, if it came over HTTP. */
export function requestSignal(): AbortSignal | undefined {
  return storage.getStore();
}

/** Throws REQUEST_TIMEOUT when the router has given up on the current request: work not started yet is not started. */
export function throwIfRequestAborted(): void {
  if (storage.getStore()?.aborted) throw ERRORS.REQUEST_TIMEOUT.err("The router gave up on this request");
}
