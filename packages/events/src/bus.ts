import type { EventType } from "./catalogue.ts";
import type { AnyEventEnvelope, EventEnvelope } from "./envelope.ts";

/** A handler's outcome decides the ack: returning acks; throwing retries (later), then dead-letters. */
export type EventHandler = (event: AnyEventEnvelope, delivery: { attempt: number }) => Promise<void>;

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
}

export interface Consumer {
  readonly name: string;
  /** Events published for this consumer and not yet acknowledged. */
  lag(): Promise<number>;
  stop(): Promise<void>;
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
 * same at-least-once semantics: NATS JetStream, and an in-process bus for
 * `npm start` where every service runs in one process.
 */
export interface EventBus {
  readonly kind: "nats" | "in-process";
  /** Resolves once the broker has the event (JetStream ack; in process: every consumer has handled it). */
  publish(event: EventEnvelope): Promise<void>;
  consume(options: ConsumeOptions): Promise<Consumer>;
  close(): Promise<void>;
}

/** Back-off between redeliveries of a failing event: 100 ms doubling to 10 s. */
export function redeliveryDelay(attempt: number): number {
  return Math.min(10_000, 100 * 2 ** Math.max(0, attempt - 1));
}
