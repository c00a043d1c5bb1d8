import type { EventBus } from "@store/events";
import { createLiveEvents, createSubgraph, loadTypeDefs, type Logger, type ServiceCreateOptions } from "@store/kit";
import { createContext } from "./context.ts";
import type { InventoryPrisma } from "./db.ts";
import type { InventoryEvents } from "./events.ts";
import { resolvers } from "./resolvers/index.ts";

export interface InventorySubgraphDeps {
  prisma: InventoryPrisma;
  events: InventoryEvents;
  /** Subscriptions listen to it (the outbox relay publishes through `events`). */
  bus: EventBus;
  logger: Logger;
  /** Served at /metrics when given. */
  registry?: ServiceCreateOptions["registry"];
  /** Events held per subscriber before it is ended with SUBSCRIPTION_OVERFLOW. @default 100 */
  subscriptionQueue?: number;
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the inventory subgraph; never listens (see index.ts). */
export function createInventorySubgraph({ prisma, events, bus, logger, registry, subscriptionQueue }: InventorySubgraphDeps) {
  const live = createLiveEvents(bus, { maxQueue: subscriptionQueue, logger: logger.child({ component: "subscriptions" }) });
  return createSubgraph({
    name: "inventory",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    registry,
    createContext: (base) => createContext({ prisma, events, live }, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
