import { createSubgraph, loadTypeDefs, type Logger, type ServiceCreateOptions } from "@store/kit";
import { createContext } from "./context.ts";
import type { OrdersPrisma } from "./db.ts";
import type { OrdersEvents } from "./events.ts";
import { resolvers } from "./resolvers/index.ts";

export interface OrdersSubgraphDeps {
  prisma: OrdersPrisma;
  events: OrdersEvents;
  logger: Logger;
  /** Served at /metrics when given. */
  registry?: ServiceCreateOptions["registry"];
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the orders subgraph; never listens (see index.ts). */
export function createOrdersSubgraph({ prisma, events, logger, registry }: OrdersSubgraphDeps) {
  return createSubgraph({
    name: "orders",
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
