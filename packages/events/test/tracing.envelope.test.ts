import { context, propagation, ROOT_CONTEXT } from "@opentelemetry/api";
import { afterAll, describe, expect, it } from "vitest";
import { createSpanStore, inSpan, startTracing } from "@store/kit";
import { createEvent, MAX_TRACESTATE_LENGTH, parseEvent, serializeEvent } from "../src/index.ts";

const orderId = "7f1e1c3a-3c1a-4c55-9a3e-1a2b3c4d5e6f";
const customerId = "0b3c9d2e-7a41-4d0f-8f7e-112233445566";
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACESTATE = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";

// Installs the context manager and the W3C propagator, as any service with tracing on does.
const tracing = startTracing({ service: "envelope-test", store: createSpanStore({ capacity: 10 }), env: {} });
afterAll(() => tracing.shutdown());

const delivered = () => createEvent("ShipmentDelivered", { shipmentId: orderId, orderId, customerId }, { aggregateId: orderId });
/** An envelope on the wire with these trace fields, however wrong. */
const wire = (fields: Record<string, unknown>) => JSON.stringify({ ...delivered(), ...fields });
const inRemoteParent = <T>(carrier: Record<string, string>, fn: () => T) => context.with(propagation.extract(ROOT_CONTEXT, carrier), fn);

describe("trace context in the event envelope", () => {
  it("is recorded by createEvent from the active span, and absent outside one", async () => {
    expect(Object.keys(delivered())).not.toContain("traceparent");
    expect(Object.keys(delivered())).not.toContain("tracestate");
    const { event, ids } = await inSpan(tracing.tracer, "write", {}, async (span) => ({ event: delivered(), ids: span.spanContext() }));
    expect(event.traceparent).toBe(`00-${ids.traceId}-${ids.spanId}-01`);
    expect(Object.keys(event)).not.toContain("tracestate");
  });

  it("keeps the tracestate and the sampling decision it was created under", () => {
    const event = inRemoteParent({ traceparent: TRACEPARENT, tracestate: TRACESTATE }, delivered);
    expect([event.traceparent, event.tracestate]).toEqual([TRACEPARENT, TRACESTATE]);
    const unsampled = TRACEPARENT.replace(/-01$/, "-00");
    expect(inRemoteParent({ traceparent: unsampled }, delivered).traceparent).toBe(unsampled);
  });

  it("round-trips through the wire format", () => {
    const event = inRemoteParent({ traceparent: TRACEPARENT, tracestate: TRACESTATE }, delivered);
    expect(parseEvent(serializeEvent(event))).toEqual({ ok: true, event });
    const longest = `k=${"v".repeat(MAX_TRACESTATE_LENGTH - 2)}`;
    expect(parseEvent(wire({ traceparent: TRACEPARENT, tracestate: longest }))).toMatchObject({ ok: true, event: { traceparent: TRACEPARENT, tracestate: longest } });
  });

  it("accepts envelopes written before trace fields existed", () => {
    const parsed = parseEvent(serializeEvent(delivered()));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(Object.keys(parsed.event).filter((key) => key.startsWith("trace"))).toEqual([]);
  });

  it.each([
    ["empty", ""],
    ["truncated", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"],
    ["upper-case hex", TRACEPARENT.toUpperCase()],
    ["an all-zero trace id", `00-${"0".repeat(32)}-00f067aa0ba902b7-01`],
    ["an all-zero span id", `00-4bf92f3577b34da6a3ce929d0e0e4736-${"0".repeat(16)}-01`],
    ["the forbidden version ff", TRACEPARENT.replace(/^00/, "ff")],
    ["a trailing newline", `${TRACEPARENT}\n`],
    ["a number", 42],
    ["an object", { traceId: "x" }],
    ["null", null],
  ])("drops a traceparent that is %s, and its tracestate, and keeps the event", (_, traceparent) => {
    const parsed = parseEvent(wire({ traceparent, tracestate: TRACESTATE }));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Object.keys(parsed.event).filter((key) => key.startsWith("trace"))).toEqual([]);
    expect(parsed.event.type).toBe("ShipmentDelivered");
  });

  it.each([
    ["too long", `k=${"v".repeat(MAX_TRACESTATE_LENGTH - 1)}`],
    ["multi-line", "a=b\nc=d"],
    ["empty", ""],
    ["not a string", 7],
  ])("drops a tracestate that is %s and keeps the traceparent", (_, tracestate) => {
    const parsed = parseEvent(wire({ traceparent: TRACEPARENT, tracestate }));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.event.traceparent).toBe(TRACEPARENT);
    expect(Object.keys(parsed.event)).not.toContain("tracestate");
  });
});
