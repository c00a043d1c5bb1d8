import { context, ROOT_CONTEXT, type Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { EventBus } from "./bus.ts";
import type { EventEnvelope } from "./envelope.ts";
import type { EventMetrics } from "./metrics.ts";
import type { SqlClient } from "./sql.ts";
import { activeTraceContext, withPublishSpan } from "./tracing.ts";

/**
 * Writes events to the outbox inside the caller's transaction: they exist
 * if and only if the change they describe was committed. The envelope (in
 * the row's jsonb) keeps the trace context it was created in; one created
 * outside any span takes the writing transaction's.
 */
export async function writeOutbox(tx: SqlClient, events: readonly EventEnvelope[]): Promise<void> {
  for (const created of events) {
    const event = created.traceparent ? created : { ...created, ...activeTraceContext() };
    await tx.$executeRawUnsafe(
      `INSERT INTO "OutboxEvent" ("id", "type", "envelope", "occurredAt") VALUES ($1::uuid, $2, $3::jsonb, $4::timestamptz)`,
      event.id,
      event.type,
      JSON.stringify(event),
      event.occurredAt,
    );
  }
}

export interface OutboxRelayOptions {
  db: SqlClient;
  bus: EventBus;
  /** Service name, for logs and metrics. */
  service: string;
  logger: Logger;
  metrics?: EventMetrics;
  /** Poll for rows written by other instances or missed notifications. @default 500 */
  pollIntervalMs?: number;
  /** @default 100 */
  batchSize?: number;
  /** Longest wait between publish retries while the broker is down. @default 10000 */
  maxBackoffMs?: number;
  /**
   * Makes a PRODUCER span `publish <Type>` per published row, in the trace
   * of the transaction that wrote it. @default none: no span work at all
   */
  tracer?: Tracer;
}

export interface OutboxRelay {
  start(): void;
  /** Publish soon: call after committing a transaction that wrote events. */
  notify(): void;
  /** Resolves when nothing is pending (tests). */
  drain(timeoutMs?: number): Promise<void>;
  /** Rows not yet published. */
  pending(): Promise<number>;
  stop(): Promise<void>;
}

interface Row {
  id: string;
  envelope: EventEnvelope;
  attempts: number;
}

/**
 * Publishes pending outbox rows in commit order (by position), marking each
 * published only after the bus accepted it. While the broker is unreachable
 * it retries the oldest row with back-off, so order is kept and nothing is
 * skipped; after a restart it simply resumes from the unpublished rows.
 *
 * A crash between publish and mark republishes one event: the broker drops
 * it by event id (JetStream duplicate window) and consumers by their inbox.
 */
export function createOutboxRelay({ db, bus, service, logger, metrics, pollIntervalMs = 500, batchSize = 100, maxBackoffMs = 10_000, tracer }: OutboxRelayOptions): OutboxRelay {
  const log = logger.child({ component: "outbox-relay" });
  const publish = tracer ? (event: EventEnvelope) => withPublishSpan(tracer, bus, event, () => bus.publish(event)) : (event: EventEnvelope) => bus.publish(event);
  let running = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let failures = 0;
  const idleWaiters = new Set<() => void>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  /** Publishes one batch; returns how many rows it published, or -1 when it hit a failure. */
  const publishBatch = async (): Promise<number> => {
    const rows = await db.$queryRawUnsafe<Row[]>(
      `SELECT "id"::text AS "id", "envelope", "attempts" FROM "OutboxEvent" WHERE "publishedAt" IS NULL ORDER BY "position" LIMIT $1`,
      batchSize,
    );
    for (const row of rows) {
      try {
        await publish(row.envelope);
      } catch (error) {
        failures++;
        await db
          .$executeRawUnsafe(`UPDATE "OutboxEvent" SET "attempts" = "attempts" + 1, "lastError" = $2 WHERE "id" = $1::uuid`, row.id, String((error as Error).message).slice(0, 500))
          .catch(() => {});
        if (failures === 1 || failures % 20 === 0) log.warn({ service, eventId: row.id, failures, err: error }, "publish failed; will retry");
        return -1;
      }
      await db.$executeRawUnsafe(`UPDATE "OutboxEvent" SET "publishedAt" = now() WHERE "id" = $1::uuid`, row.id);
      metrics?.published.inc({ type: row.envelope.type });
      if (failures > 0) log.info({ service, failures }, "publishing again");
      failures = 0;
    }
    return rows.length;
  };

  const run = async () => {
    while (running) {
      let published = 0;
      try {
        published = await publishBatch();
      } catch (error) {
        // The database itself failed (restart, network): same back-off.
        failures++;
        log.warn({ service, err: error }, "outbox read failed; will retry");
        published = -1;
      }
      if (published === batchSize) continue;
      if (published >= 0) for (const resolve of idleWaiters) resolve();
      await sleep(published < 0 ? Math.min(maxBackoffMs, 100 * 2 ** Math.min(failures, 10)) : pollIntervalMs);
    }
  };

  return {
    start() {
      if (running) return;
      running = true;
      // A loop of its own, whoever started it: outside any span active at start(), so no publish joins a trace it does not belong to.
      loop = context.with(ROOT_CONTEXT, run);
    },
    notify() {
      wake?.();
    },
    async drain(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await this.pending()) > 0) {
        if (Date.now() > deadline) throw new Error(`${service} outbox did not drain within ${timeoutMs} ms`);
        wake?.();
        await new Promise<void>((resolve) => {
          idleWaiters.add(resolve);
          setTimeout(resolve, 100);
        });
        idleWaiters.clear();
      }
    },
    async pending() {
      const [row] = await db.$queryRawUnsafe<{ count: bigint | number }[]>(`SELECT count(*) AS "count" FROM "OutboxEvent" WHERE "publishedAt" IS NULL`);
      return Number(row?.count ?? 0);
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
