import { z } from "zod";
import { ERRORS, UNIQUE_VIOLATION, fields, isPrismaError, parseInput, requireAdmin } from "@store/kit";
import type { MutationResolvers } from "../generated/graphql.ts";

const money = z.object({ amount: fields.amountCents(), currency: fields.currency() });

const createProductInput = z.object({
  sku: z.string().trim().regex(/^[A-Z0-9][A-Z0-9-]{2,31}$/, "sku must be 3-32 upper-case letters, digits or dashes"),
  name: fields.text(200),
  description: fields.text(2000),
  categoryId: fields.id("categoryId"),
  price: money,
});

export const Mutation: MutationResolvers = {
  async createProduct(_, { input }, { prisma, identity }) {
    requireAdmin(identity);
    const data = parseInput(createProductInput, input);
    const category = await prisma.category.findUnique({ where: { id: data.categoryId } });
    if (!category) throw ERRORS.NOT_FOUND.err(`Category ${data.categoryId} does not exist`, { field: "categoryId" });
    try {
      return await prisma.product.create({
        data: {
          sku: data.sku,
          name: data.name,
          description: data.description,
          categoryId: data.categoryId,
          priceCents: data.price.amount,
          currency: data.price.currency,
        },
      });
    } catch (error) {
      if (isPrismaError(error, UNIQUE_VIOLATION)) throw ERRORS.CONFLICT.err(`A product with sku ${data.sku} already exists`, { field: "sku" });
      throw error;
    }
  },

  async changeProductPrice(_, args, { prisma, identity }) {
    requireAdmin(identity);
    const { productId, price } = parseInput(z.object({ productId: fields.id("productId"), price: money }), args);
    // updateMany reports the count instead of throwing on a missing row.
    const { count } = await prisma.product.updateMany({
      where: { id: productId },
      data: { priceCents: price.amount, currency: price.currency },
    });
    if (count === 0) throw ERRORS.NOT_FOUND.err(`Product ${productId} does not exist`, { field: "productId" });
    return prisma.product.findUniqueOrThrow({ where: { id: productId } });
  },
};
