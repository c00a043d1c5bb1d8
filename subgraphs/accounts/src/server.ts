import { createSubgraph, loadTypeDefs, type Logger, type ServiceCreateOptions } from "@store/kit";
import { createContext } from "./context.ts";
import type { AccountsPrisma } from "./db.ts";
import type { AccountsEvents } from "./events.ts";
import { resolvers } from "./resolvers/index.ts";
import { createSignInThrottle, type SignInThrottle } from "./signInThrottle.ts";

export interface AccountsSubgraphDeps {
  prisma: AccountsPrisma;
  logger: Logger;
  events: AccountsEvents;
  /** HS256 key for access tokens; the router verifies them with the same secret. */
  jwtSecret: string;
  /** Served at /metrics when given. */
  registry?: ServiceCreateOptions["registry"];
  /** @default createSignInThrottle(): in this process's memory, default limits */
  signInThrottle?: SignInThrottle;
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the accounts subgraph; never listens (see index.ts). */
export function createAccountsSubgraph({ prisma, logger, events, jwtSecret, registry, signInThrottle = createSignInThrottle() }: AccountsSubgraphDeps) {
  return createSubgraph({
    name: "accounts",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    registry,
    createContext: (base) => createContext(prisma, events, jwtSecret, signInThrottle, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
