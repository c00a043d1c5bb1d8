import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "@store/testing";
import { createEvent, createNatsBus, DEFAULT_PARTITIONS, eventSubject, partitionOf, PartitionCountMismatchError, streamNames, type AnyEventEnvelope } from "../src/index.ts";
import { logger } from "./buses.ts";

const NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** The stuck event's customer id: a child instance hangs on its first delivery. */
const STUCK = "ffffffff-ffff-4fff-8fff-ffffffffffff";

/** Event `sequence` of aggregate `aggregateId` (its number is in the shipment id); `stuck` marks the one a child hangs on. */
function delivered(aggregateId: string, sequence: number, stuck = false) {
  const shipmentId = `00000000-0000-4000-8000-${sequence.toString(16).padStart(12, "0")}`;
  return createEvent("ShipmentDelivered", { shipmentId, orderId: aggregateId, customerId: stuck ? STUCK : aggregateId }, { aggregateId });
}

/** `count` aggregate ids in as many different partitions. */
function aggregatesInDistinctPartitions(count: number, partitions = DEFAULT_PARTITIONS): string[] {
  const byPartition = new Map<number, string>();
  while (byPartition.size < count) {
    const id = randomUUID();
    byPartition.set(partitionOf(id, partitions), id);
  }
  return [...byPartition.values()];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function isolatedBus(options: { partitions?: number; namespace?: string } = {}) {
  const namespace = options.namespace ?? `t${randomBytes(4).toString("hex")}.`;
  const bus = await createNatsBus({ url: NATS_URL, name: "partition-test", logger, namespace, delay: () => 50, ...(options.partitions ? { partitions: options.partitions } : {}) });
  cleanups.push(async () => {
    await bus.deleteStreams();
    await bus.close();
  });
  return { bus, namespace };
}

describe("partitions", () => {
  it("hash an aggregate id with FNV-1a (32 bits), modulo the count", () => {
    // FNV-1a's published test vectors: "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
    expect(partitionOf("a", 256)).toBe(0xe40c292c % 256);
    expect(partitionOf("foobar", 256)).toBe(0xbf9cf968 % 256);
    expect(partitionOf("foobar", 16)).toBe(0xbf9cf968 % 16);
    expect(partitionOf("foobar", 1)).toBe(0);
  });

  it("put each event on its aggregate's partition subject", async () => {
    const { bus, namespace } = await isolatedBus();
    const [first, second] = aggregatesInDistinctPartitions(2);
    await bus.publish(delivered(first!, 0));
    await bus.publish(delivered(second!, 0));
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      const subjects = await Promise.all([1, 2].map(async (seq) => (await jsm.streams.getMessage(streamNames(namespace).events, { seq }))!.subject));
      expect(subjects).toEqual([`${namespace}${eventSubject("ShipmentDelivered", first!)}`, `${namespace}${eventSubject("ShipmentDelivered", second!)}`]);
      expect(subjects[0]).toBe(`${namespace}events.shipping.ShipmentDelivered.${partitionOf(first!, DEFAULT_PARTITIONS)}`);
    } finally {
      await nc.close();
    }
  });

  it("are recorded on the stream: a bus with another count refuses to start", async () => {
    const { namespace } = await isolatedBus({ partitions: 8 });
    const refused = createNatsBus({ url: NATS_URL, name: "partition-test-2", logger, namespace, partitions: 16 });
    await expect(refused).rejects.toBeInstanceOf(PartitionCountMismatchError);
    await expect(refused).rejects.toThrow(/partitioned 8 ways and this process was told 16/);
    // The same count joins.
    const same = await createNatsBus({ url: NATS_URL, name: "partition-test-3", logger, namespace, partitions: 8 });
    await same.close();
  });
});

describe("a consumer on a partitioned stream", () => {
  it("handles several aggregates at once, each aggregate's events one at a time and in publish order", async () => {
    const { bus } = await isolatedBus();
    const aggregates = aggregatesInDistinctPartitions(6);
    const perAggregate = 5;
    const handled = new Map<string, number[]>(aggregates.map((id) => [id, []]));
    const busy = new Set<string>();
    let inFlight = 0;
    let mostInFlight = 0;
    let overlaps = 0;
    await bus.consume({
      name: "parallel",
      types: ["ShipmentDelivered"],
      handler: async (event) => {
        const { orderId, shipmentId } = event.payload as { orderId: string; shipmentId: string };
        if (busy.has(orderId)) overlaps++;
        busy.add(orderId);
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        // A handler that takes a while (a database round trip, a card processor): the others go on meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 25));
        handled.get(orderId)!.push(Number.parseInt(shipmentId.slice(-12), 16));
        inFlight--;
        busy.delete(orderId);
      },
    });
    for (let sequence = 0; sequence < perAggregate; sequence++) for (const id of aggregates) await bus.publish(delivered(id, sequence));
    await eventually(() => [...handled.values()].every((list) => list.length === perAggregate), { what: "every event handled" });
    for (const list of handled.values()) expect(list).toEqual([0, 1, 2, 3, 4]);
    expect(overlaps).toBe(0);
    expect(mostInFlight).toBeGreaterThan(1);
  });
});

describe("a consumer with a concurrency", () => {
  it("handles at most that many events at once, across partitions", async () => {
    const { bus } = await isolatedBus();
    const aggregates = aggregatesInDistinctPartitions(6);
    let inFlight = 0;
    let mostInFlight = 0;
    let handled = 0;
    await bus.consume({
      name: "bounded",
      types: ["ShipmentDelivered"],
      concurrency: 2,
      handler: async () => {
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 25));
        inFlight--;
        handled++;
      },
    });
    for (let sequence = 0; sequence < 3; sequence++) for (const id of aggregates) await bus.publish(delivered(id, sequence));
    await eventually(() => handled === 18, { what: "every event handled" });
    expect(mostInFlight).toBe(2);
  });
});

describe("instances sharing a consumer (separate processes)", () => {
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  function startInstance(namespace: string, log: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", new URL("./consumerProcess.ts", import.meta.url).pathname, NATS_URL, namespace, "shared", log, "2000"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    started.push(child);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve(child));
      child.once("exit", (code) => reject(new Error(`a consumer instance exited (${code}) before it was ready: ${stderr}`)));
    });
  }

  /** The log's lines, `[pid, aggregate, sequence]` or `[pid, "stuck"]`. */
  const lines = (log: string) =>
    readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split(" "));

  it("share the work, keep each aggregate's order, and hand a killed instance's partitions over", { timeout: 120_000 }, async () => {
    const { bus, namespace } = await isolatedBus();
    const dir = mkdtempSync(join(tmpdir(), "partitions-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const log = join(dir, "handled.log");
    // Created before publishing, so the durables exist and start from the first event.
    const [first, second] = await Promise.all([startInstance(namespace, log), startInstance(namespace, log)]);
    const aggregates = aggregatesInDistinctPartitions(8);
    const publish = async (events: AnyEventEnvelope[]) => {
      for (const event of events) await bus.publish(event);
    };
    const handledCount = () => lines(log).filter((line) => line.length === 3).length;

    // Round one: both instances take part.
    const roundOne: AnyEventEnvelope[] = [];
    for (let sequence = 0; sequence < 6; sequence++) for (const id of aggregates) roundOne.push(delivered(id, sequence));
    await publish(roundOne);
    await eventually(() => handledCount() >= roundOne.length, { what: "round one handled", timeoutMs: 60_000 });
    const pids = new Set(lines(log).map(([pid]) => Number(pid)));
    expect(pids).toEqual(new Set([first.pid, second.pid]));

    // Round two: one instance hangs on an event and is killed; the other finishes everything.
    const stuckAggregate = aggregates[0]!;
    const roundTwo: AnyEventEnvelope[] = [];
    for (let sequence = 6; sequence < 12; sequence++) for (const id of aggregates) roundTwo.push(delivered(id, sequence, id === stuckAggregate && sequence === 7));
    await publish(roundTwo);
    const stuckPid = await eventually(() => Number(lines(log).find((line) => line[1] === "stuck")?.[0]) || undefined, { what: "an instance stuck on an event", timeoutMs: 60_000 });
    const [killed, survivor] = stuckPid === first.pid ? [first, second] : [second, first];
    killed.kill("SIGKILL");
    await eventually(() => handledCount() >= roundOne.length + roundTwo.length, { what: "every event handled after the kill", timeoutMs: 60_000 });

    // Each aggregate's events in publish order; an event may repeat only right after itself (handled, then the instance died before its ack).
    const seen = new Map<string, number[]>();
    for (const [pid, aggregate, sequence] of lines(log)) {
      if (aggregate === "stuck") continue;
      const list = seen.get(aggregate!) ?? [];
      if (list.at(-1) !== Number(sequence)) list.push(Number(sequence));
      seen.set(aggregate!, list);
      expect([first.pid, second.pid]).toContain(Number(pid));
    }
    for (const id of aggregates) expect(seen.get(id)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // The stuck event was finished by the instance that lived.
    const stuckLine = lines(log).find(([, aggregate, sequence]) => aggregate === stuckAggregate && sequence === "7");
    expect(Number(stuckLine![0])).toBe(survivor.pid);
  });
});
