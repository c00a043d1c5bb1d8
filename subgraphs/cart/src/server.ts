import { createSubgraph, loadTypeDefs, type Logger } from "@store/kit";
import { createContext } from "./context.ts";
import type { CartPrisma } from "./db.ts";
import { resolvers } from "./resolvers/index.ts";

export interface CartSubgraphDeps {
  prisma: CartPrisma;
  logger: Logger;
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the cart subgraph; never listens (see index.ts). */
export function createCartSubgraph({ prisma, logger }: CartSubgraphDeps) {
  return createSubgraph({
    name: "cart",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    createContext: (base) => createContext(prisma, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
