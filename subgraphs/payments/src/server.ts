import { createSubgraph, loadTypeDefs, type Logger, type ServiceCreateOptions } from "@store/kit";
import { createContext } from "./context.ts";
import type { PaymentsPrisma } from "./db.ts";
import type { PaymentsEvents } from "./events.ts";
import { resolvers } from "./resolvers/index.ts";

export interface PaymentsSubgraphDeps {
  prisma: PaymentsPrisma;
  logger: Logger;
  events: PaymentsEvents;
  /** Served at /metrics when given. */
  registry?: ServiceCreateOptions["registry"];
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the payments subgraph; never listens (see index.ts). */
export function createPaymentsSubgraph({ prisma, logger, events, registry }: PaymentsSubgraphDeps) {
  return createSubgraph({
    name: "payments",
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
