import { Counter, Gauge, type Registry } from "prom-client";

interface LagSource {
  name: string;
  lag(): Promise<number>;
}
interface PendingSource {
  service: string;
  pending(): Promise<number>;
}

export interface EventMetrics {
  published: Counter<"type">;
  consumed: Counter<"consumer" | "type" | "outcome">;
  deadLettered: Counter<"consumer" | "reason">;
  consumerLag: Gauge<"consumer">;
  outboxPending: Gauge<"service">;
  /** Reports this consumer's lag at every scrape. */
  trackConsumer(consumer: LagSource): void;
  untrackConsumer(consumer: LagSource): void;
  /** Reports this relay's pending rows at every scrape. */
  trackOutbox(source: PendingSource): void;
}

const cache = new WeakMap<Registry, EventMetrics>();

/** Event metrics on a service's registry (one set per registry, however many callers ask). */
export function eventMetrics(registry: Registry): EventMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const consumers = new Set<LagSource>();
  const outboxes = new Set<PendingSource>();
  const metrics: EventMetrics = {
    published: new Counter({ name: "events_published_total", help: "Events published from the outbox", labelNames: ["type"], registers: [registry] }),
    consumed: new Counter({ name: "events_consumed_total", help: "Events handled by consumers, by outcome (handled, duplicate)", labelNames: ["consumer", "type", "outcome"], registers: [registry] }),
    deadLettered: new Counter({ name: "events_dead_lettered_total", help: "Events sent to the dead-letter subject", labelNames: ["consumer", "reason"], registers: [registry] }),
    // Lag and backlog are read when Prometheus scrapes, not on a timer.
    consumerLag: new Gauge({
      name: "events_consumer_lag",
      help: "Events published for a consumer and not yet acknowledged",
      labelNames: ["consumer"],
      registers: [registry],
      async collect() {
        for (const consumer of consumers) this.set({ consumer: consumer.name }, await consumer.lag().catch(() => Number.NaN));
      },
    }),
    outboxPending: new Gauge({
      name: "events_outbox_pending",
      help: "Outbox rows not yet published",
      labelNames: ["service"],
      registers: [registry],
      async collect() {
        for (const outbox of outboxes) this.set({ service: outbox.service }, await outbox.pending().catch(() => Number.NaN));
      },
    }),
    trackConsumer: (c) => void consumers.add(c),
    untrackConsumer: (c) => void consumers.delete(c),
    trackOutbox: (o) => void outboxes.add(o),
  };
  cache.set(registry, metrics);
  return metrics;
}
