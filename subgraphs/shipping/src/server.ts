import { createSubgraph, loadTypeDefs, type Logger, type ServiceCreateOptions } from "@store/kit";
import { createContext } from "./context.ts";
import type { ShippingPrisma } from "./db.ts";
import type { ShippingEvents } from "./events.ts";
import { resolvers } from "./resolvers/index.ts";

export interface ShippingSubgraphDeps {
  prisma: ShippingPrisma;
  logger: Logger;
  events: ShippingEvents;
  /** Served at /metrics when given. */
  registry?: ServiceCreateOptions["registry"];
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the shipping subgraph; never listens (see index.ts). */
export function createShippingSubgraph({ prisma, logger, events, registry }: ShippingSubgraphDeps) {
  return createSubgraph({
    name: "shipping",
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
