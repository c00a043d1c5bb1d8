/**
 * What a subgraph fetch watches to stop early: an AbortSignal, or anything
 * shaped like one (undici accepts either).
 */
export interface AbortWatch {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * A request's deadline and its client's disconnect, as a minimal abort
 * signal: `aborted`, `reason`, and abort listeners, which undici accepts as a
 * request's `signal` (it wants an EventTarget's two methods).
 *
 * Why not an AbortController per request: creating its AbortSignal, with
 * Node's listener bookkeeping, cost about 10 µs per request on Node 20, a
 * tenth of a shallow query's whole CPU in the throughput bench. This is a
 * plain object whose listener list is made only when a fetch waits on it.
 */
export class RequestDeadline implements AbortWatch {
  aborted = false;
  reason: Error | undefined;
  private listeners: (() => void)[] | undefined;

  addEventListener(_type: "abort", listener: () => void): void {
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const index = this.listeners?.indexOf(listener) ?? -1;
    if (index >= 0) this.listeners!.splice(index, 1);
  }

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }
}
