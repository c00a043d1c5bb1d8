import { fields, parseInput, requireUser } from "@store/kit";
import type { QueryResolvers } from "../generated/graphql.ts";
import { visiblePayment } from "./visibility.ts";

export const Query: QueryResolvers = {
  async payment(_, { id }, { loaders, identity }) {
    const user = requireUser(identity);
    return visiblePayment(await loaders.payment.load(parseInput(fields.id(), id)), user);
  },
};
