import type { EventType } from "./catalogue.ts";
import type { AnyEventEnvelope, EventEnvelope } from "./envelope.ts";
import type { TraceContext } from "./tracing.ts";

export interface EventDelivery {
  /** 1 for the first delivery of an event to this consumer, then 2, 3... */
  attempt: number;
  /** A failure of this attempt dead-letters the event rather than redelivering it. */
  lastAttempt: boolean;
  /**
   * The trace context the transport carried beside the event (a NATS
   * header; in process, the publisher's): the relay's publish span. Valid
   * or absent, never malformed. The bus only carries it; restoring it is
   * the consumer's business (createServiceEvents), which falls back to the
   * envelope's own when there is none.
   */
  trace?: TraceContext;
}

/** A handler's outcome decides the ack: returning acks; throwing retries (later), then dead-letters. */
export type EventHandler = (event: AnyEventEnvelope, delivery: EventDelivery) => Promise<void>;

export interface ConsumeOptions {
  /**
   * Durable consumer name, e.g. "inventory-orders". Instances of one service
   * share it, so each event is handled once per service, not once per process.
   */
  name: string;
  types: readonly EventType[];
  handler: EventHandler;
  /** Deliveries before an event that keeps failing is dead-lettered. @default 8 */
  maxDeliveries?: number;
  /**
   * Events this instance handles at once, across partitions (NATS): each
   * handler holds a database connection, which the service's requests need
   * too. @default one per partition
   */
  concurrency?: number;
}

export interface Consumer {
  readonly name: string;
  /** Events published for this consumer and not yet acknowledged. */
  lag(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Receives a live event. Runs on the bus's delivery path, so it must not
 * block: hand the event on (push it into a queue) and return. A throw is
 * logged and the event is skipped for this listener only.
 */
export type LiveEventHandler = (event: AnyEventEnvelope) => void;

export interface LiveListenOptions {
  /**
   * Called at most once when the bus ends this listener on its own (the
   * broker's feed failed for good): nothing more will arrive, and a
   * subscription built on it must end with an error rather than stall
   * silently. Not called for close(), nor when the whole bus is closed.
   */
  onError?(error: Error): void;
}

export interface LiveListener {
  /** Stops delivery to this listener; no event reaches it once this resolves. */
  close(): Promise<void>;
}

export interface DeadLetter {
  consumer: string;
  reason: string;
  eventId?: string;
  type?: string;
  /** The message exactly as it arrived. */
  data: string;
  at: string;
}

/**
 * What services publish to and consume from. Two implementations with the
 * same semantics: NATS JetStream, and an in-process bus for `npm start` where
 * every service runs in one process. consume() is durable and at-least-once;
 * listen() is a live, at-most-once view.
 */
export interface EventBus {
  readonly kind: "nats" | "in-process";
  /**
   * Resolves once the broker has the event (JetStream ack; in process: every
   * consumer has handled it). The active span's trace context travels with
   * it to consumers (EventDelivery.trace).
   */
  publish(event: EventEnvelope): Promise<void>;
  consume(options: ConsumeOptions): Promise<Consumer>;
  /**
   * A live view of the stream, for GraphQL subscriptions: every event of
   * these types published after this resolves (by any instance) reaches every
   * listener on every instance, in publish order, at most once. Unlike
   * consume(), nothing is shared between instances of a service, acknowledged
   * or redelivered, and nothing published before the call is replayed.
   */
  listen(types: readonly EventType[], handler: LiveEventHandler, options?: LiveListenOptions): Promise<LiveListener>;
  /**
   * A round trip to the broker, for health checks: rejects when it is
   * unreachable (NATS: disconnected, closed, or no answer in time); in
   * process it resolves at once.
   */
  ping(): Promise<{ latencyMs: number }>;
  close(): Promise<void>;
}

/** Back-off between redeliveries of a failing event: 100 ms doubling to 10 s. */
export function redeliveryDelay(attempt: number): number {
  return Math.min(10_000, 100 * 2 ** Math.max(0, attempt - 1));
}
