import type { Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Consumer, EventBus } from "./bus.ts";
import type { EventType } from "./catalogue.ts";
import type { EventEnvelope } from "./envelope.ts";
import { handleOnce } from "./inbox.ts";
import { eventMetrics } from "./metrics.ts";
import { createOutboxRelay, writeOutbox, type OutboxListener, type OutboxRelay } from "./outbox.ts";
import type { SqlClient, TransactionalClient } from "./sql.ts";
import { withHandleSpan, withProcessSpan } from "./tracing.ts";

export type EventHandlers<Tx> = { [T in EventType]?: (event: EventEnvelope<T>, tx: Tx) => Promise<void> };

/**
 * Work that runs on every delivery of an event BEFORE its inbox transaction
 * opens, outside any transaction: for an external side effect that no
 * database transaction can contain (a card charge). It must be idempotent,
 * since it runs again on redeliveries and duplicates; throwing fails the
 * delivery, so the bus redelivers it later.
 */
export type BeforeTransactionSteps = { [T in EventType]?: (event: EventEnvelope<T>) => Promise<void> };

export interface SubscribeOptions {
  beforeTransaction?: BeforeTransactionSteps;
}

export interface ServiceEventsOptions<Tx extends SqlClient> {
  service: string;
  db: TransactionalClient<Tx>;
  /**
   * The relay's SQL (outside any transaction): the same database as `db`,
   * perhaps by a cheaper path than the Prisma client. @default db
   */
  relayDb?: SqlClient;
  bus: EventBus;
  logger: Logger;
  registry?: Registry;
  /** @default 500 */
  pollIntervalMs?: number;
  /** Notifications of events other instances write (the relay then polls only as a safety net). @default none */
  listener?: OutboxListener;
  /** Events each consumer handles at once in this instance (ConsumeOptions.concurrency). @default the bus's: one per partition */
  consumerConcurrency?: number;
  /**
   * The service's tracer: the relay's `publish <Type>` spans, and for each
   * delivery a `process <Type>` span (in the trace the event came from)
   * holding a `handle <Type>` span around the inbox transaction, so the
   * events a handler emits continue that trace. @default none: no span work
   */
  tracer?: Tracer;
}

export interface ServiceEvents<Tx extends SqlClient> {
  readonly relay: OutboxRelay;
  /** Adds events to the outbox in the caller's transaction. */
  emit(tx: Tx, ...events: EventEnvelope[]): Promise<void>;
  /** Call after a transaction that emitted events has committed: publishes now rather than at the next poll. */
  committed(): void;
  /**
   * A durable consumer `<service>-<name>` whose handlers run exactly once per
   * event, each in one transaction with its inbox row; events a handler emits
   * go out through the same outbox.
   */
  subscribe(name: string, handlers: EventHandlers<Tx>, options?: SubscribeOptions): Promise<Consumer>;
  /** Starts the relay. Call once every service on the bus has subscribed. */
  start(): void;
  stop(): Promise<void>;
}

/** One service's view of the event system: its outbox, its relay, its consumers. */
export function createServiceEvents<Tx extends SqlClient>({ service, db, relayDb = db, bus, logger, registry, pollIntervalMs, listener, consumerConcurrency, tracer }: ServiceEventsOptions<Tx>): ServiceEvents<Tx> {
  const metrics = registry ? eventMetrics(registry) : undefined;
  const log = logger.child({ component: "events" });
  const relay = createOutboxRelay({ db: relayDb, bus, service, logger, metrics, pollIntervalMs, listener, tracer });
  const consumers: Consumer[] = [];
  metrics?.trackOutbox({ service, pending: () => relay.pending() });
  /** Events written so far: a handling after which it has not moved wrote none, and wakes no relay round for nothing. */
  let emitted = 0;

  return {
    relay,
    emit: (tx, ...events) => {
      emitted += events.length;
      return writeOutbox(tx, events);
    },
    committed: () => relay.notify(),
    async subscribe(name, handlers, { beforeTransaction = {} } = {}) {
      const consumerName = `${service}-${name}`;
      const types = Object.keys(handlers) as EventType[];
      const consumer = await bus.consume({
        name: consumerName,
        types,
        ...(consumerConcurrency ? { concurrency: consumerConcurrency } : {}),
        handler: async (event, delivery) => {
          const handle = handlers[event.type] as ((event: EventEnvelope, tx: Tx) => Promise<void>) | undefined;
          if (!handle) return;
          const before = beforeTransaction[event.type] as ((event: EventEnvelope) => Promise<void>) | undefined;
          const work = async () => {
            await before?.(event);
            // Handlers run side by side (one per partition): another's emit may move the count too, which costs one round, never a missed one.
            const emittedBefore = emitted;
            const once = () => handleOnce(db, consumerName, event, (tx) => handle(event, tx));
            const outcome = tracer ? await withHandleSpan(tracer, consumerName, event, once) : await once();
            metrics?.consumed.inc({ consumer: consumerName, type: event.type, outcome });
            if (outcome === "duplicate") log.debug({ consumer: consumerName, eventId: event.id }, "duplicate event ignored");
            if (emitted !== emittedBefore) relay.notify();
          };
          if (!tracer) return work();
          // Both steps run in the delivery's span: what the handler emits records it as its cause.
          return withProcessSpan(tracer, { consumer: consumerName, bus, event, delivery }, work);
        },
      });
      consumers.push(consumer);
      metrics?.trackConsumer(consumer);
      return consumer;
    },
    start: () => relay.start(),
    async stop() {
      for (const consumer of consumers.splice(0)) {
        metrics?.untrackConsumer(consumer);
        await consumer.stop();
      }
      await relay.stop();
    },
  };
}
