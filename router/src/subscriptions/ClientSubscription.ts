import type { FormattedExecutionResult, GraphQLError } from "../graphql.ts";
import type { ShapedResult } from "../shaping/shapeResponse.ts";
import type { UpstreamSink } from "./UpstreamPool.ts";

/** The bounded outgoing queue a client subscription draws from; shared by all subscriptions of one connection. */
export interface OutgoingQueue {
  /** Takes a slot for one more event, or answers false when the queue is full (the connection is then being dropped). */
  take(): boolean;
  /** Gives back `count` slots. */
  give(count: number): void;
}

export interface ClientSubscriptionOptions {
  queue: OutgoingQueue;
  /** Joins the upstream stream; returns the function that leaves it. */
  open(sink: UpstreamSink): () => void;
  /** Turns one upstream event into the client's payload (runs the plan's `rest`). Never rejects. */
  execute(event: FormattedExecutionResult): Promise<ShapedResult>;
  /**
   * Called at every pull. graphql-ws pulls again only once the previous
   * payload was written to the socket: tracing ends that event's span here.
   */
  onPull?(): void;
  /** Called exactly once, when the subscription ends for whatever reason. */
  onEnd(end: SubscriptionEnd): void;
}

/**
 * Why a client subscription ended: the client left (Complete, or its socket
 * closed), the upstream stream ended (with errors when it failed), or the
 * router dropped the client's connection (`reason`: the disconnect metric's label).
 */
export type SubscriptionEnd = { by: "client" } | { by: "upstream"; errors?: readonly GraphQLError[] | undefined } | { by: "router"; reason: string };

const BY_CLIENT: SubscriptionEnd = { by: "client" };

/** Thrown from next() to end a client's subscription with these errors (sent as one graphql-ws Error message). */
export class SubscriptionEndedError extends Error {
  override readonly name = "SubscriptionEndedError";
  constructor(readonly errors: readonly GraphQLError[]) {
    super(errors[0]?.message ?? "The subscription ended");
  }
}

type Item = { kind: "event"; event: FormattedExecutionResult } | { kind: "end"; errors: readonly GraphQLError[] | undefined };

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * One client subscription, as the AsyncIterator graphql-ws's server pulls
 * from. Upstream events are queued as they arrive and executed one at a
 * time when graphql-ws asks for the next payload, which it does only after
 * the previous one was written to the socket: so payloads leave in the order
 * events arrived, and a client that reads slowly makes the queue grow
 * (bounded by the connection's OutgoingQueue) instead of the router's
 * memory without end.
 */
export class ClientSubscription implements AsyncIterableIterator<ShapedResult> {
  private readonly items: Item[] = [];
  private wake: (() => void) | undefined;
  private finished = false;
  private readonly leave: () => void;

  constructor(private readonly options: ClientSubscriptionOptions) {
    this.leave = options.open({
      next: (event) => this.push({ kind: "event", event }),
      end: (errors) => this.push({ kind: "end", errors }),
    });
  }

  get done(): boolean {
    return this.finished;
  }

  async next(): Promise<IteratorResult<ShapedResult, undefined>> {
    this.options.onPull?.();
    for (;;) {
      if (this.finished) return DONE;
      const item = this.items.shift();
      if (!item) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      if (item.kind === "end") {
        // Events queued before the end were delivered first: the end keeps its place in the order.
        this.finish({ by: "upstream", errors: item.errors });
        if (item.errors?.length) throw new SubscriptionEndedError(item.errors);
        return DONE;
      }
      this.options.queue.give(1);
      const value = await this.options.execute(item.event);
      // The client may have completed (or been dropped) while the plan ran.
      if (this.finished) return DONE;
      return { done: false, value };
    }
  }

  async return(): Promise<IteratorResult<ShapedResult, undefined>> {
    this.finish();
    return DONE;
  }

  async throw(): Promise<IteratorResult<ShapedResult, undefined>> {
    this.finish();
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the subscription now: queued events are dropped, the upstream is left, a waiting next() returns done. */
  finish(end: SubscriptionEnd = BY_CLIENT): void {
    if (this.finished) return;
    this.finished = true;
    const dropped = this.items.filter((item) => item.kind === "event").length;
    this.items.length = 0;
    this.options.queue.give(dropped);
    this.leave();
    this.wake?.();
    this.wake = undefined;
    this.options.onEnd(end);
  }

  private push(item: Item): void {
    if (this.finished) return;
    if (item.kind === "event" && !this.options.queue.take()) return;
    this.items.push(item);
    this.wake?.();
    this.wake = undefined;
  }
}
