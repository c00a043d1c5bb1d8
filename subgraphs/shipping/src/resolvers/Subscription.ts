import type { EventEnvelope } from "@store/events";
import { ERRORS, canAccess, fields, isAdmin, parseInput, requireUser } from "@store/kit";
import type { Context } from "../context.ts";
import type { SubscriptionResolvers } from "../generated/graphql.ts";
import type { ShipmentMapper } from "../mappers.ts";

type ShipmentStep = EventEnvelope<"ShipmentDispatched" | "ShipmentDelivered">;

/**
 * The shipment as one step left it: read now (each event runs with a fresh
 * context, so nothing is cached from the last one), with the step's own
 * status, since the shipment may already have moved on by the time an event
 * is delivered and a subscriber must still see every step in order.
 */
async function shipmentAfter(event: ShipmentStep, _args: unknown, { loaders }: Context): Promise<ShipmentMapper> {
  const shipment = await loaders.shipment.load(event.payload.shipmentId);
  if (!shipment) throw ERRORS.NOT_FOUND.err(`Shipment ${event.payload.shipmentId} does not exist`);
  return event.type === "ShipmentDispatched" ? { ...shipment, status: "DISPATCHED", deliveredAt: null } : { ...shipment, status: "DELIVERED" };
}

export const Subscription: SubscriptionResolvers = {
  shipmentUpdated: {
    async subscribe(_, args, { prisma, live, identity }) {
      const caller = requireUser(identity);
      const orderId = parseInput(fields.id("orderId"), args.orderId);
      // Every step names its customer, so each is authorized on its own; this
      // also covers an order whose shipment does not exist yet, whose owner
      // shipping cannot know in advance.
      const steps = await live.listen(
        ["ShipmentDispatched", "ShipmentDelivered"],
        (event) => event.payload.orderId === orderId && (isAdmin(caller) || event.payload.customerId === caller.userId),
      );
      // Listening first: a step committed during this check is not missed.
      const shipment = await prisma.shipment.findUnique({ where: { orderId }, select: { customerId: true } });
      if (shipment && !canAccess(caller, shipment.customerId)) {
        await steps.return();
        // NOT_FOUND, as the queries answer for someone else's shipment.
        throw ERRORS.NOT_FOUND.err(`Order ${orderId} has no shipment`, { extensions: { field: "orderId" } });
      }
      return steps;
    },
    resolve: shipmentAfter,
  },
};
