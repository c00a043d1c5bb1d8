import type { ShipmentEventResolvers } from "../generated/graphql.ts";

export const ShipmentEvent: ShipmentEventResolvers = {
  at: (event) => event.at.toISOString(),
};
