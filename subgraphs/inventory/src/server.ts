import { createSubgraph, loadTypeDefs, type Logger } from "@store/kit";
import { createContext } from "./context.ts";
import type { InventoryPrisma } from "./db.ts";
import { resolvers } from "./resolvers/index.ts";

export interface InventorySubgraphDeps {
  prisma: InventoryPrisma;
  logger: Logger;
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the inventory subgraph; never listens (see index.ts). */
export function createInventorySubgraph({ prisma, logger }: InventorySubgraphDeps) {
  return createSubgraph({
    name: "inventory",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    createContext: (base) => createContext(prisma, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
