import { describe, expect, it } from "vitest";
import { createEvent, InvalidEventError, parseEvent, serializeEvent, subjectOf } from "../src/index.ts";

const orderId = "7f1e1c3a-3c1a-4c55-9a3e-1a2b3c4d5e6f";
const customerId = "0b3c9d2e-7a41-4d0f-8f7e-112233445566";

describe("event envelope", () => {
  it("carries id, version, source, aggregate and a correlation chain", () => {
    const placed = createEvent("OrderStatusChanged", { orderId, customerId, from: null, to: "PENDING", reason: "placed" }, { aggregateId: orderId });
    expect(placed).toMatchObject({ type: "OrderStatusChanged", version: 1, source: "orders", aggregateId: orderId });
    expect(placed.correlationId).toBe(placed.id);
    expect(placed.causationId).toBe(placed.id);
    const next = createEvent("StockRejected", { orderId, shortages: [{ productId: orderId, requested: 2, available: 1 }] }, { aggregateId: orderId, causedBy: placed });
    expect(next.correlationId).toBe(placed.id);
    expect(next.causationId).toBe(placed.id);
    expect(next.id).not.toBe(placed.id);
    expect(subjectOf("StockRejected")).toBe("events.inventory.StockRejected");
  });

  it("refuses a payload that does not match the catalogue", () => {
    expect(() => createEvent("OrderCancelled", { orderId: "not-a-uuid", customerId, reason: "x", previousStatus: "PENDING" }, { aggregateId: "x" })).toThrow(InvalidEventError);
  });

  it("round-trips through the wire format", () => {
    const event = createEvent("ShipmentDelivered", { shipmentId: orderId, orderId, customerId }, { aggregateId: orderId });
    const parsed = parseEvent(serializeEvent(event));
    expect(parsed).toEqual({ ok: true, event });
  });

  it("says why a message is not a valid event", () => {
    expect(parseEvent("{nope")).toMatchObject({ ok: false, reason: "not JSON" });
    expect(parseEvent(JSON.stringify({ hello: "world" }))).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad envelope/) });
    const event = createEvent("ShipmentDelivered", { shipmentId: orderId, orderId, customerId }, { aggregateId: orderId });
    expect(parseEvent(JSON.stringify({ ...event, type: "SomethingElse" }))).toMatchObject({ ok: false, reason: "unknown event type SomethingElse" });
    expect(parseEvent(JSON.stringify({ ...event, version: 9 }))).toMatchObject({ ok: false, reason: expect.stringMatching(/unsupported ShipmentDelivered version 9/) });
    expect(parseEvent(JSON.stringify({ ...event, payload: { orderId } }))).toMatchObject({ ok: false, id: event.id, reason: expect.stringMatching(/^bad ShipmentDelivered payload/) });
  });
});
