import type { EventEnvelope } from "@store/events";
import { OrderStatus } from "../generated/prisma/enums.ts";
import { advanceOrder } from "../advanceOrder.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/** The carrier delivered the parcel: the end of the saga. */
export async function handleShipmentDelivered(event: EventEnvelope<"ShipmentDelivered">, tx: Tx, deps: HandlerDeps): Promise<void> {
  await advanceOrder(event, tx, deps, { from: OrderStatus.SHIPPED, to: OrderStatus.DELIVERED, reason: "delivered" });
}
