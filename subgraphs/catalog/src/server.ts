import { createSubgraph, loadTypeDefs, type Logger } from "@store/kit";
import { createContext } from "./context.ts";
import type { CatalogPrisma } from "./db.ts";
import { resolvers } from "./resolvers/index.ts";

export interface CatalogSubgraphDeps {
  prisma: CatalogPrisma;
  logger: Logger;
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the catalog subgraph; never listens (see index.ts). */
export function createCatalogSubgraph({ prisma, logger }: CatalogSubgraphDeps) {
  return createSubgraph({
    name: "catalog",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    createContext: (base) => createContext(prisma, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
