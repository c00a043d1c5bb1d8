import type { Shipment, ShipmentEvent } from "./generated/prisma/client.ts";
import type { Connection } from "@store/kit";

export type ShipmentMapper = Shipment;
export type ShipmentEventMapper = ShipmentEvent;
export type ShipmentConnectionMapper = Connection<Shipment>;
export type ShipmentEdgeMapper = { cursor: string; node: Shipment };
/** The orders subgraph owns orders; here an order is only its id. */
export type OrderMapper = { id: string };
