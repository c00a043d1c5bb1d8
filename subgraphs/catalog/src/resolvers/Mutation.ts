import { z } from "zod";
import { createEvent } from "@store/events";
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
  async createProduct(_, { input }, { prisma, events, identity }) {
    requireAdmin(identity);
    const data = parseInput(createProductInput, input);
    const product = await prisma
      .$transaction(async (tx) => {
        const category = await tx.category.findUnique({ where: { id: data.categoryId } });
        if (!category) throw ERRORS.NOT_FOUND.err(`Category ${data.categoryId} does not exist`, { extensions: { field: "categoryId" } });
        const created = await tx.product.create({
          data: {
            sku: data.sku,
            name: data.name,
            description: data.description,
            categoryId: data.categoryId,
            priceCents: data.price.amount,
            currency: data.price.currency,
          },
        });
        // Same transaction as the insert: the event exists exactly when the product does.
        await events.emit(
          tx,
          createEvent(
            "ProductCreated",
            { productId: created.id, sku: created.sku, name: created.name, categoryId: created.categoryId, priceCents: created.priceCents, currency: created.currency },
            { aggregateId: created.id },
          ),
        );
        return created;
      })
      .catch((error: unknown) => {
        if (isPrismaError(error, UNIQUE_VIOLATION)) throw ERRORS.CONFLICT.err(`A product with sku ${data.sku} already exists`, { extensions: { field: "sku" } });
        throw error;
      });
    events.committed();
    return product;
  },

  async changeProductPrice(_, args, { prisma, events, identity }) {
    requireAdmin(identity);
    const { productId, price } = parseInput(z.object({ productId: fields.id("productId"), price: money }), args);
    const { product, changed } = await prisma.$transaction(async (tx) => {
      // The row lock makes concurrent changes of one product take turns, so
      // each event's previous price is the one the change before it set: a
      // consumer replaying the events sees an unbroken chain of prices.
      const [current] = await tx.$queryRaw<{ priceCents: number; currency: string }[]>`
        SELECT "priceCents", "currency" FROM "Product" WHERE "id" = ${productId}::uuid FOR UPDATE`;
      if (!current) throw ERRORS.NOT_FOUND.err(`Product ${productId} does not exist`, { extensions: { field: "productId" } });
      // Setting the price it already has changes nothing, so there is nothing to announce (nor to write).
      if (current.priceCents === price.amount && current.currency === price.currency) {
        return { product: await tx.product.findUniqueOrThrow({ where: { id: productId } }), changed: false };
      }
      const updated = await tx.product.update({ where: { id: productId }, data: { priceCents: price.amount, currency: price.currency } });
      await events.emit(
        tx,
        createEvent(
          "ProductPriceChanged",
          {
            productId,
            name: updated.name,
            priceCents: updated.priceCents,
            currency: updated.currency,
            previousPriceCents: current.priceCents,
            previousCurrency: current.currency,
          },
          { aggregateId: productId },
        ),
      );
      return { product: updated, changed: true };
    });
    if (changed) events.committed();
    return product;
  },
};
