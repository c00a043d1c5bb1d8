import { createServiceEvents, type EventBus, type ServiceEvents } from "@store/events";
import type { Logger, ServiceCreateOptions } from "@store/kit";
import type { InventoryPrisma, InventoryTx } from "./db.ts";
import { handleOrderCancelled } from "./handlers/OrderCancelled.ts";
import { handleOrderPlaced } from "./handlers/OrderPlaced.ts";
import { handleProductCreated } from "./handlers/ProductCreated.ts";
import { handleShipmentDispatched } from "./handlers/ShipmentDispatched.ts";

export type InventoryEvents = ServiceEvents<InventoryTx>;

export interface CreateInventoryEventsOptions {
  prisma: InventoryPrisma;
  bus: EventBus;
  logger: Logger;
  registry?: ServiceCreateOptions["registry"];
}

/** Inventory's outbox, relay and consumers. */
export function createInventoryEvents({ prisma, bus, logger, registry }: CreateInventoryEventsOptions): InventoryEvents {
  return createServiceEvents({ service: "inventory", db: prisma, bus, logger, registry });
}

/** What every handler gets besides its event and the inbox transaction. */
export interface InventoryHandlerDeps {
  events: InventoryEvents;
  logger: Logger;
}

/**
 * The one durable consumer "inventory-saga": inventory's part of the order
 * saga (hold, release and ship stock) and the stock rows of new products.
 */
export async function subscribeInventory(events: InventoryEvents, { logger }: { logger: Logger }) {
  const deps: InventoryHandlerDeps = { events, logger: logger.child({ consumer: "inventory-saga" }) };
  return events.subscribe("saga", {
    OrderPlaced: (event, tx) => handleOrderPlaced(event, tx, deps),
    OrderCancelled: (event, tx) => handleOrderCancelled(event, tx, deps),
    ShipmentDispatched: (event, tx) => handleShipmentDispatched(event, tx, deps),
    ProductCreated: (event, tx) => handleProductCreated(event, tx, deps),
  });
}
