import { createServiceEvents, type EventBus, type ServiceEvents } from "@store/events";
import type { Logger, ServiceCreateOptions } from "@store/kit";
import type { PaymentsPrisma, PaymentsTx } from "./db.ts";
import { handleOrderCancelled } from "./handlers/OrderCancelled.ts";
import { handleOrderPlaced } from "./handlers/OrderPlaced.ts";
import { chargeForStockReserved, handleStockReserved, type StockReservedDeps } from "./handlers/StockReserved.ts";

/** What resolvers and handlers write events with: the outbox, inside their transaction. */
export type PaymentsEvents = ServiceEvents<PaymentsTx>;

export interface CreatePaymentsEventsOptions {
  prisma: PaymentsPrisma;
  bus: EventBus;
  logger: Logger;
  /** Outbox and consumer metrics go here when given (served at /metrics). */
  registry?: ServiceCreateOptions["registry"];
}

/** Payments' outbox (PaymentCaptured, PaymentFailed, PaymentRefunded), relay and consumer. */
export function createPaymentsEvents({ prisma, bus, logger, registry }: CreatePaymentsEventsOptions): PaymentsEvents {
  return createServiceEvents<PaymentsTx>({ service: "payments", db: prisma, bus, logger, registry });
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
export async function subscribePayments(events: PaymentsEvents, deps: PaymentsHandlerDeps) {
  return events.subscribe(
    "saga",
    {
      OrderPlaced: (event, tx) => handleOrderPlaced(event, tx, deps),
      StockReserved: (event, tx) => handleStockReserved(event, tx, deps),
      OrderCancelled: (event, tx) => handleOrderCancelled(event, tx, deps),
    },
    // The charge cannot live in a transaction (see handlers/StockReserved.ts).
    { beforeTransaction: { StockReserved: (event) => chargeForStockReserved(event, deps) } },
  );
}
