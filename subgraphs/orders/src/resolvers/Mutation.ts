import { randomUUID } from "node:crypto";
import { z } from "zod";
import { createEvent } from "@store/events";
import { ERRORS, canAccess, fields, parseInput, requireUser } from "@store/kit";
import type { MutationResolvers } from "../generated/graphql.ts";
import { OrderStatus } from "../generated/prisma/enums.ts";
import { HISTORY_ORDER, LINE_ORDER } from "../loaders.ts";
import { orderEvent } from "../orderEvents.ts";
import { transitionOrder } from "../orderStatus.ts";

/** totalCents is a PostgreSQL integer, and Money.amount a GraphQL Int: both are 32-bit. */
const MAX_TOTAL_CENTS = 2_147_483_647;
const MAX_LINE_QUANTITY = 1000;

/** Sums the quantities of lines for the same product, keeping first-seen order. */
export function mergeQuantities(lines: readonly { productId: string; quantity: number }[]): Map<string, number> {
  const merged = new Map<string, number>();
  for (const { productId, quantity } of lines) merged.set(productId, (merged.get(productId) ?? 0) + quantity);
  return merged;
}

const placeOrderInput = z.object({
  lines: z
    .array(z.object({ productId: fields.id("productId"), quantity: fields.quantity() }))
    .min(1, "an order needs at least one line")
    .max(50, "an order has at most 50 lines")
    .superRefine((lines, ctx) => {
      for (const [productId, quantity] of mergeQuantities(lines)) {
        if (quantity > MAX_LINE_QUANTITY) {
          ctx.addIssue({ code: "custom", message: `quantities of product ${productId} add up to ${quantity}, more than ${MAX_LINE_QUANTITY}` });
        }
      }
    }),
  cartId: fields.id("cartId").nullish(),
  shippingAddressId: fields.id("shippingAddressId").nullish(),
  paymentToken: z.string().regex(/^tok_[a-z0-9_]{1,40}$/, "paymentToken must be tok_ followed by 1-40 lower-case letters, digits or underscores"),
});

const cancelOrderInput = z.object({ orderId: fields.id("orderId"), reason: fields.text(500).nullish() });

export const Mutation: MutationResolvers = {
  async placeOrder(_, { input }, { prisma, events, loaders, identity }) {
    const caller = requireUser(identity);
    const data = parseInput(placeOrderInput, input);
    const quantities = mergeQuantities(data.lines);
    // Prices are read in the transaction that writes the order, so the order
    // is priced from one consistent snapshot of the local price list.
    const placed = await prisma.$transaction(async (tx) => {
      const prices = await tx.productPrice.findMany({ where: { productId: { in: [...quantities.keys()] } } });
      const byId = new Map(prices.map((p) => [p.productId, p]));
      const missing: string[] = [];
      const lines: { productId: string; productName: string; unitPriceCents: number; quantity: number }[] = [];
      for (const [productId, quantity] of quantities) {
        const price = byId.get(productId);
        if (price) lines.push({ productId, productName: price.name, unitPriceCents: price.priceCents, quantity });
        else missing.push(productId);
      }
      if (missing.length > 0) {
        throw ERRORS.NOT_FOUND.err(`Product ${missing.join(", ")} does not exist`, { extensions: { field: "lines", productIds: missing } });
      }
      const currencies = [...new Set(prices.map((p) => p.currency))];
      const [currency] = currencies;
      if (currency === undefined || currencies.length > 1) {
        throw ERRORS.BAD_USER_INPUT.err(`An order is paid in one currency; these products are priced in ${currencies.join(", ")}`, { extensions: { field: "lines" } });
      }
      const totalCents = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
      if (totalCents > MAX_TOTAL_CENTS) throw ERRORS.BAD_USER_INPUT.err("The order total is too large; split it into several orders", { extensions: { field: "lines" } });
      // The id is chosen here so the OrderPlaced event can name the order and
      // be the root of its saga: its id becomes the order's correlation id.
      const orderId = randomUUID();
      const customerId = caller.userId;
      const cartId = data.cartId ?? null;
      const placedEvent = createEvent(
        "OrderPlaced",
        {
          orderId,
          customerId,
          cartId,
          lines: lines.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
          totalCents,
          currency,
          paymentToken: data.paymentToken,
        },
        { aggregateId: orderId },
      );
      const order = await tx.order.create({
        data: {
          id: orderId,
          correlationId: placedEvent.correlationId,
          customerId,
          status: OrderStatus.PENDING,
          totalCents,
          currency,
          paymentToken: data.paymentToken,
          cartId,
          shippingAddressId: data.shippingAddressId ?? null,
          lines: { create: lines },
          statusChanges: { create: { fromStatus: null, toStatus: OrderStatus.PENDING, reason: "placed" } },
        },
        include: { lines: { orderBy: LINE_ORDER }, statusChanges: { orderBy: HISTORY_ORDER } },
      });
      // Placing is the order's first transition (from nothing to PENDING); it is announced like every other.
      const statusEvent = orderEvent("OrderStatusChanged", { orderId, customerId, from: null, to: OrderStatus.PENDING, reason: "placed" }, order, placedEvent);
      await events.emit(tx, placedEvent, statusEvent);
      return order;
    });
    events.committed();
    const { lines, statusChanges, ...order } = placed;
    // The caller usually selects lines and history right away; they are already in hand.
    loaders.order.prime(order.id, order);
    loaders.orderLines.prime(order.id, lines);
    loaders.statusHistory.prime(order.id, statusChanges);
    return order;
  },

  async cancelOrder(_, args, { prisma, events, loaders, identity }) {
    const caller = requireUser(identity);
    const { orderId, reason } = parseInput(cancelOrderInput, args);
    const owner = await prisma.order.findUnique({ where: { id: orderId }, select: { customerId: true } });
    // Someone else's order is reported exactly like a missing one.
    if (!owner || !canAccess(caller, owner.customerId)) throw ERRORS.NOT_FOUND.err(`Order ${orderId} does not exist`, { extensions: { field: "orderId" } });
    const why = reason ?? (caller.userId === owner.customerId ? "cancelled by the customer" : "cancelled by an administrator");
    // transitionOrder writes OrderStatusChanged and OrderCancelled with the change: inventory releases the stock, payments refunds.
    const { order } = await prisma.$transaction((tx) => transitionOrder(tx, events, { orderId, to: OrderStatus.CANCELLED, reason: why }));
    events.committed();
    loaders.order.prime(order.id, order);
    return order;
  },
};
