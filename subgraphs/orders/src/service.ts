import { fileURLToPath } from "node:url";
import { databaseOptions, type ServiceDefinition } from "@store/kit";
import { createOrdersPrisma } from "./db.ts";
import { createOrdersEvents, subscribeOrders } from "./events.ts";
import { seedOrders } from "./seed.ts";
import { createOrdersSubgraph } from "./server.ts";

export const ordersService: ServiceDefinition = {
  name: "orders",
  defaultPort: 4005,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  async create({ config, logger, bus, registry }) {
    const prisma = createOrdersPrisma({ url: config.DATABASE_URL, ...databaseOptions(config) });
    const events = createOrdersEvents({ prisma, bus, logger, registry });
    // Subscribed now, relay started in start(): the platform subscribes every
    // service before any relay publishes, so no event goes out unheard.
    try {
      await subscribeOrders(events, { events, logger: logger.child({ component: "orders-saga" }) });
    } catch (error) {
      // The runner never gets an instance to dispose of, so release the pool here.
      await events.stop().catch(() => {});
      await prisma.$disconnect();
      throw error;
    }
    return {
      subgraph: createOrdersSubgraph({ prisma, events, bus, logger, registry }),
      seed: () => seedOrders(prisma),
      start: () => events.start(),
      dispose: async () => {
        await events.stop();
        await prisma.$disconnect();
      },
    };
  },
};
