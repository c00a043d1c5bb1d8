import { silentLogger } from "@store/kit";
import { eventually } from "@store/testing";
import { createEvent, type AnyEventEnvelope, type EventBus } from "../src/index.ts";

export const aggregate = "5a0c2f9e-1b2d-4e3f-8a9b-0c1d2e3f4a5b";

/** A numbered test event: ShipmentDelivered is the simplest payload in the catalogue. */
export function numbered(n: number) {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return createEvent("ShipmentDelivered", { shipmentId: id, orderId: aggregate, customerId: aggregate }, { aggregateId: aggregate });
}

export const logger = silentLogger;

/** Collects what a consumer receives; `done()` waits until `count` have arrived. */
export function collector(count: number) {
  const received: AnyEventEnvelope[] = [];
  return {
    received,
    /** Waits until at least `count` events have arrived. */
    done: () =>
      eventually(
        () => {
          if (received.length < count) throw new Error(`${received.length} of ${count} events arrived`);
          return true;
        },
        { what: `${count} events` },
      ),
    /** Waits until the event with this id has arrived. */
    arrived: (id: string) => eventually(() => received.some((e) => e.id === id), { what: `event ${id}` }),
    push(event: AnyEventEnvelope) {
      received.push(event);
    },
  };
}

export type BusFactory = () => Promise<EventBus & { deadLetterCount(): Promise<number>; dispose(): Promise<void> }>;
