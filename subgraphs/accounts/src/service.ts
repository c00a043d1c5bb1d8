import { fileURLToPath } from "node:url";
import { z } from "zod";
import { databaseOptions, loadConfig, type ServiceDefinition } from "@store/kit";
import { createAccountsPrisma } from "./db.ts";
import { createAccountsEvents } from "./events.ts";
import { seedAccounts } from "./seed.ts";
import { createAccountsSubgraph } from "./server.ts";
import { connectThrottleRedis, createSignInThrottle } from "./signInThrottle.ts";

/** Accounts signs access tokens, so it needs the secret the router verifies them with. */
const accountsEnv = z.object({ JWT_SECRET: z.string().min(32, "must be at least 32 characters") });

export const accountsService: ServiceDefinition = {
  name: "accounts",
  defaultPort: 4001,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  async create({ config, env, logger, bus, registry }) {
    // Parsed before anything is opened: a bad secret exits with a config error and leaks no pool.
    const { JWT_SECRET } = loadConfig(accountsEnv, env);
    const prisma = createAccountsPrisma({ url: config.DATABASE_URL, ...databaseOptions(config) });
    const events = createAccountsEvents({ prisma, bus, logger, registry });
    // With REDIS_URL every accounts instance counts sign-in failures in one place.
    const redis = config.REDIS_URL ? connectThrottleRedis(config.REDIS_URL, { logger }) : undefined;
    const signInThrottle = createSignInThrottle({ redis, keyPrefix: config.REDIS_KEY_PREFIX });
    return {
      subgraph: createAccountsSubgraph({ prisma, logger, events, jwtSecret: JWT_SECRET, registry, signInThrottle }),
      seed: () => seedAccounts(prisma),
      // Publishing waits for start(): on the in-process bus an event published
      // before the other services subscribed would reach no consumer.
      start: () => events.start(),
      dispose: async () => {
        await events.stop();
        await prisma.$disconnect();
        await redis?.quit().catch(() => redis.disconnect());
      },
    };
  },
};
