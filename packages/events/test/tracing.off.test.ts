import { trace } from "@opentelemetry/api";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSpanStore, inSpan, silentLogger, startTracing, type Tracing } from "@store/kit";
import { eventually } from "@store/testing";
import { createServiceEvents, type AnyEventEnvelope, type ServiceEvents, type SqlClient, type TraceContext } from "../src/index.ts";
import { createOutboxDatabase, type OutboxDatabase } from "./outboxDatabase.ts";
import { inProcessHarness, natsHarness, orderPlaced, stockReserved, type BusHarness } from "./tracingHarness.ts";

/**
 * A service given no tracer, in a process where tracing is installed (under
 * `npm start` another service may trace): its events must neither record
 * spans nor pick up a context that is not theirs, even when it subscribes and
 * starts inside some other span.
 */
const store = createSpanStore({ capacity: 100 });
let bystander: Tracing;
let db: OutboxDatabase;

beforeAll(async () => {
  bystander = startTracing({ service: "bystander", store, env: {} });
  db = await createOutboxDatabase("events_tracing_off");
});

afterAll(async () => {
  await db?.dispose();
  await bystander?.shutdown();
});

describe.each([
  ["NATS JetStream", natsHarness],
  ["in-process", inProcessHarness],
] as const)("events with tracing off or sampled out on the %s bus", (_, makeHarness) => {
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

  it("records nothing, and its envelopes and messages carry no trace context", async () => {
    const saga = createServiceEvents({ service: "saga", db, bus: harness.bus, logger: silentLogger, pollIntervalMs: 50 });
    events = saga;
    const reserved: AnyEventEnvelope[] = [];
    const activeInHandlers: unknown[] = [];
    const wire: (TraceContext | undefined)[] = [];
    const spansBefore = store.size;
    await inSpan(bystander.tracer, "startup", {}, async () => {
      await saga.subscribe(
        "reserve",
        {
          OrderPlaced: async (event, tx) => {
            activeInHandlers.push(trace.getActiveSpan());
            await saga.emit(tx, stockReserved(event));
          },
        },
        { beforeTransaction: { OrderPlaced: async () => void activeInHandlers.push(trace.getActiveSpan()) } },
      );
      await saga.subscribe("confirm", {
        StockReserved: async (event) => {
          activeInHandlers.push(trace.getActiveSpan());
          reserved.push(event);
        },
      });
      await harness.bus.consume({ name: "wire", types: ["OrderPlaced", "StockReserved"], handler: async (_, delivery) => void wire.push(delivery.trace) });
      saga.start();
    });
    expect(store.size).toBe(spansBefore + 1);

    await db.$transaction((tx) => saga.emit(tx, orderPlaced()));
    saga.committed();
    await eventually(() => reserved.length === 1 && wire.length === 2, { what: "the saga to finish", timeoutMs: 20_000 });

    const rows = await db.envelopes();
    expect(rows.map((row) => row.type)).toEqual(["OrderPlaced", "StockReserved"]);
    for (const envelope of [...rows, ...reserved]) expect(Object.keys(envelope).filter((key) => key.startsWith("trace"))).toEqual([]);
    expect(wire).toEqual([undefined, undefined]);
    if (harness.storedHeaders) {
      expect(await harness.storedHeaders("OrderPlaced")).toEqual({ traceparent: "", tracestate: "" });
      expect(await harness.storedHeaders("StockReserved")).toEqual({ traceparent: "", tracestate: "" });
    }
    expect(activeInHandlers).toEqual([undefined, undefined, undefined]);
    expect(store.size).toBe(spansBefore + 1);
  });

  it("records nothing for a sampled-out trace, and passes the decision on to the events it causes", async () => {
    const sampledOut = startTracing({ service: "sampled-out", store, env: { OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0" } });
    try {
      const saga = createServiceEvents({ service: "saga", db, bus: harness.bus, logger: silentLogger, tracer: sampledOut.tracer, pollIntervalMs: 50 });
      events = saga;
      const reserved: AnyEventEnvelope[] = [];
      await saga.subscribe("reserve", { OrderPlaced: async (event, tx) => saga.emit(tx, stockReserved(event)) });
      await saga.subscribe("confirm", { StockReserved: async (event) => void reserved.push(event) });
      saga.start();
      const spansBefore = store.size;
      const writer = await inSpan(sampledOut.tracer, "placeOrder", {}, async (span) => {
        await db.$transaction((tx) => saga.emit(tx, orderPlaced()));
        saga.committed();
        return span.spanContext();
      });
      await eventually(() => reserved.length === 1, { what: "the saga to finish", timeoutMs: 20_000 });

      // Every hop keeps the trace and its "not sampled" flag, so nothing downstream records it either.
      const unsampled = new RegExp(`^00-${writer.traceId}-[0-9a-f]{16}-00$`);
      const rows = await db.envelopes();
      expect(rows.map((row) => row.traceparent)).toEqual([expect.stringMatching(unsampled), expect.stringMatching(unsampled)]);
      expect(rows[0]!.traceparent).toBe(`00-${writer.traceId}-${writer.spanId}-00`);
      if (harness.storedHeaders) expect((await harness.storedHeaders("StockReserved")).traceparent).toMatch(unsampled);
      await sampledOut.flush();
      expect(store.size).toBe(spansBefore);
    } finally {
      await sampledOut.shutdown();
    }
  });
});
