import { createServiceEvents, type AnyEventEnvelope, type EventBus, type EventEnvelope, type EventType, type ServiceEvents } from "@store/events";
import type { Logger, ServiceCreateOptions } from "@store/kit";
import type { PaymentsPrisma, PaymentsTx } from "./db.ts";
import { handleOrderCancelled } from "./handlers/OrderCancelled.ts";
import { handleOrderPlaced } from "./handlers/OrderPlaced.ts";
import { chargeForStockReserved, handleStockReserved, type StockReservedDeps } from "./handlers/StockReserved.ts";

/** What resolvers and handlers write events with: the outbox, inside their transaction. */
export type PaymentsEvents = ServiceEvents<PaymentsTx>;

export interface PaymentsEventsRuntime extends PaymentsEvents {
  /**
   * Registers work that runs on every delivery of an event of this type
   * BEFORE its inbox transaction opens, outside any transaction: for an
   * external side effect that no transaction can contain (the card charge).
   * It must be idempotent, since it runs on redeliveries and duplicates too;
   * throwing fails the delivery, so the bus redelivers it later.
   */
  beforeTransaction<T extends EventType>(type: T, step: (event: EventEnvelope<T>) => Promise<void>): void;
}

export interface CreatePaymentsEventsOptions {
  prisma: PaymentsPrisma;
  bus: EventBus;
  logger: Logger;
  /** Outbox and consumer metrics go here when given (served at /metrics). */
  registry?: ServiceCreateOptions["registry"];
}

type Step = (event: AnyEventEnvelope) => Promise<void>;

/**
 * The bus as the runtime sees it, with each delivery to this service's
 * consumers preceded by the step registered for its type. The runtime runs
 * a handler only inside the inbox transaction, and the charge must happen
 * before it (see handlers/StockReserved.ts); wrapping the delivery keeps the
 * runtime's inbox, metrics and redelivery untouched around it.
 */
function withStepsBeforeTransaction(bus: EventBus, steps: ReadonlyMap<EventType, Step>): EventBus {
  return {
    kind: bus.kind,
    publish: (event) => bus.publish(event),
    close: () => bus.close(),
    consume: (options) =>
      bus.consume({
        ...options,
        handler: async (event, delivery) => {
          await steps.get(event.type)?.(event);
          await options.handler(event, delivery);
        },
      }),
  };
}

/** Payments' outbox (PaymentCaptured, PaymentFailed, PaymentRefunded), relay and consumer. */
export function createPaymentsEvents({ prisma, bus, logger, registry }: CreatePaymentsEventsOptions): PaymentsEventsRuntime {
  const steps = new Map<EventType, Step>();
  const events = createServiceEvents<PaymentsTx>({ service: "payments", db: prisma, bus: withStepsBeforeTransaction(bus, steps), logger, registry });
  return {
    ...events,
    beforeTransaction(type, step) {
      steps.set(type, step as Step);
    },
  };
}

export type PaymentsHandlerDeps = StockReservedDeps;

/**
 * The one durable consumer, "payments-saga":
 * - OrderPlaced: remember what to charge (a PaymentIntent);
 * - StockReserved: charge it (before the inbox transaction), then announce
 *   PaymentCaptured or PaymentFailed (in it);
 * - OrderCancelled: never charge it, and refund a captured payment
 *   (PaymentRefunded).
 */
export async function subscribePayments(events: PaymentsEventsRuntime, deps: PaymentsHandlerDeps) {
  events.beforeTransaction("StockReserved", (event) => chargeForStockReserved(event, deps));
  return events.subscribe("saga", {
    OrderPlaced: (event, tx) => handleOrderPlaced(event, tx, deps),
    StockReserved: (event, tx) => handleStockReserved(event, tx, deps),
    OrderCancelled: (event, tx) => handleOrderCancelled(event, tx, deps),
  });
}
