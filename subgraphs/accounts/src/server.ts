import { createSubgraph, loadTypeDefs, type Logger } from "@store/kit";
import { createContext } from "./context.ts";
import type { AccountsPrisma } from "./db.ts";
import { resolvers } from "./resolvers/index.ts";

export interface AccountsSubgraphDeps {
  prisma: AccountsPrisma;
  logger: Logger;
  /** HS256 key for access tokens; the router verifies them with the same secret. */
  jwtSecret: string;
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the accounts subgraph; never listens (see index.ts). */
export function createAccountsSubgraph({ prisma, logger, jwtSecret }: AccountsSubgraphDeps) {
  return createSubgraph({
    name: "accounts",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    createContext: (base) => createContext(prisma, jwtSecret, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
