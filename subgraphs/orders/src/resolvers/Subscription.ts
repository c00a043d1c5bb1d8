import type { EventEnvelope } from "@store/events";
import { ERRORS, canAccess, fields, isAdmin, parseInput, requireUser } from "@store/kit";
import type { Context } from "../context.ts";
import type { SubscriptionResolvers } from "../generated/graphql.ts";
import type { OrderMapper } from "../mappers.ts";

/**
 * The order as one status change left it. Each event runs with a fresh
 * context, so the row is read now, not served from an earlier event's cache.
 * The status is the event's own: by the time an event is delivered the order
 * may have moved on, and a subscriber must still see every step, in order.
 */
async function orderAfter(event: EventEnvelope<"OrderStatusChanged">, _args: unknown, { loaders }: Context): Promise<OrderMapper> {
  const order = await loaders.order.load(event.payload.orderId);
  if (!order) throw ERRORS.NOT_FOUND.err(`Order ${event.payload.orderId} does not exist`);
  return { ...order, status: event.payload.to };
}

export const Subscription: SubscriptionResolvers = {
  orderUpdated: {
    async subscribe(_, args, { prisma, live, identity }) {
      const caller = requireUser(identity);
      const orderId = parseInput(fields.id("orderId"), args.orderId);
      // Listening before the check: a change committed between the two is not missed.
      const changes = await live.listen(["OrderStatusChanged"], (event) => event.payload.orderId === orderId);
      // An order's customer never changes, so one check covers every later event.
      const order = await prisma.order.findUnique({ where: { id: orderId }, select: { customerId: true } });
      if (!order || !canAccess(caller, order.customerId)) {
        await changes.return();
        // Someone else's order reads exactly like a missing one.
        throw ERRORS.NOT_FOUND.err(`Order ${orderId} does not exist`, { extensions: { field: "orderId" } });
      }
      return changes;
    },
    resolve: orderAfter,
  },

  myOrderUpdates: {
    subscribe(_, __, { live, identity }) {
      const caller = requireUser(identity);
      // The customer is in every OrderStatusChanged: authorized per event, with no read.
      return live.listen(["OrderStatusChanged"], isAdmin(caller) ? undefined : (event) => event.payload.customerId === caller.userId);
    },
    resolve: orderAfter,
  },
};
