import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "@store/kit";
import { eventually } from "@store/testing";
import { createInProcessBus, createServiceEvents, type AnyEventEnvelope, type EventBus, type ServiceEvents, type SqlClient, type TransactionalClient } from "../src/index.ts";
import { createOutboxDatabase, type OutboxDatabase } from "./outboxDatabase.ts";
import { orderPlaced, stockReserved } from "./tracingHarness.ts";

/**
 * A service's event runtime wakes its relay after a handling that wrote
 * events, and only then: the relay's poll is the safety net, not the way
 * events usually leave.
 */
let db: OutboxDatabase;
let bus: EventBus;
let events: ServiceEvents<SqlClient> | undefined;
/** Relay rounds: each reads the unpublished rows once. */
let rounds = 0;

beforeAll(async () => {
  db = await createOutboxDatabase("events_service_runtime");
});

afterAll(async () => {
  await db?.dispose();
});

beforeEach(async () => {
  await db.truncate();
  bus = createInProcessBus({ logger: silentLogger });
  rounds = 0;
});

afterEach(async () => {
  await events?.stop();
  events = undefined;
  await bus.close();
});

/** The outbox database, counting the relay's reads of unpublished rows. */
function counted(): TransactionalClient<SqlClient> {
  return {
    ...db,
    $queryRawUnsafe<T>(query: string, ...values: unknown[]) {
      if (query.includes(`WHERE "publishedAt" IS NULL ORDER BY "position"`)) rounds++;
      return db.$queryRawUnsafe<T>(query, ...values);
    },
  };
}

describe("a service's event runtime", () => {
  it("publishes what a handler wrote at once, without waiting for the relay's poll", async () => {
    // A poll a minute apart: only the wake-up after the handling can publish within the test.
    const saga = createServiceEvents({ service: "inventory", db: counted(), bus, logger: silentLogger, pollIntervalMs: 60_000 });
    events = saga;
    await saga.subscribe("saga", { OrderPlaced: async (event, tx) => saga.emit(tx, stockReserved(event)) });
    const heard: AnyEventEnvelope[] = [];
    await bus.consume({ name: "orders-saga", types: ["StockReserved"], handler: async (event) => void heard.push(event) });
    saga.start();
    const placed = orderPlaced();
    await bus.publish(placed);
    await eventually(() => heard.some((event) => event.type === "StockReserved" && event.payload.orderId === placed.payload.orderId), { what: "StockReserved published", timeoutMs: 20_000 });
  });

  it("does not wake the relay after a handling that wrote nothing", async () => {
    const saga = createServiceEvents({ service: "cart", db: counted(), bus, logger: silentLogger, pollIntervalMs: 60_000 });
    events = saga;
    let handled = 0;
    await saga.subscribe("saga", {
      OrderPlaced: async () => {
        handled++;
      },
    });
    saga.start();
    await eventually(() => rounds === 1, { what: "the relay's first round" });
    for (let i = 0; i < 10; i++) await bus.publish(orderPlaced());
    expect(handled).toBe(10);
    // The in-process bus returned once every handler had finished: any wake-up would have started a round by now.
    await new Promise((resolve) => setImmediate(resolve));
    expect(rounds).toBe(1);
  });
});
