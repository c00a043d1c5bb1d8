import { describe, expect, it } from "vitest";
import { createInProcessBus } from "../src/index.ts";
import { busContract } from "./bus.contract.ts";
import { collector, logger, numbered } from "./buses.ts";

busContract("in-process", async () => {
  const bus = createInProcessBus({ logger, delay: () => 10 });
  return Object.assign(bus, {
    deadLetterCount: async () => bus.deadLetters.length,
    dispose: () => bus.close(),
  });
});

describe("in-process bus live listeners", () => {
  it("counts open listeners, so tests can prove a subscription released its own", async () => {
    const bus = createInProcessBus({ logger });
    try {
      const a = await bus.listen(["ShipmentDelivered"], () => {});
      const b = await bus.listen(["OrderCancelled"], () => {});
      expect(bus.listenerCount()).toBe(2);
      await a.close();
      await a.close();
      expect(bus.listenerCount()).toBe(1);
      await b.close();
      expect(bus.listenerCount()).toBe(0);
    } finally {
      await bus.close();
    }
  });

  it("keeps delivering to the other listeners when one throws", async () => {
    const bus = createInProcessBus({ logger });
    try {
      const got = collector(1);
      await bus.listen(["ShipmentDelivered"], () => {
        throw new Error("listener bug");
      });
      await bus.listen(["ShipmentDelivered"], (e) => got.push(e));
      await bus.publish(numbered(1));
      await got.done();
    } finally {
      await bus.close();
    }
  });
});
