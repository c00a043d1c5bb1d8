import { z } from "zod";
import { ERRORS, fields, parseInput, requireAdmin } from "@store/kit";
import type { MutationResolvers } from "../generated/graphql.ts";
import { stockChanged } from "../stockChanged.ts";

const restockInput = z.object({
  productId: fields.id("productId"),
  quantity: z.number().int("quantity must be a whole number").min(1, "quantity must be at least 1").max(100_000, "quantity must be at most 100000"),
});

export const Mutation: MutationResolvers = {
  async restock(_, args, { prisma, events, identity }) {
    requireAdmin(identity);
    const { productId, quantity } = parseInput(restockInput, args);
    const result = await prisma.$transaction(async (tx) => {
      // An increment in SQL, not read-add-write: concurrent restocks all count.
      const [stockItem] = await tx.stockItem.updateManyAndReturn({
        where: { productId },
        data: { onHand: { increment: quantity } },
      });
      if (!stockItem) throw ERRORS.NOT_FOUND.err(`Inventory has no record of product ${productId}`, { extensions: { field: "productId" } });
      await tx.stockMovement.create({ data: { productId, delta: quantity, onHandDelta: quantity, reason: "RESTOCK" } });
      // The counters as this transaction left them, so concurrent restocks each report their own step.
      await events.emit(tx, stockChanged(stockItem));
      return { id: productId, stockItem };
    });
    events.committed();
    return result;
  },
};
