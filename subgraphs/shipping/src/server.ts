import { createSubgraph, loadTypeDefs, type Logger } from "@store/kit";
import { createContext } from "./context.ts";
import type { ShippingPrisma } from "./db.ts";
import { resolvers } from "./resolvers/index.ts";

export interface ShippingSubgraphDeps {
  prisma: ShippingPrisma;
  logger: Logger;
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the shipping subgraph; never listens (see index.ts). */
export function createShippingSubgraph({ prisma, logger }: ShippingSubgraphDeps) {
  return createSubgraph({
    name: "shipping",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    createContext: (base) => createContext(prisma, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
