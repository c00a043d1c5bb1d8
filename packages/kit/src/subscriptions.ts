import type { EventBus, EventEnvelope, EventType, LiveListener } from "@store/events";
import { ERRORS } from "./errors.ts";
import { silentLogger, type Logger } from "./logger.ts";

/** What a subscription's `subscribe` resolver returns: graphql-ws calls return() when the client unsubscribes. */
export interface EventIterator<T> extends AsyncIterableIterator<T> {
  return(): Promise<IteratorResult<T, undefined>>;
  throw(error?: unknown): Promise<IteratorResult<T, undefined>>;
}

export interface EventIteratorOptions {
  /**
   * Values held for a subscriber that reads slower than they arrive. One more
   * ends the iterator with SUBSCRIPTION_OVERFLOW (what was queued is dropped):
   * memory stays bounded, and the subscriber learns that it missed events
   * instead of silently falling further behind.
   * @default 100
   */
  maxQueue?: number;
  /** Where a listener that fails to close is reported; an unsubscribe never fails because of it. @default silentLogger */
  logger?: Logger;
}

/** Starts a live source: `push` each value, `fail` once when the source dies. Resolves once the source is live. */
export type StartListening<T> = (push: (value: T) => void, fail: (error: Error) => void) => Promise<LiveListener>;

export const DEFAULT_SUBSCRIPTION_QUEUE = 100;

/**
 * Turns a push source (a bus listener) into the pull-based AsyncIterator a
 * GraphQL subscription resolver returns. Resolves once the source is live, so
 * nothing published after the subscribe resolver returned is missed.
 *
 * The listener is closed exactly once, whichever comes first: the client
 * unsubscribing (return()), an error (throw(), overflow, a dead source).
 */
export async function eventIterator<T>(listen: StartListening<T>, { maxQueue = DEFAULT_SUBSCRIPTION_QUEUE, logger = silentLogger }: EventIteratorOptions = {}): Promise<EventIterator<T>> {
  if (!Number.isInteger(maxQueue) || maxQueue < 1) throw new RangeError(`maxQueue must be a positive integer, got ${maxQueue}`);
  const queue: T[] = [];
  const readers: { resolve(result: IteratorResult<T, undefined>): void; reject(error: unknown): void }[] = [];
  let finished = false;
  let failure: Error | undefined;
  let listener: LiveListener | undefined;
  let closing: Promise<void> | undefined;

  const release = (): Promise<void> => {
    // Before listen() resolved there is nothing to close yet; it is closed as soon as it arrives (below).
    if (!listener) return Promise.resolve();
    const open = listener;
    return (closing ??= open.close().catch((error: unknown) => logger.error({ err: error }, "could not close a subscription's event listener")));
  };

  const finish = () => {
    finished = true;
    queue.length = 0;
    for (const reader of readers.splice(0)) reader.resolve({ done: true, value: undefined });
    return release();
  };

  const fail = (error: Error) => {
    if (finished || failure) return;
    failure = error;
    // A reader waiting means the queue is empty: it gets the error now; otherwise the queue drains first.
    const reader = readers.shift();
    if (reader) {
      finished = true;
      reader.reject(error);
      for (const other of readers.splice(0)) other.resolve({ done: true, value: undefined });
    }
    void release();
  };

  const push = (value: T) => {
    if (finished || failure) return;
    const reader = readers.shift();
    if (reader) return reader.resolve({ done: false, value });
    if (queue.length < maxQueue) {
      queue.push(value);
      return;
    }
    // Dropped rather than drained: a subscriber this far behind should hear at once that it lost events.
    queue.length = 0;
    fail(ERRORS.SUBSCRIPTION_OVERFLOW.err(`The subscriber fell more than ${maxQueue} events behind; subscribe again`, { extensions: { maxQueue } }));
  };

  listener = await listen(push, fail);
  // Failed (or overflowed) while listen() was still resolving.
  if (failure) void release();

  const iterator: EventIterator<T> = {
    next() {
      if (queue.length > 0) return Promise.resolve({ done: false, value: queue.shift()! });
      if (failure && !finished) {
        finished = true;
        return Promise.reject(failure);
      }
      if (finished || failure) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve, reject) => readers.push({ resolve, reject }));
    },
    async return() {
      await finish();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

export interface LiveEvents {
  /**
   * The events of these types that pass `accept`, published from now on, as a
   * subscription source. `accept` runs on the bus's delivery path for every
   * event of the types: keep it a cheap, synchronous check of the payload.
   */
  listen<T extends EventType>(types: readonly T[], accept?: (event: EventEnvelope<T>) => boolean): Promise<EventIterator<EventEnvelope<T>>>;
}

export interface LiveEventsOptions {
  /** Per subscription; see EventIteratorOptions.maxQueue. @default 100 */
  maxQueue?: number;
  logger?: Logger;
}

/** What a subgraph's subscription resolvers read from: the bus's live view, bounded per subscriber. */
export function createLiveEvents(bus: EventBus, { maxQueue, logger }: LiveEventsOptions = {}): LiveEvents {
  return {
    listen: <T extends EventType>(types: readonly T[], accept: (event: EventEnvelope<T>) => boolean = () => true) =>
      eventIterator<EventEnvelope<T>>(
        (push, fail) =>
          bus.listen(
            types,
            (event) => {
              // The bus delivers only the types asked for.
              const typed = event as EventEnvelope<T>;
              if (accept(typed)) push(typed);
            },
            { onError: fail },
          ),
        { maxQueue, logger },
      ),
  };
}
