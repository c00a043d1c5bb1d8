import type { EventEnvelope } from "@store/events";
import type { OrdersHandlerDeps } from "../events.ts";
import { OrderStatus } from "../generated/prisma/enums.ts";
import type { OrdersTx } from "../orderEvents.ts";
import { advanceOrder } from "./transition.ts";

/** The parcel left the warehouse. */
export async function onShipmentDispatched(event: EventEnvelope<"ShipmentDispatched">, tx: OrdersTx, deps: OrdersHandlerDeps): Promise<void> {
  const { carrier, trackingNumber } = event.payload;
  await advanceOrder(event, tx, deps, { from: OrderStatus.PAID, to: OrderStatus.SHIPPED, reason: `shipped with ${carrier}, tracking number ${trackingNumber}` });
}
