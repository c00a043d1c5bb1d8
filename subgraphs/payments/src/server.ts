import { createSubgraph, loadTypeDefs, type Logger } from "@store/kit";
import { createContext } from "./context.ts";
import type { PaymentsPrisma } from "./db.ts";
import { resolvers } from "./resolvers/index.ts";

export interface PaymentsSubgraphDeps {
  prisma: PaymentsPrisma;
  logger: Logger;
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the payments subgraph; never listens (see index.ts). */
export function createPaymentsSubgraph({ prisma, logger }: PaymentsSubgraphDeps) {
  return createSubgraph({
    name: "payments",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    createContext: (base) => createContext(prisma, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
