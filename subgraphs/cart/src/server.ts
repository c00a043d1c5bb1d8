import { createSubgraph, loadTypeDefs, type Logger, type SubgraphOptions } from "@store/kit";
import { createContext, type Context } from "./context.ts";
import type { CartPrisma } from "./db.ts";
import { resolvers } from "./resolvers/index.ts";

export interface CartSubgraphDeps {
  prisma: CartPrisma;
  logger: Logger;
  /** Served at /metrics (the cart-saga consumer's lag and outcomes, process metrics). */
  registry?: SubgraphOptions<Context>["registry"];
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/**
 * Builds the cart subgraph; never listens (see index.ts). Its resolvers emit
 * no events (the catalogue has none for carts), so the context carries none.
 */
export function createCartSubgraph({ prisma, logger, registry }: CartSubgraphDeps) {
  return createSubgraph({
    name: "cart",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    registry,
    createContext: (base) => createContext(prisma, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
