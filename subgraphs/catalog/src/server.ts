import { createSubgraph, loadTypeDefs, type Logger, type ServiceCreateOptions } from "@store/kit";
import { createContext } from "./context.ts";
import type { CatalogPrisma } from "./db.ts";
import type { CatalogEvents } from "./events.ts";
import { resolvers } from "./resolvers/index.ts";

export interface CatalogSubgraphDeps {
  prisma: CatalogPrisma;
  logger: Logger;
  events: CatalogEvents;
  /** Served at /metrics when given. */
  registry?: ServiceCreateOptions["registry"];
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the catalog subgraph; never listens (see index.ts). */
export function createCatalogSubgraph({ prisma, logger, events, registry }: CatalogSubgraphDeps) {
  return createSubgraph({
    name: "catalog",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    registry,
    createContext: (base) => createContext(prisma, events, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
