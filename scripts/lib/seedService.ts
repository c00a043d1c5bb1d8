/**
 * Seeds one service's database with the service's own seed: the service is
 * built on an in-process bus, never listens, and its outbox relay never
 * starts (what the seed writes to the outbox is published by the service's
 * first real start). Nothing is served and no token is signed, yet building
 * a service wants its secrets: throwaway ones.
 */
import { randomBytes } from "node:crypto";
import { Registry } from "prom-client";
import { createInProcessBus } from "@store/events";
import type { Logger, ServiceDefinition, SubgraphConfig } from "@store/kit";

export async function seedService(service: ServiceDefinition, url: string, logger: Logger): Promise<void> {
  const unused = randomBytes(32).toString("base64url");
  const config: SubgraphConfig = { PORT: 0, HOST: "127.0.0.1", DATABASE_URL: url, DATABASE_POOL_SIZE: 2, LOG_LEVEL: "warn", ROUTER_SIGNING_SECRET: unused };
  const bus = createInProcessBus({ logger });
  const instance = await service.create({ config, env: { JWT_SECRET: unused }, logger: logger.child({ service: service.name }), bus, registry: new Registry() });
  try {
    await instance.seed();
  } finally {
    await instance.dispose();
    await bus.close();
  }
}
