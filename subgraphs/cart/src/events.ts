import { createServiceEvents, type Consumer, type EventBus, type ServiceEvents } from "@store/events";
import type { Logger, ServiceCreateOptions } from "@store/kit";
import type { CartPrisma } from "./db.ts";
import type { Tx } from "./cart.ts";
import { onOrderPlaced } from "./handlers/OrderPlaced.ts";
import { onProductCreated } from "./handlers/ProductCreated.ts";
import { onProductPriceChanged } from "./handlers/ProductPriceChanged.ts";

export type CartEvents = ServiceEvents<Tx>;

export interface CreateCartEventsOptions {
  prisma: CartPrisma;
  bus: EventBus;
  logger: Logger;
  registry?: ServiceCreateOptions["registry"];
}

/**
 * Cart emits nothing, so its outbox stays empty; the relay still runs
 * because the same runtime also owns the consumer and its metrics.
 */
export function createCartEvents({ prisma, bus, logger, registry }: CreateCartEventsOptions): CartEvents {
  return createServiceEvents({ service: "cart", db: prisma, bus, logger, registry });
}

/** What every handler gets besides its event and the inbox transaction. */
export interface CartHandlerDeps {
  logger: Logger;
}

/**
 * The one durable consumer, "cart-saga": orders empty carts, and catalog keeps
 * the product snapshot (what a line may hold and what it costs) current.
 */
export function subscribeCart(events: CartEvents, deps: CartHandlerDeps): Promise<Consumer> {
  return events.subscribe("saga", {
    OrderPlaced: (event, tx) => onOrderPlaced(event, tx, deps),
    ProductCreated: (event, tx) => onProductCreated(event, tx, deps),
    ProductPriceChanged: (event, tx) => onProductPriceChanged(event, tx, deps),
  });
}
