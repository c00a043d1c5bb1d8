import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { staysAt } from "@store/testing";
import { createEvent } from "../src/index.ts";
import { aggregate, collector, numbered, type BusFactory } from "./buses.ts";

/** The contract both buses must keep (durable at-least-once consumers, live at-most-once listeners); run against each. */
export function busContract(name: string, factory: BusFactory) {
  describe(`${name} bus contract`, () => {
    let bus: Awaited<ReturnType<BusFactory>>;
    beforeEach(async () => {
      bus = await factory();
    });
    afterEach(async () => {
      await bus.dispose();
    });

    it("delivers every event to every durable consumer, in publish order", async () => {
      const a = collector(20);
      const b = collector(20);
      await bus.consume({ name: "contract-a", types: ["ShipmentDelivered"], handler: async (e) => a.push(e) });
      await bus.consume({ name: "contract-b", types: ["ShipmentDelivered"], handler: async (e) => b.push(e) });
      const events = Array.from({ length: 20 }, (_, i) => numbered(i));
      for (const event of events) await bus.publish(event);
      await Promise.all([a.done(), b.done()]);
      expect(a.received.map((e) => e.id)).toEqual(events.map((e) => e.id));
      expect(b.received.map((e) => e.id)).toEqual(events.map((e) => e.id));
    });

    it("delivers only the types a consumer asked for", async () => {
      const got = collector(1);
      await bus.consume({ name: "contract-types", types: ["OrderCancelled"], handler: async (e) => got.push(e) });
      await bus.publish(numbered(1));
      const cancelled = createEvent("OrderCancelled", { orderId: aggregate, customerId: aggregate, reason: "test", previousStatus: "PENDING" }, { aggregateId: aggregate });
      await bus.publish(cancelled);
      await got.done();
      expect(got.received.map((e) => e.type)).toEqual(["OrderCancelled"]);
    });

    it("drops a second publish of the same event id", async () => {
      const got = collector(2);
      await bus.consume({ name: "contract-dedupe", types: ["ShipmentDelivered"], handler: async (e) => got.push(e) });
      const once = numbered(1);
      const other = numbered(2);
      await bus.publish(once);
      await bus.publish(once);
      await bus.publish(other);
      // Delivery keeps publish order, so a duplicate of `once` would arrive before `other`.
      await got.arrived(other.id);
      expect(got.received.map((e) => e.id)).toEqual([once.id, other.id]);
    });

    it("redelivers after a handler failure, keeping order behind it", async () => {
      let failures = 0;
      const got = collector(3);
      await bus.consume({
        name: "contract-retry",
        types: ["ShipmentDelivered"],
        handler: async (e, { attempt }) => {
          if (e.id === first.id && attempt < 3) {
            failures++;
            throw new Error("transient");
          }
          got.push(e);
        },
      });
      const first = numbered(1);
      await Promise.all([bus.publish(first), bus.publish(numbered(2)), bus.publish(numbered(3))]);
      await got.done();
      expect(failures).toBe(2);
      expect(got.received[0]!.id).toBe(first.id);
    });

    it("dead-letters an event that keeps failing and goes on with the next", async () => {
      const got = collector(1);
      await bus.consume({
        name: "contract-dlq",
        types: ["ShipmentDelivered"],
        maxDeliveries: 2,
        handler: async (e) => {
          if (e.id === poison.id) throw new Error("always");
          got.push(e);
        },
      });
      const poison = numbered(1);
      await bus.publish(poison);
      await bus.publish(numbered(2));
      await got.done();
      expect(await bus.deadLetterCount()).toBe(1);
    });

    it("answers a ping with its round trip", async () => {
      const { latencyMs } = await bus.ping();
      expect(Number.isFinite(latencyMs) && latencyMs >= 0).toBe(true);
    });

    describe("live listeners", () => {
      it("give every listener each event published after listen(), in publish order", async () => {
        const a = collector(10);
        const b = collector(10);
        await bus.listen(["ShipmentDelivered"], (e) => a.push(e));
        await bus.listen(["ShipmentDelivered"], (e) => b.push(e));
        const events = Array.from({ length: 10 }, (_, i) => numbered(100 + i));
        for (const event of events) await bus.publish(event);
        await Promise.all([a.done(), b.done()]);
        expect(a.received.map((e) => e.id)).toEqual(events.map((e) => e.id));
        expect(b.received.map((e) => e.id)).toEqual(events.map((e) => e.id));
      });

      it("replay nothing published before the listener was created", async () => {
        const before = numbered(200);
        await bus.publish(before);
        const got = collector(1);
        await bus.listen(["ShipmentDelivered"], (e) => got.push(e));
        const after = numbered(201);
        await bus.publish(after);
        // Delivery keeps publish order, so a replayed `before` would arrive before `after`.
        await got.arrived(after.id);
        expect(got.received.map((e) => e.id)).toEqual([after.id]);
      });

      it("deliver only the types asked for, several types in one order", async () => {
        const got = collector(3);
        await bus.listen(["ShipmentDelivered", "OrderCancelled"], (e) => got.push(e));
        const cancelled = createEvent("OrderCancelled", { orderId: aggregate, customerId: aggregate, reason: "test", previousStatus: "PENDING" }, { aggregateId: aggregate });
        const stock = createEvent("StockChanged", { productId: aggregate, onHand: 3, reserved: 1, available: 2 }, { aggregateId: aggregate });
        const expected = [numbered(300), cancelled, numbered(301)];
        await bus.publish(expected[0]!);
        await bus.publish(stock);
        await bus.publish(cancelled);
        await bus.publish(expected[2]!);
        await got.done();
        expect(got.received.map((e) => e.id)).toEqual(expected.map((e) => e.id));
      });

      it("stop delivering to a listener once close() resolves, and keep delivering to the others", async () => {
        const closed = collector(1);
        const open = collector(2);
        const listener = await bus.listen(["ShipmentDelivered"], (e) => closed.push(e));
        await bus.listen(["ShipmentDelivered"], (e) => open.push(e));
        const first = numbered(400);
        await bus.publish(first);
        await closed.done();
        await listener.close();
        const second = numbered(401);
        await bus.publish(second);
        await open.done();
        // Order across listeners is not part of the contract, so nothing bounds a late delivery to the closed one: look for a while.
        await staysAt(() => closed.received.length, 1, { what: "events delivered after close()" });
        expect(closed.received.map((e) => e.id)).toEqual([first.id]);
        expect(open.received.map((e) => e.id)).toEqual([first.id, second.id]);
        await listener.close(); // twice is harmless
      });

      it("are independent of durable consumers: both see the event", async () => {
        const durable = collector(1);
        const live = collector(1);
        await bus.consume({ name: "contract-live-durable", types: ["ShipmentDelivered"], handler: async (e) => durable.push(e) });
        await bus.listen(["ShipmentDelivered"], (e) => live.push(e));
        const event = numbered(500);
        await bus.publish(event);
        await Promise.all([durable.done(), live.done()]);
        expect(live.received[0]!.id).toBe(event.id);
        expect(durable.received[0]!.id).toBe(event.id);
      });
    });
  });
}
