import { silentLogger } from "@store/kit";
import { createEvent, type AnyEventEnvelope, type EventBus } from "../src/index.ts";

export const aggregate = "5a0c2f9e-1b2d-4e3f-8a9b-0c1d2e3f4a5b";

/** A numbered test event: ShipmentDelivered is the simplest payload in the catalogue. */
export function numbered(n: number) {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return createEvent("ShipmentDelivered", { shipmentId: id, orderId: aggregate, customerId: aggregate }, { aggregateId: aggregate });
}

export const logger = silentLogger;

/** Collects what a consumer receives, resolving when `count` have arrived. */
export function collector(count: number) {
  const received: AnyEventEnvelope[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    received,
    done: (timeoutMs = 10_000) => Promise.race([done, new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`only ${received.length} of ${count} events arrived`)), timeoutMs))]),
    push(event: AnyEventEnvelope) {
      received.push(event);
      if (received.length >= count) resolve();
    },
  };
}

export type BusFactory = () => Promise<EventBus & { deadLetterCount(): Promise<number>; dispose(): Promise<void> }>;
