import { z } from "zod";
import { defineSubgraphService } from "@store/kit";
import { createContext } from "./context.ts";
import { PrismaClient } from "./generated/prisma/client.ts";
import { resolvers } from "./resolvers/index.ts";
import { seedAccounts } from "./seed.ts";
import { connectThrottleRedis, createSignInThrottle } from "./signInThrottle.ts";
import type { Resources } from "./types.ts";

/** Accounts only emits (UserRegistered): no consumers. */
export const accountsService = defineSubgraphService({
  name: "accounts",
  defaultPort: 4001,
  schema: new URL("../schema.graphql", import.meta.url),
  PrismaClient,
  resolvers,
  context: createContext,
  seed: seedAccounts,
  /** Accounts signs access tokens, so it needs the secret the router verifies them with. */
  env: z.object({ JWT_SECRET: z.string().min(32, "must be at least 32 characters") }),
  resources: ({ env, config, logger, onDispose }): Resources => {
    // With REDIS_URL every accounts instance counts sign-in failures in one place.
    const redis = config.REDIS_URL ? connectThrottleRedis(config.REDIS_URL, { logger }) : undefined;
    if (redis) onDispose(() => redis.quit().catch(() => redis.disconnect()));
    return { jwtSecret: env.JWT_SECRET, signInThrottle: createSignInThrottle({ redis, keyPrefix: config.REDIS_KEY_PREFIX }) };
  },
});
