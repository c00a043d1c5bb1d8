import { randomBytes } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { createNatsBus, eventSubject, streamNames } from "../src/index.ts";
import { busContract } from "./bus.contract.ts";
import { aggregate, collector, logger, numbered } from "./buses.ts";

/** The machine's NATS with JetStream (CI has one); each test gets its own namespace, deleted after. */
export const NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

async function isolatedBus() {
  const namespace = `t${randomBytes(4).toString("hex")}.`;
  const bus = await createNatsBus({ url: NATS_URL, name: "bus-test", logger, namespace, delay: () => 50 });
  return { bus, namespace };
}

busContract("NATS JetStream", async () => {
  const { bus, namespace } = await isolatedBus();
  return Object.assign(bus, {
    async deadLetterCount() {
      const nc = await connect({ servers: NATS_URL });
      try {
        const info = await (await jetstreamManager(nc)).streams.info(streamNames(namespace).deadLetter);
        return info.state.messages;
      } finally {
        await nc.close();
      }
    },
    async dispose() {
      await bus.deleteStreams();
      await bus.close();
    },
  });
});

describe("NATS JetStream bus", () => {
  it("dead-letters a malformed message with the reason and keeps consuming", async () => {
    const { bus, namespace } = await isolatedBus();
    try {
      const got = collector(1);
      await bus.consume({ name: "malformed", types: ["ShipmentDelivered"], handler: async (e) => got.push(e) });
      const nc = await connect({ servers: NATS_URL });
      const js = jetstream(nc);
      // On the partition the good event goes to, before it.
      await js.publish(`${namespace}${eventSubject("ShipmentDelivered", aggregate)}`, "{ this is not an event");
      const good = numbered(7);
      await bus.publish(good);
      await got.done();
      expect(got.received[0]!.id).toBe(good.id);
      const jsm = await jetstreamManager(nc);
      const stream = streamNames(namespace).deadLetter;
      const dead = await jsm.streams.getMessage(stream, { seq: 1 });
      expect(dead?.header.get("Store-Dead-Letter-Reason")).toBe("not JSON");
      expect(dead?.header.get("Store-Consumer")).toBe("malformed");
      await nc.close();
    } finally {
      await bus.deleteStreams();
      await bus.close();
    }
  });

  it("fails a ping once the connection is gone", async () => {
    const { bus } = await isolatedBus();
    await bus.deleteStreams();
    await bus.close();
    await expect(bus.ping()).rejects.toThrow();
  });

  it("resumes a durable consumer where it stopped, across bus instances", async () => {
    const { bus, namespace } = await isolatedBus();
    const second = await createNatsBus({ url: NATS_URL, name: "bus-test-2", logger, namespace });
    try {
      const first = collector(1);
      const consumer = await bus.consume({ name: "durable", types: ["ShipmentDelivered"], handler: async (e) => first.push(e) });
      await bus.publish(numbered(1));
      await first.done();
      await consumer.stop();
      // Published while nobody listens: the durable keeps its place.
      const missed = [numbered(2), numbered(3)];
      for (const event of missed) await bus.publish(event);
      const later = collector(2);
      await second.consume({ name: "durable", types: ["ShipmentDelivered"], handler: async (e) => later.push(e) });
      await later.done();
      expect(later.received.map((e) => e.id)).toEqual(missed.map((e) => e.id));
    } finally {
      await bus.deleteStreams();
      await second.close();
      await bus.close();
    }
  });

  it("fans live events out to listeners on every bus instance, one shared ordered consumer per subject", async () => {
    const { bus, namespace } = await isolatedBus();
    const other = await createNatsBus({ url: NATS_URL, name: "bus-test-other", logger, namespace });
    const stream = streamNames(namespace).events;
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      const here = collector(3);
      const there = collector(3);
      const alsoThere = collector(3);
      await bus.listen(["ShipmentDelivered"], (e) => here.push(e));
      const a = await other.listen(["ShipmentDelivered"], (e) => there.push(e));
      const b = await other.listen(["ShipmentDelivered"], (e) => alsoThere.push(e));
      expect([bus.listenerCount(), other.listenerCount()]).toEqual([1, 2]);
      // One consumer per instance and subject, however many listeners it serves.
      expect((await jsm.streams.info(stream)).state.consumer_count).toBe(2);
      const events = [numbered(1), numbered(2), numbered(3)];
      for (const event of events) await bus.publish(event);
      await Promise.all([here.done(), there.done(), alsoThere.done()]);
      for (const got of [here, there, alsoThere]) expect(got.received.map((e) => e.id)).toEqual(events.map((e) => e.id));
      await a.close();
      expect((await jsm.streams.info(stream)).state.consumer_count).toBe(2);
      await b.close();
      expect(other.listenerCount()).toBe(0);
      expect((await jsm.streams.info(stream)).state.consumer_count).toBe(1);
    } finally {
      await nc.close();
      await bus.deleteStreams();
      await other.close();
      await bus.close();
    }
  });
});
