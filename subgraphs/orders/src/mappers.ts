import type { Order, OrderLine, OrderStatusChange } from "./generated/prisma/client.ts";
import type { Connection } from "@store/kit";

export type OrderMapper = Order;
/** A line carries its order's currency so unitPrice and lineTotal need no second lookup. */
export type OrderLineMapper = OrderLine & { currency: string };
export type OrderStatusChangeMapper = OrderStatusChange;
export type OrderConnectionMapper = Connection<Order>;
export type OrderEdgeMapper = { cursor: string; node: Order };
/** Users belong to accounts; this subgraph only knows their id. */
export type UserMapper = { id: string };
