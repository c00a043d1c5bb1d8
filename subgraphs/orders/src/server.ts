import { createSubgraph, loadTypeDefs, type Logger } from "@store/kit";
import { createContext } from "./context.ts";
import type { OrdersPrisma } from "./db.ts";
import { resolvers } from "./resolvers/index.ts";

export interface OrdersSubgraphDeps {
  prisma: OrdersPrisma;
  logger: Logger;
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the orders subgraph; never listens (see index.ts). */
export function createOrdersSubgraph({ prisma, logger }: OrdersSubgraphDeps) {
  return createSubgraph({
    name: "orders",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    createContext: (base) => createContext(prisma, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
