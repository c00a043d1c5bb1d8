import { createSubgraph, loadTypeDefs, type Logger, type ServiceCreateOptions } from "@store/kit";
import { createContext } from "./context.ts";
import type { InventoryPrisma } from "./db.ts";
import type { InventoryEvents } from "./events.ts";
import { resolvers } from "./resolvers/index.ts";

export interface InventorySubgraphDeps {
  prisma: InventoryPrisma;
  events: InventoryEvents;
  logger: Logger;
  /** Served at /metrics when given. */
  registry?: ServiceCreateOptions["registry"];
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the inventory subgraph; never listens (see index.ts). */
export function createInventorySubgraph({ prisma, events, logger, registry }: InventorySubgraphDeps) {
  return createSubgraph({
    name: "inventory",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    registry,
    createContext: (base) => createContext({ prisma, events }, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
