import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
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
  if (events.length === 0) return;
  // One statement for all of them (a reservation writes StockReserved and a
  // StockChanged per product): rows take their positions in this order.
  const values: unknown[] = [];
  const rows = events.map((created) => {
    const event = created.traceparent ? created : { ...created, ...activeTraceContext() };
    const at = values.push(event.id, event.type, JSON.stringify(event), event.occurredAt);
    return `($${at - 3}::uuid, $${at - 2}, $${at - 1}::jsonb, $${at}::timestamptz)`;
  });
  // The same statement tells the relays listening on this database (OUTBOX_CHANNEL); PostgreSQL delivers it at commit, and never for a rollback.
  await tx.$executeRawUnsafe(
    `WITH written AS (INSERT INTO "OutboxEvent" ("id", "type", "envelope", "occurredAt") VALUES ${rows.join(", ")} RETURNING 1) SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM written LIMIT 1`,
    ...values,
  );
}

/** The PostgreSQL channel writeOutbox notifies on, and relays LISTEN on: events wait in the outbox. */
export const OUTBOX_CHANNEL = "store_outbox";

/**
 * Wakes a relay when another connection (another instance) writes events:
 * PostgreSQL's LISTEN on OUTBOX_CHANNEL, on a connection of its own. While
 * `listening` is true the relay's poll is a slow safety net; while it is
 * false (not connected yet, or reconnecting) the relay polls at its usual pace.
 */
export interface OutboxListener {
  readonly listening: boolean;
  /** Starts listening; `wake` is called for each notification. */
  start(wake: () => void): void;
  stop(): Promise<void>;
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
  /**
   * Notifications of events written by other instances (LISTEN): with one
   * listening, the relay polls only every `notifiedPollIntervalMs`.
   * @default none: poll every pollIntervalMs
   */
  listener?: OutboxListener;
  /**
   * The safety-net poll while the listener listens. The relay also renews its
   * lease on each poll, so it polls at least every `leaseMs / 4` (2.5 s at the
   * default lease) whatever this says. @default 5000
   */
  notifiedPollIntervalMs?: number;
  /** Longest wait between publish retries while the broker is down. @default 10000 */
  maxBackoffMs?: number;
  /**
   * Makes a PRODUCER span `publish <Type>` per published row, in the trace
   * of the transaction that wrote it. @default none: no span work at all
   */
  tracer?: Tracer;
  /** This relay's name in the lease (unique per instance). @default host, process and a random suffix */
  instance?: string;
  /**
   * How long the lease lasts unless renewed: the longest an outbox waits
   * for another instance after its relay died without letting go. @default 10000
   */
  leaseMs?: number;
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

/** The lease's row in OutboxLease: one per outbox, so one per service database. */
const LEASE = "relay";

/**
 * Publishes pending outbox rows in commit order (by position), marking each
 * published only after the bus accepted it. While the broker is unreachable
 * it retries the oldest row with back-off, so order is kept and nothing is
 * skipped; after a restart it simply resumes from the unpublished rows.
 *
 * Every instance of a service runs a relay, and one at a time publishes: the
 * one holding the lease (a row in OutboxLease, renewed on every round, taken
 * over only once it expired). The others stand by and take over within
 * `leaseMs` of the holder's death, or at once when it stops cleanly. So
 * batches never overlap and the outbox goes out in one order.
 *
 * A crash between publish and mark republishes that event, and a holder
 * stalled past its lease (it stops publishing once its own deadline, a fifth
 * of the lease short of the database's, has passed) could too: the broker
 * drops it by event id (JetStream duplicate window) and consumers by their inbox.
 */
export function createOutboxRelay({
  db,
  bus,
  service,
  logger,
  metrics,
  pollIntervalMs = 500,
  batchSize = 100,
  maxBackoffMs = 10_000,
  tracer,
  instance = `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`,
  leaseMs = 10_000,
  listener,
  notifiedPollIntervalMs = 5_000,
}: OutboxRelayOptions): OutboxRelay {
  const log = logger.child({ component: "outbox-relay", instance });
  const publish = tracer ? (event: EventEnvelope) => withPublishSpan(tracer, bus, event, () => bus.publish(event)) : (event: EventEnvelope) => bus.publish(event);
  let running = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let failures = 0;
  const idleWaiters = new Set<() => void>();

  /** Set by a wake-up, cleared as a round begins: one that came during a round (after its read) runs another at once. */
  let woken = false;
  const wakeUp = () => {
    woken = true;
    wake?.();
  };

  const sleep = (ms: number) =>
    woken
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(done, ms);
          function done() {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
          wake = done;
        });

  let holding = false;
  let renewedAt = Number.NEGATIVE_INFINITY;
  let heldUntil = 0;
  /**
   * Takes or renews the lease; returns until when (this process's clock) it
   * may publish, or undefined while another instance holds it. A lease
   * renewed less than a quarter of its length ago is not renewed again: a
   * busy relay, woken after every commit, would otherwise spend a query per
   * round on it.
   */
  const lease = async (): Promise<number | undefined> => {
    const asked = performance.now();
    if (holding && asked - renewedAt < leaseMs / 4) return heldUntil;
    const rows = await db.$queryRawUnsafe<unknown[]>(
      `INSERT INTO "OutboxLease" ("name", "holder", "expiresAt") VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT ("name") DO UPDATE SET "holder" = EXCLUDED."holder", "expiresAt" = EXCLUDED."expiresAt"
       WHERE "OutboxLease"."holder" = EXCLUDED."holder" OR "OutboxLease"."expiresAt" < now()
       RETURNING "holder"`,
      LEASE,
      instance,
      leaseMs,
    );
    const held = rows.length === 1;
    if (held !== holding) log.info({ service }, held ? "publishing the outbox (lease taken)" : "standing by: another instance publishes the outbox");
    holding = held;
    if (!held) return undefined;
    renewedAt = asked;
    heldUntil = asked + leaseMs * 0.8;
    return heldUntil;
  };

  /**
   * Publishes one batch; returns how many rows it published, -1 when it hit a
   * failure, -2 while another instance holds the lease. The rows it published
   * are marked in one statement at the end, whatever ended the batch: a crash
   * before that republishes them, which the broker and the inboxes absorb.
   */
  const publishBatch = async (): Promise<number> => {
    const until = await lease();
    if (until === undefined) return -2;
    const rows = await db.$queryRawUnsafe<Row[]>(
      `SELECT "id"::text AS "id", "envelope", "attempts" FROM "OutboxEvent" WHERE "publishedAt" IS NULL ORDER BY "position" LIMIT $1`,
      batchSize,
    );
    const published: string[] = [];
    try {
      for (const row of rows) {
        // Past its own deadline the relay renews before it goes on (as if the batch were full).
        if (performance.now() > until) return published.length > 0 ? batchSize : 0;
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
        published.push(row.id);
        metrics?.published.inc({ type: row.envelope.type });
        if (failures > 0) log.info({ service, failures }, "publishing again");
        failures = 0;
      }
      return rows.length;
    } finally {
      if (published.length > 0) await db.$executeRawUnsafe(`UPDATE "OutboxEvent" SET "publishedAt" = now() WHERE "id" = ANY($1::uuid[])`, published);
    }
  };

  const run = async () => {
    while (running) {
      let published = 0;
      woken = false;
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
      // Standing by, the relay looks again well within the holder's lease, so a takeover is quick.
      // Holding it, with notifications coming, the poll is only a safety net (a notification lost with a connection).
      const idle = listener?.listening ? Math.min(notifiedPollIntervalMs, leaseMs / 4) : pollIntervalMs;
      await sleep(published === -1 ? Math.min(maxBackoffMs, 100 * 2 ** Math.min(failures, 10)) : published === -2 ? Math.min(pollIntervalMs, leaseMs / 4) : idle);
    }
  };

  return {
    start() {
      if (running) return;
      running = true;
      listener?.start(wakeUp);
      // A loop of its own, whoever started it: outside any span active at start(), so no publish joins a trace it does not belong to.
      loop = context.with(ROOT_CONTEXT, run);
    },
    notify() {
      // While it listens, the commit's own NOTIFY wakes the relay: waking it here too would run a second, empty round.
      if (!listener?.listening) wakeUp();
    },
    async drain(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await this.pending()) > 0) {
        if (Date.now() > deadline) throw new Error(`${service} outbox did not drain within ${timeoutMs} ms`);
        wakeUp();
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
      await listener?.stop();
      // Let go, so a standby takes over at its next look rather than after the lease.
      if (holding) {
        holding = false;
        await db.$executeRawUnsafe(`DELETE FROM "OutboxLease" WHERE "name" = $1 AND "holder" = $2`, LEASE, instance).catch((error: unknown) => {
          log.warn({ service, err: error }, "could not release the outbox lease; it expires by itself");
        });
      }
    },
  };
}
