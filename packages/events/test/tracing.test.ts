import { trace } from "@opentelemetry/api";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSpanStore, inSpan, silentLogger, startTracing, type StoredSpan, type Tracing } from "@store/kit";
import { eventually } from "@store/testing";
import { createServiceEvents, type AnyEventEnvelope, type EventEnvelope, type ServiceEvents, type SqlClient, type TraceContext } from "../src/index.ts";
import { createOutboxDatabase, type OutboxDatabase } from "./outboxDatabase.ts";
import { inProcessHarness, natsHarness, only, orderPlaced, PAYMENT_TOKEN, stockReserved, traceparentOf, type BusHarness } from "./tracingHarness.ts";

const store = createSpanStore({ capacity: 10_000 });
let tracing: Tracing;
let db: OutboxDatabase;

beforeAll(async () => {
  tracing = startTracing({ service: "saga", store, env: {} });
  db = await createOutboxDatabase("events_tracing");
});

afterAll(async () => {
  await db?.dispose();
  await tracing?.shutdown();
});

const spansOf = (traceId: string) => store.trace(traceId);
const spansFor = (eventId: string) => store.spans().filter((span) => span.attributes["store.event.id"] === eventId);
const consumerOf = (consumer: string) => (span: StoredSpan) => span.attributes["messaging.consumer.group.name"] === consumer;

/** Writes `event` to the outbox in a transaction inside a root span, as a mutation would; returns that span's ids. */
async function write(events: ServiceEvents<SqlClient>, event: () => EventEnvelope) {
  return inSpan(tracing.tracer, "placeOrder", {}, async (span) => {
    await db.$transaction((tx) => events.emit(tx, event()));
    events.committed();
    return span.spanContext();
  });
}

describe.each([
  ["NATS JetStream", natsHarness],
  ["in-process", inProcessHarness],
] as const)("event tracing on the %s bus", (_, makeHarness) => {
  let harness: BusHarness;
  let events: ServiceEvents<SqlClient> | undefined;

  beforeEach(async () => {
    await db.truncate();
    harness = await makeHarness();
  });

  afterEach(async () => {
    await events?.stop();
    events = undefined;
    await harness.dispose();
  });

  /** One service playing two: OrderPlaced -> (reserve) StockReserved -> (confirm). */
  async function startSaga() {
    events = createServiceEvents({ service: "saga", db, bus: harness.bus, logger: silentLogger, tracer: tracing.tracer, pollIntervalMs: 50 });
    const saga = events;
    const placed: AnyEventEnvelope[] = [];
    const reserved: AnyEventEnvelope[] = [];
    await saga.subscribe("reserve", {
      OrderPlaced: async (event, tx) => {
        placed.push(event);
        await saga.emit(tx, stockReserved(event));
      },
    });
    await saga.subscribe("confirm", { StockReserved: async (event) => void reserved.push(event) });
    return { saga, placed, reserved };
  }

  it("makes one trace of a write, its events and the events their handlers emit, with exact parent links", async () => {
    const { saga, placed, reserved } = await startSaga();
    // What the transport carried, as a plain consumer of the bus sees it.
    const wire: (TraceContext | undefined)[] = [];
    await harness.bus.consume({ name: "wire", types: ["OrderPlaced"], handler: async (_, delivery) => void wire.push(delivery.trace) });
    const live: AnyEventEnvelope[] = [];
    await harness.bus.listen(["OrderPlaced"], (event) => live.push(event));
    saga.start();

    const writer = await write(saga, () => orderPlaced());
    const names = ["placeOrder", "publish OrderPlaced", "process OrderPlaced", "handle OrderPlaced", "publish StockReserved", "process StockReserved", "handle StockReserved"];
    await eventually(() => names.every((name) => spansOf(writer.traceId).some((span) => span.name === name)), { what: "the saga's spans", timeoutMs: 20_000 });
    const spans = spansOf(writer.traceId);
    expect(spans.map((span) => span.name).sort()).toEqual([...names].sort());

    const root = only(spans, "placeOrder");
    const publishPlaced = only(spans, "publish OrderPlaced");
    const processPlaced = only(spans, "process OrderPlaced");
    const handlePlaced = only(spans, "handle OrderPlaced");
    const publishReserved = only(spans, "publish StockReserved");
    const processReserved = only(spans, "process StockReserved");
    const handleReserved = only(spans, "handle StockReserved");
    expect(root.parentSpanId).toBeUndefined();
    expect(publishPlaced.parentSpanId).toBe(root.spanId);
    expect(processPlaced.parentSpanId).toBe(publishPlaced.spanId);
    expect(handlePlaced.parentSpanId).toBe(processPlaced.spanId);
    expect(publishReserved.parentSpanId).toBe(handlePlaced.spanId);
    expect(processReserved.parentSpanId).toBe(publishReserved.spanId);
    expect(handleReserved.parentSpanId).toBe(processReserved.spanId);
    expect([publishPlaced.kind, processPlaced.kind, handlePlaced.kind]).toEqual(["producer", "consumer", "internal"]);

    // The envelope in the outbox row records the span that wrote it; the handler's event records the handle span.
    const [placedRow, reservedRow] = await db.envelopes();
    expect(placedRow!.traceparent).toBe(traceparentOf(root));
    expect(reservedRow!.traceparent).toBe(traceparentOf(handlePlaced));
    // The transport carries the publish span's context; the envelope reaches handlers and listeners unchanged.
    expect(wire).toEqual([{ traceparent: traceparentOf(publishPlaced) }]);
    // On NATS, as the message's headers.
    if (harness.storedHeaders) expect(await harness.storedHeaders("OrderPlaced")).toEqual({ traceparent: traceparentOf(publishPlaced), tracestate: "" });
    expect(placed[0]!.traceparent).toBe(traceparentOf(root));
    expect(reserved[0]!.traceparent).toBe(traceparentOf(handlePlaced));
    expect(live.map((event) => event.traceparent)).toEqual([traceparentOf(root)]);

    const event = placed[0] as EventEnvelope<"OrderPlaced">;
    const kind = harness.bus.kind;
    expect(publishPlaced.attributes).toEqual({
      "messaging.system": kind,
      "messaging.operation.type": "send",
      "messaging.operation.name": "publish",
      "messaging.destination.name": "events.orders.OrderPlaced",
      "messaging.message.id": event.id,
      "store.event.type": "OrderPlaced",
      "store.event.id": event.id,
      "store.event.source": "orders",
      "store.event.aggregate_id": event.aggregateId,
      "store.event.correlation_id": event.correlationId,
      "store.event.causation_id": event.causationId,
      "store.order_id": event.payload.orderId,
    });
    expect(processPlaced.attributes).toMatchObject({
      "messaging.system": kind,
      "messaging.operation.type": "process",
      "messaging.consumer.group.name": "saga-reserve",
      "store.delivery.attempt": 1,
      "store.event.id": event.id,
      "store.order_id": event.payload.orderId,
    });
    expect(handlePlaced.attributes).toMatchObject({ "store.event.outcome": "handled", "messaging.consumer.group.name": "saga-reserve", "store.order_id": event.payload.orderId });
    expect(processReserved.attributes).toMatchObject({ "messaging.consumer.group.name": "saga-confirm", "store.event.correlation_id": event.id, "store.order_id": event.payload.orderId });
    for (const span of spans) expect(span.status, span.name).toBe("unset");
    expect(JSON.stringify(spans)).not.toContain(PAYMENT_TOKEN);
  });

  it("marks a failed delivery, makes each redelivery a span of its own, and records the dead-lettering", async () => {
    const { saga } = await startSaga();
    let flakyCalls = 0;
    const activeInBefore: (string | undefined)[] = [];
    await saga.subscribe(
      "flaky",
      {
        OrderPlaced: async () => {
          if (++flakyCalls === 1) throw new Error("transient");
        },
      },
      { beforeTransaction: { OrderPlaced: async () => void activeInBefore.push(trace.getActiveSpan()?.spanContext().spanId) } },
    );
    await saga.subscribe("doomed", {
      OrderPlaced: async () => {
        throw new Error("always");
      },
    });
    saga.start();

    const writer = await write(saga, () => orderPlaced());
    await eventually(() => spansOf(writer.traceId).filter(consumerOf("saga-doomed")).filter((span) => span.name === "process OrderPlaced").length === 8, { what: "8 deliveries to saga-doomed", timeoutMs: 20_000 });
    await eventually(async () => (await harness.deadLetters()) === 1, { what: "one dead letter", timeoutMs: 20_000 });
    const spans = spansOf(writer.traceId);
    const publish = only(spans, "publish OrderPlaced");

    const flaky = spans.filter((span) => span.name === "process OrderPlaced" && consumerOf("saga-flaky")(span));
    expect(flaky.map((span) => [span.attributes["store.delivery.attempt"], span.status, span.parentSpanId])).toEqual([
      [1, "error", publish.spanId],
      [2, "unset", publish.spanId],
    ]);
    expect(flaky[0]!.statusMessage).toBe("transient");
    expect(flaky[0]!.events.map((event) => [event.name, event.attributes["exception.message"]])).toEqual([["exception", "transient"]]);
    // The before-transaction step ran in its delivery's span.
    expect(activeInBefore).toEqual(flaky.map((span) => span.spanId));
    const flakyHandles = spans.filter((span) => span.name === "handle OrderPlaced" && consumerOf("saga-flaky")(span));
    expect(flakyHandles.map((span) => [span.parentSpanId, span.status, span.attributes["store.event.outcome"]])).toEqual([
      [flaky[0]!.spanId, "error", undefined],
      [flaky[1]!.spanId, "unset", "handled"],
    ]);

    const doomed = spans.filter((span) => span.name === "process OrderPlaced" && consumerOf("saga-doomed")(span));
    expect(doomed.map((span) => span.attributes["store.delivery.attempt"])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(doomed.every((span) => span.status === "error" && span.parentSpanId === publish.spanId)).toBe(true);
    const deadLettered = doomed.map((span) => span.events.some((event) => event.name === "store.event.dead_lettered"));
    expect(deadLettered).toEqual([false, false, false, false, false, false, false, true]);
  });

  it("consumes an event whose trace context is malformed like any other, in a new trace", async () => {
    const { saga, placed, reserved } = await startSaga();
    saga.start();
    // Written outside any span, with trace fields no propagator would make.
    const bad = { ...orderPlaced(), traceparent: "00-NOT-A-TRACE-01", tracestate: "a=b\nc" };
    await db.$transaction((tx) => saga.emit(tx, bad));
    saga.committed();
    await eventually(() => reserved.length === 1 && spansFor(reserved[0]!.id).some((span) => span.name === "process StockReserved"), { what: "the saga to go on", timeoutMs: 20_000 });

    expect(placed.map((event) => [event.id, event.traceparent, event.tracestate])).toEqual([[bad.id, undefined, undefined]]);
    const spans = spansFor(bad.id);
    const publish = only(spans, "publish OrderPlaced");
    expect(publish.parentSpanId).toBeUndefined();
    expect(only(spans, "process OrderPlaced").parentSpanId).toBe(publish.spanId);
    expect(spansOf(publish.traceId).map((span) => span.name)).toContain("handle StockReserved");
    expect(await harness.deadLetters()).toBe(0);
  });

  it("restores the envelope's context when the transport carries none, and ignores a malformed transport context", async () => {
    const { placed } = await startSaga();
    // Created inside a span, published outside any: no transport context.
    const writer = await inSpan(tracing.tracer, "placeOrder", {}, async (span) => ({ event: orderPlaced(), ids: span.spanContext() }));
    await harness.bus.publish(writer.event);
    // A garbage header (where the transport has headers) beside a good envelope context: the envelope's wins.
    const other = await inSpan(tracing.tracer, "placeOrder", {}, async (span) => ({ event: orderPlaced(), ids: span.spanContext() }));
    await harness.sendRaw(other.event, "00-garbage");
    // Nothing usable anywhere: a new trace.
    const orphan = { ...orderPlaced(), traceparent: `00-${"0".repeat(32)}-${"1".repeat(16)}-01` };
    await harness.sendRaw(orphan, "ff-garbage");
    await eventually(() => [writer.event, other.event, orphan].every((event) => spansFor(event.id).some((span) => span.name === "handle OrderPlaced")), { what: "three deliveries", timeoutMs: 20_000 });

    expect(only(spansFor(writer.event.id), "process OrderPlaced").parentSpanId).toBe(writer.ids.spanId);
    expect(only(spansFor(writer.event.id), "process OrderPlaced").traceId).toBe(writer.ids.traceId);
    expect(only(spansFor(other.event.id), "process OrderPlaced").parentSpanId).toBe(other.ids.spanId);
    const orphanProcess = only(spansFor(orphan.id), "process OrderPlaced");
    expect(orphanProcess.parentSpanId).toBeUndefined();
    // Three orders, so three aggregates: on NATS they may be handled in any order.
    expect(placed.map((event) => event.id).sort()).toEqual([writer.event.id, other.event.id, orphan.id].sort());
    expect(await harness.deadLetters()).toBe(0);
  });

  it("says when a delivery was a duplicate", async () => {
    await startSaga();
    const event = await inSpan(tracing.tracer, "placeOrder", {}, async () => orderPlaced());
    // The inbox already holds it: a redelivery after the transaction committed.
    await db.$executeRawUnsafe(`INSERT INTO "InboxEvent" ("consumer", "eventId", "type") VALUES ($1, $2::uuid, $3)`, "saga-reserve", event.id, event.type);
    await harness.bus.publish(event);
    await eventually(() => spansFor(event.id).some((span) => span.name === "process OrderPlaced"), { what: "the delivery", timeoutMs: 20_000 });
    expect(only(spansFor(event.id), "handle OrderPlaced").attributes["store.event.outcome"]).toBe("duplicate");
  });
});

describe("the outbox", () => {
  it("gives an event created outside any span the context of the transaction that writes it", async () => {
    await db.truncate();
    const bus = (await inProcessHarness()).bus;
    const events = createServiceEvents({ service: "saga", db, bus, logger: silentLogger, tracer: tracing.tracer });
    try {
      const early = orderPlaced();
      expect(early.traceparent).toBeUndefined();
      const writer = await write(events, () => early);
      const inSpanCreated = await inSpan(tracing.tracer, "other", {}, async () => orderPlaced());
      await write(events, () => inSpanCreated);
      const [first, second] = await db.envelopes();
      expect(first!.traceparent).toBe(traceparentOf(writer));
      // One created in a span keeps the context it was created in.
      expect(second!.traceparent).toBe(inSpanCreated.traceparent);
      expect(second!.traceparent).not.toBe(first!.traceparent);
    } finally {
      await events.stop();
      await bus.close();
    }
  });
});
