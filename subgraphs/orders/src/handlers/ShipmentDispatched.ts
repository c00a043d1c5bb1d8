import type { EventEnvelope } from "@store/events";
import { OrderStatus } from "../generated/prisma/enums.ts";
import { advanceOrder } from "../advanceOrder.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/** The parcel left the warehouse. */
export async function handleShipmentDispatched(event: EventEnvelope<"ShipmentDispatched">, tx: Tx, deps: HandlerDeps): Promise<void> {
  const { carrier, trackingNumber } = event.payload;
  await advanceOrder(event, tx, deps, { from: OrderStatus.PAID, to: OrderStatus.SHIPPED, reason: `shipped with ${carrier}, tracking number ${trackingNumber}` });
}
