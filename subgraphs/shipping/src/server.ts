import type { EventBus } from "@store/events";
import { createLiveEvents, createSubgraph, loadTypeDefs, type Logger, type ServiceCreateOptions } from "@store/kit";
import { createContext } from "./context.ts";
import type { ShippingPrisma } from "./db.ts";
import type { ShippingEvents } from "./events.ts";
import { resolvers } from "./resolvers/index.ts";

export interface ShippingSubgraphDeps {
  prisma: ShippingPrisma;
  logger: Logger;
  events: ShippingEvents;
  /** Subscriptions listen to it (the outbox relay publishes through `events`). */
  bus: EventBus;
  /** Served at /metrics when given. */
  registry?: ServiceCreateOptions["registry"];
  /** Events held per subscriber before it is ended with SUBSCRIPTION_OVERFLOW. @default 100 */
  subscriptionQueue?: number;
}

export const typeDefs = loadTypeDefs(new URL("../schema.graphql", import.meta.url));

/** Builds the shipping subgraph; never listens (see index.ts). */
export function createShippingSubgraph({ prisma, logger, events, bus, registry, subscriptionQueue }: ShippingSubgraphDeps) {
  const live = createLiveEvents(bus, { maxQueue: subscriptionQueue, logger: logger.child({ component: "subscriptions" }) });
  return createSubgraph({
    name: "shipping",
    typeDefs,
    resolvers: resolvers as never,
    logger,
    registry,
    createContext: (base) => createContext(prisma, events, live, base),
    ready: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
  });
}
