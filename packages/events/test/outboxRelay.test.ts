/**
 * The outbox relay when a service runs several instances, each with its own
 * relay and its own connection to the one database (real PostgreSQL): the
 * lease lets one publish at a time, so every row goes out once and in commit
 * order (per aggregate, and overall); a standby takes over when the holder
 * dies (its connection cut, no goodbye) within about the lease, and at once
 * when the holder stops cleanly.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOutboxListener, silentLogger } from "@store/kit";
import { eventually } from "@store/testing";
import { createOutboxRelay, writeOutbox, type EventBus, type EventEnvelope, type OutboxRelay } from "../src/index.ts";
import { createOutboxDatabase, type OutboxDatabase } from "./outboxDatabase.ts";
import { orderPlaced } from "./tracingHarness.ts";

interface Published {
  relay: string;
  event: EventEnvelope;
  startedAt: number;
  endedAt: number;
}

let db: OutboxDatabase;
let published: Published[];
let relays: OutboxRelay[];

beforeAll(async () => {
  db = await createOutboxDatabase("events_outbox_relay");
});

afterAll(async () => {
  await db?.dispose();
});

beforeEach(async () => {
  await db.truncate();
  published = [];
  relays = [];
});

afterEach(async () => {
  await Promise.all(relays.map((relay) => relay.stop()));
});

/** A broker that records what each relay handed it, and when; a publish takes a moment, as a real one does. */
function recordingBus(relay: string): EventBus {
  return {
    async publish(event: EventEnvelope) {
      const startedAt = performance.now();
      await new Promise((resolve) => setImmediate(resolve));
      published.push({ relay, event, startedAt, endedAt: performance.now() });
    },
  } as unknown as EventBus;
}

async function startRelay(name: string, options: { leaseMs?: number } = {}) {
  const connection = await db.connect();
  const relay = createOutboxRelay({ db: connection, bus: recordingBus(name), service: "orders", logger: silentLogger, instance: name, pollIntervalMs: 20, batchSize: 25, ...options });
  relays.push(relay);
  relay.start();
  return { relay, connection };
}

/** Writes `count` events spread over `aggregates`, in transactions of one to five events. */
async function writeEvents(count: number, aggregates: string[]): Promise<EventEnvelope[]> {
  const written: EventEnvelope[] = [];
  while (written.length < count) {
    const batch = Array.from({ length: Math.min(count - written.length, 1 + (written.length % 5)) }, () => orderPlaced(aggregates[written.length % aggregates.length]));
    await db.$transaction((tx) => writeOutbox(tx, batch));
    written.push(...batch);
  }
  return written;
}

const aggregatesOf = (n: number) => Array.from({ length: n }, () => randomUUID());

describe("the outbox relay with several instances", () => {
  it("publishes every row once and in commit order when three relays share one outbox, one at a time", async () => {
    await Promise.all(["a", "b", "c"].map((name) => startRelay(name)));
    const written = await writeEvents(300, aggregatesOf(8));
    await eventually(async () => (await db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "OutboxEvent" WHERE "publishedAt" IS NULL`))[0]!.n === 0, {
      what: "every row marked published",
      timeoutMs: 60_000,
    });

    expect(published.map((p) => p.event.id)).toEqual((await db.envelopes()).map((e) => e.id));
    expect(published).toHaveLength(written.length);
    for (const aggregate of new Set(written.map((e) => e.aggregateId))) {
      expect(published.filter((p) => p.event.aggregateId === aggregate).map((p) => p.event.id)).toEqual(written.filter((e) => e.aggregateId === aggregate).map((e) => e.id));
    }
    // No two relays were ever publishing at the same moment.
    const sorted = [...published].sort((x, y) => x.startedAt - y.startedAt);
    for (const [i, current] of sorted.entries()) {
      const previous = sorted[i - 1];
      if (previous && previous.relay !== current.relay) expect(current.startedAt).toBeGreaterThanOrEqual(previous.endedAt);
    }
  }, 120_000);

  it("lets a standby take over within about the lease when the holder dies without letting go", async () => {
    const leaseMs = 1_500;
    const holder = await startRelay("holder", { leaseMs });
    await writeEvents(5, aggregatesOf(2));
    await eventually(() => published.length === 5, { what: "the holder to publish the first rows", timeoutMs: 30_000 });
    expect(new Set(published.map((p) => p.relay))).toEqual(new Set(["holder"]));
    await startRelay("standby", { leaseMs });

    holder.connection.kill();
    const died = performance.now();
    const later = await writeEvents(10, aggregatesOf(3));
    await eventually(() => later.every((event) => published.some((p) => p.event.id === event.id && p.relay === "standby")), {
      what: "the standby to publish what was written after the holder died",
      timeoutMs: 30_000,
    });
    const firstByStandby = published.find((p) => p.relay === "standby")!;
    // It waited for the lease to run out (from the holder's last renewal), and not much longer.
    expect(firstByStandby.startedAt - died).toBeLessThan(leaseMs * 4);
    // Each of the 15 rows went out once: the holder died between rounds, with nothing in flight.
    expect(published.map((p) => p.event.id).sort()).toEqual([...new Set(published.map((p) => p.event.id))].sort());
    expect(published).toHaveLength(15);
  }, 120_000);

  it("renews its lease at most every quarter of it, however often it is woken", async () => {
    const connection = await db.connect();
    let leaseQueries = 0;
    const counting = {
      ...connection,
      $queryRawUnsafe<T>(query: string, ...values: unknown[]) {
        if (query.includes('"OutboxLease"')) leaseQueries++;
        return connection.$queryRawUnsafe<T>(query, ...values);
      },
    };
    // A round every 20 ms and a wake-up after every commit, for a minute-long lease: one take, no renewal.
    const relay = createOutboxRelay({ db: counting, bus: recordingBus("busy"), service: "orders", logger: silentLogger, instance: "busy", pollIntervalMs: 20, leaseMs: 60_000 });
    relays.push(relay);
    relay.start();
    for (let i = 0; i < 20; i++) {
      await writeEvents(1, aggregatesOf(1));
      relay.notify();
    }
    await eventually(() => published.length === 20, { what: "20 rows published", timeoutMs: 30_000 });
    expect(leaseQueries).toBe(1);
  }, 60_000);

  it("publishes what another instance wrote as soon as it commits, when it listens for the outbox's notifications", async () => {
    const listener = createOutboxListener({ connectionString: db.url, logger: silentLogger });
    // Polls a minute apart, listening or not: only a notification can get the rows out within the test.
    const relay = createOutboxRelay({ db, bus: recordingBus("listening"), service: "orders", logger: silentLogger, instance: "listening", pollIntervalMs: 60_000, notifiedPollIntervalMs: 60_000, leaseMs: 600_000, listener });
    relays.push(relay);
    relay.start();
    await eventually(() => listener.listening, { what: "the relay to listen" });
    // Written by "another instance": nobody calls relay.notify().
    const written = await writeEvents(3, aggregatesOf(1));
    await eventually(() => written.every((event) => published.some((p) => p.event.id === event.id)), { what: "the rows another instance wrote", timeoutMs: 20_000 });
  }, 60_000);

  it("hands over at once when the holder stops cleanly", async () => {
    const leaseMs = 120_000;
    const holder = await startRelay("holder", { leaseMs });
    await writeEvents(3, aggregatesOf(1));
    await eventually(() => published.length === 3, { what: "the holder to publish", timeoutMs: 30_000 });
    await startRelay("standby", { leaseMs });
    await holder.relay.stop();

    const later = await writeEvents(3, aggregatesOf(1));
    // Far sooner than the two-minute lease: stop() let go of it.
    await eventually(() => later.every((event) => published.some((p) => p.event.id === event.id && p.relay === "standby")), {
      what: "the standby to take over from a relay that stopped",
      timeoutMs: 20_000,
    });
    expect(published).toHaveLength(6);
  }, 60_000);
});
