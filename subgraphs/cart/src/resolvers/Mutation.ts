import { z } from "zod";
import { fields, parseInput, requireUser } from "@store/kit";
import * as carts from "../cart.ts";
import type { MutationResolvers } from "../generated/graphql.ts";
import { refreshCart } from "../loaders.ts";

const lineQuantity = fields.quantity().max(carts.MAX_LINE_QUANTITY, `quantity must be at most ${carts.MAX_LINE_QUANTITY}`);

const addToCartArgs = z.object({ productId: fields.id("productId"), quantity: lineQuantity });
const changeQuantityArgs = z.object({ lineId: fields.id("lineId"), quantity: lineQuantity });
const lineArgs = z.object({ lineId: fields.id("lineId") });

export const Mutation: MutationResolvers = {
  async addToCart(_, args, { prisma, identity, loaders }) {
    const { userId } = requireUser(identity);
    const { productId, quantity } = parseInput(addToCartArgs, args);
    return refreshCart(loaders, await carts.addToCart(prisma, userId, productId, quantity));
  },

  async changeCartLineQuantity(_, args, { prisma, identity, loaders }) {
    const { userId } = requireUser(identity);
    const { lineId, quantity } = parseInput(changeQuantityArgs, args);
    return refreshCart(loaders, await carts.changeCartLineQuantity(prisma, userId, lineId, quantity));
  },

  async removeCartLine(_, args, { prisma, identity, loaders }) {
    const { userId } = requireUser(identity);
    const { lineId } = parseInput(lineArgs, args);
    return refreshCart(loaders, await carts.removeCartLine(prisma, userId, lineId));
  },

  async clearCart(_, __, { prisma, identity, loaders }) {
    const { userId } = requireUser(identity);
    return refreshCart(loaders, await carts.clearCart(prisma, userId));
  },
};
