import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Logger } from "pino";
import { redeliveryDelay, type ConsumeOptions, type Consumer, type DeadLetter, type EventBus, type LiveEventHandler } from "./bus.ts";
import type { EventType } from "./catalogue.ts";
import { parseEvent, serializeEvent, type EventEnvelope } from "./envelope.ts";
import { activeTraceContext, traceContextOf, type TraceContext } from "./tracing.ts";

interface Listener {
  types: readonly EventType[];
  handler: LiveEventHandler;
}

interface Subscription {
  options: ConsumeOptions;
  /** Serializes deliveries: one event at a time, in publish order (stricter than NATS, which keeps order per partition). */
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
 *
 * Live listeners are called synchronously inside publish(), before durable
 * consumers run: that keeps them in publish order whatever the consumers do,
 * as a JetStream ordered consumer sees the stream's order.
 *
 * The publisher's trace context (its active span, else the envelope's)
 * reaches handlers as `delivery.trace`, as a NATS header would; handlers
 * run outside the publisher's async context, as they would in another
 * process, so nothing else of it leaks into them.
 */
export function createInProcessBus({ logger, delay = redeliveryDelay }: InProcessBusOptions): EventBus & {
  deadLetters: DeadLetter[];
  /** Live listeners open right now: lets tests prove an unsubscribe released its listener. */
  listenerCount(): number;
} {
  const log = logger.child({ component: "in-process-bus" });
  const subscriptions = new Map<string, Subscription>();
  const seen = new Map<string, number>();
  const DEDUPE_WINDOW_MS = 120_000;
  const deadLetters: DeadLetter[] = [];
  const listeners = new Set<Listener>();

  const deliver = async (subscription: Subscription, data: string, trace: TraceContext | undefined) => {
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
        await context.with(ROOT_CONTEXT, () => options.handler(parsed.event, { attempt, lastAttempt: attempt >= max, trace }));
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

  const notifyListeners = (eventId: string, data: string) => {
    // Parsed once from the wire form, like a consumer's copy: listeners never
    // share objects with the producer (they may share one with each other).
    const parsed = parseEvent(data);
    if (!parsed.ok) {
      log.error({ eventId, reason: parsed.reason }, "live event dropped");
      return;
    }
    // A snapshot: a handler may close its own listener, or another, while called.
    for (const listener of [...listeners]) {
      if (!listeners.has(listener) || !listener.types.includes(parsed.event.type)) continue;
      try {
        listener.handler(parsed.event);
      } catch (error) {
        log.error({ eventId, err: error }, "live listener failed");
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
      const trace = activeTraceContext() ?? traceContextOf(event);
      if (listeners.size > 0) notifyListeners(event.id, data);
      const deliveries: Promise<void>[] = [];
      for (const subscription of subscriptions.values()) {
        if (subscription.stopped || !subscription.options.types.includes(event.type)) continue;
        subscription.pending++;
        subscription.tail = subscription.tail.then(() => deliver(subscription, data, trace)).finally(() => subscription.pending--);
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
    async listen(types, handler) {
      const listener: Listener = { types: [...types], handler };
      listeners.add(listener);
      return {
        async close() {
          listeners.delete(listener);
        },
      };
    },
    listenerCount: () => listeners.size,
    async ping() {
      return { latencyMs: 0 };
    },
    async close() {
      listeners.clear();
      for (const subscription of subscriptions.values()) subscription.stopped = true;
      await Promise.all([...subscriptions.values()].map((s) => s.tail));
      subscriptions.clear();
    },
  };
}
