import { createServiceEvents, type Consumer, type EventBus, type ServiceEvents } from "@store/events";
import type { Logger, ServiceCreateOptions } from "@store/kit";
import type { OrdersPrisma } from "./db.ts";
import type { OrdersTx } from "./orderEvents.ts";
import { onPaymentCaptured } from "./handlers/PaymentCaptured.ts";
import { onPaymentFailed } from "./handlers/PaymentFailed.ts";
import { onProductCreated } from "./handlers/ProductCreated.ts";
import { onProductPriceChanged } from "./handlers/ProductPriceChanged.ts";
import { onShipmentDelivered } from "./handlers/ShipmentDelivered.ts";
import { onShipmentDispatched } from "./handlers/ShipmentDispatched.ts";
import { onStockRejected } from "./handlers/StockRejected.ts";
import { onStockReserved } from "./handlers/StockReserved.ts";

export type OrdersEvents = ServiceEvents<OrdersTx>;

export interface CreateOrdersEventsOptions {
  prisma: OrdersPrisma;
  bus: EventBus;
  logger: Logger;
  registry?: ServiceCreateOptions["registry"];
}

/** The orders service's outbox, relay and consumers. */
export function createOrdersEvents({ prisma, bus, logger, registry }: CreateOrdersEventsOptions): OrdersEvents {
  return createServiceEvents<OrdersTx>({ service: "orders", db: prisma, bus, logger, registry });
}

/** What handlers get besides the event and the inbox transaction. */
export interface OrdersHandlerDeps {
  events: Pick<OrdersEvents, "emit">;
  logger: Logger;
}

/**
 * The orders saga consumer ("orders-saga"): moves orders along their
 * lifecycle as inventory, payments and shipping report back, and keeps the
 * local price list in step with the catalog. One consumer for all of them
 * keeps an order's events in the order they were published.
 */
export function subscribeOrders(events: OrdersEvents, deps: OrdersHandlerDeps): Promise<Consumer> {
  return events.subscribe("saga", {
    StockReserved: (event, tx) => onStockReserved(event, tx, deps),
    StockRejected: (event, tx) => onStockRejected(event, tx, deps),
    PaymentCaptured: (event, tx) => onPaymentCaptured(event, tx, deps),
    PaymentFailed: (event, tx) => onPaymentFailed(event, tx, deps),
    ShipmentDispatched: (event, tx) => onShipmentDispatched(event, tx, deps),
    ShipmentDelivered: (event, tx) => onShipmentDelivered(event, tx, deps),
    ProductCreated: (event, tx) => onProductCreated(event, tx, deps),
    ProductPriceChanged: (event, tx) => onProductPriceChanged(event, tx, deps),
  });
}
