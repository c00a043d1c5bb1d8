import { fileURLToPath } from "node:url";
import { z } from "zod";
import { loadConfig, type ServiceDefinition } from "@store/kit";
import { createAccountsPrisma } from "./db.ts";
import { seedAccounts } from "./seed.ts";
import { createAccountsSubgraph } from "./server.ts";

/** Accounts signs access tokens, so it needs the secret the router verifies them with. */
const accountsEnv = z.object({ JWT_SECRET: z.string().min(32, "must be at least 32 characters") });

export const accountsService: ServiceDefinition = {
  name: "accounts",
  defaultPort: 4001,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  create({ config, env, logger }) {
    const { JWT_SECRET } = loadConfig(accountsEnv, env);
    const prisma = createAccountsPrisma({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
    return {
      subgraph: createAccountsSubgraph({ prisma, logger, jwtSecret: JWT_SECRET }),
      seed: () => seedAccounts(prisma),
      start: () => {},
      dispose: () => prisma.$disconnect(),
    };
  },
};
