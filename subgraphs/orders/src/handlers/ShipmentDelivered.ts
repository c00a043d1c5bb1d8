import type { EventEnvelope } from "@store/events";
import type { OrdersHandlerDeps } from "../events.ts";
import { OrderStatus } from "../generated/prisma/enums.ts";
import type { OrdersTx } from "../orderEvents.ts";
import { advanceOrder } from "./transition.ts";

/** The carrier delivered the parcel: the end of the saga. */
export async function onShipmentDelivered(event: EventEnvelope<"ShipmentDelivered">, tx: OrdersTx, deps: OrdersHandlerDeps): Promise<void> {
  await advanceOrder(event, tx, deps, { from: OrderStatus.SHIPPED, to: OrderStatus.DELIVERED, reason: "delivered" });
}
