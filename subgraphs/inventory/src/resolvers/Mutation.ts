import { z } from "zod";
import { ERRORS, fields, parseInput, requireAdmin } from "@store/kit";
import type { MutationResolvers } from "../generated/graphql.ts";

const restockInput = z.object({
  productId: fields.id("productId"),
  quantity: z.number().int("quantity must be a whole number").min(1, "quantity must be at least 1").max(100_000, "quantity must be at most 100000"),
});

export const Mutation: MutationResolvers = {
  async restock(_, args, { prisma, identity }) {
    requireAdmin(identity);
    const { productId, quantity } = parseInput(restockInput, args);
    return prisma.$transaction(async (tx) => {
      // An increment in SQL, not read-add-write: concurrent restocks all count.
      const [stockItem] = await tx.stockItem.updateManyAndReturn({
        where: { productId },
        data: { onHand: { increment: quantity } },
      });
      if (!stockItem) throw ERRORS.NOT_FOUND.err(`Inventory has no record of product ${productId}`, { field: "productId" });
      await tx.stockMovement.create({ data: { productId, delta: quantity, reason: "RESTOCK" } });
      return { id: productId, stockItem };
    });
  },
};
