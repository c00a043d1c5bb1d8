import { createServiceEvents, type EventBus, type ServiceEvents } from "@store/events";
import type { Logger, ServiceCreateOptions } from "@store/kit";
import type { ShippingPrisma, ShippingTx } from "./db.ts";
import { handlePaymentCaptured, type PaymentCapturedDeps } from "./handlers/PaymentCaptured.ts";

export type ShippingEvents = ServiceEvents<ShippingTx>;

export interface CreateShippingEventsOptions {
  prisma: ShippingPrisma;
  bus: EventBus;
  logger: Logger;
  /** Outbox and consumer metrics go here when given (served at /metrics). */
  registry?: ServiceCreateOptions["registry"];
}

/** Shipping's outbox (ShipmentDispatched, ShipmentDelivered), relay and consumers. */
export function createShippingEvents({ prisma, bus, logger, registry }: CreateShippingEventsOptions): ShippingEvents {
  return createServiceEvents({ service: "shipping", db: prisma, bus, logger, registry });
}

export type ShippingHandlerDeps = PaymentCapturedDeps;

/**
 * The one durable consumer, "shipping-saga": a captured payment is what makes
 * an order shippable, so it opens the order's shipment.
 */
export async function subscribeShipping(events: ShippingEvents, deps: ShippingHandlerDeps) {
  return events.subscribe("saga", {
    PaymentCaptured: (event, tx) => handlePaymentCaptured(event, tx, deps),
  });
}
