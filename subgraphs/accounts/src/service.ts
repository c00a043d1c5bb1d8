import { fileURLToPath } from "node:url";
import { z } from "zod";
import { loadConfig, type ServiceDefinition } from "@store/kit";
import { createAccountsPrisma } from "./db.ts";
import { createAccountsEvents } from "./events.ts";
import { seedAccounts } from "./seed.ts";
import { createAccountsSubgraph } from "./server.ts";

/** Accounts signs access tokens, so it needs the secret the router verifies them with. */
const accountsEnv = z.object({ JWT_SECRET: z.string().min(32, "must be at least 32 characters") });

export const accountsService: ServiceDefinition = {
  name: "accounts",
  defaultPort: 4001,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  async create({ config, env, logger, bus, registry }) {
    // Parsed before anything is opened: a bad secret exits with a config error and leaks no pool.
    const { JWT_SECRET } = loadConfig(accountsEnv, env);
    const prisma = createAccountsPrisma({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
    const events = createAccountsEvents({ prisma, bus, logger, registry });
    return {
      subgraph: createAccountsSubgraph({ prisma, logger, events, jwtSecret: JWT_SECRET, registry }),
      seed: () => seedAccounts(prisma),
      // Publishing waits for start(): on the in-process bus an event published
      // before the other services subscribed would reach no consumer.
      start: () => events.start(),
      dispose: async () => {
        await events.stop();
        await prisma.$disconnect();
      },
    };
  },
};
