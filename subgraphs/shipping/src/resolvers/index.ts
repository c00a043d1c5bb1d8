import type { Resolvers } from "../generated/graphql.ts";
import { Mutation } from "./Mutation.ts";
import { Order } from "./Order.ts";
import { Query } from "./Query.ts";
import { Shipment } from "./Shipment.ts";
import { ShipmentEvent } from "./ShipmentEvent.ts";
import { Subscription } from "./Subscription.ts";

export const resolvers: Resolvers = { Query, Mutation, Subscription, Shipment, ShipmentEvent, Order };
