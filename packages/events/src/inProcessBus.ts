import type { Logger } from "pino";
import { redeliveryDelay, type ConsumeOptions, type Consumer, type DeadLetter, type EventBus } from "./bus.ts";
import { parseEvent, serializeEvent, type EventEnvelope } from "./envelope.ts";

interface Subscription {
  options: ConsumeOptions;
  /** Serializes deliveries: one event at a time, in publish order, as a JetStream consumer with max_ack_pending 1. */
  tail: Promise<void>;
  pending: number;
  stopped: boolean;
}

export interface InProcessBusOptions {
  logger: Logger;
  /** Waits between redeliveries (tests pass a fast one). @default redeliveryDelay */
  delay?: (attempt: number) => number;
}

/**
 * The embedded bus for `npm start`. Same contract as JetStream: events are
 * serialized and parsed again (so a handler never shares objects with the
 * producer), each durable consumer gets every matching event in order,
 * failures are redelivered with back-off and dead-lettered after
 * maxDeliveries, and the broker drops a second publish of the same event id.
 *
 * publish() resolves only when every consumer has handled (or dead-lettered)
 * the event; the outbox marks a row published after that, so a crash before
 * then republishes it on restart: at-least-once, as with a real broker.
 */
export function createInProcessBus({ logger, delay = redeliveryDelay }: InProcessBusOptions): EventBus & { deadLetters: DeadLetter[] } {
  const log = logger.child({ component: "in-process-bus" });
  const subscriptions = new Map<string, Subscription>();
  const seen = new Map<string, number>();
  const DEDUPE_WINDOW_MS = 120_000;
  const deadLetters: DeadLetter[] = [];

  const deliver = async (subscription: Subscription, data: string) => {
    const { options } = subscription;
    const parsed = parseEvent(data);
    if (!parsed.ok) {
      deadLetters.push({ consumer: options.name, reason: parsed.reason, eventId: parsed.id, type: parsed.type, data, at: new Date().toISOString() });
      log.error({ consumer: options.name, reason: parsed.reason }, "event dead-lettered");
      return;
    }
    const max = options.maxDeliveries ?? 8;
    for (let attempt = 1; ; attempt++) {
      if (subscription.stopped) return;
      try {
        await options.handler(parsed.event, { attempt });
        return;
      } catch (error) {
        if (attempt >= max) {
          const reason = `handler failed ${attempt} times: ${(error as Error).message}`;
          deadLetters.push({ consumer: options.name, reason, eventId: parsed.event.id, type: parsed.event.type, data, at: new Date().toISOString() });
          log.error({ consumer: options.name, eventId: parsed.event.id, err: error }, "event dead-lettered");
          return;
        }
        log.warn({ consumer: options.name, eventId: parsed.event.id, attempt, err: error }, "event handler failed; redelivering");
        await new Promise((resolve) => setTimeout(resolve, delay(attempt)));
      }
    }
  };

  return {
    kind: "in-process",
    deadLetters,
    async publish(event: EventEnvelope) {
      const now = Date.now();
      for (const [id, at] of seen) if (now - at > DEDUPE_WINDOW_MS) seen.delete(id);
      if (seen.has(event.id)) return;
      seen.set(event.id, now);
      const data = serializeEvent(event);
      const deliveries: Promise<void>[] = [];
      for (const subscription of subscriptions.values()) {
        if (subscription.stopped || !subscription.options.types.includes(event.type)) continue;
        subscription.pending++;
        subscription.tail = subscription.tail.then(() => deliver(subscription, data)).finally(() => subscription.pending--);
        deliveries.push(subscription.tail);
      }
      await Promise.all(deliveries);
    },
    async consume(options) {
      if (subscriptions.has(options.name)) throw new Error(`consumer ${options.name} already exists on this bus`);
      const subscription: Subscription = { options, tail: Promise.resolve(), pending: 0, stopped: false };
      subscriptions.set(options.name, subscription);
      return {
        name: options.name,
        lag: async () => subscription.pending,
        async stop() {
          subscription.stopped = true;
          subscriptions.delete(options.name);
          await subscription.tail;
        },
      } satisfies Consumer;
    },
    async close() {
      for (const subscription of subscriptions.values()) subscription.stopped = true;
      await Promise.all([...subscriptions.values()].map((s) => s.tail));
      subscriptions.clear();
    },
  };
}
