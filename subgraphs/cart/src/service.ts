import { fileURLToPath } from "node:url";
import { databaseOptions, type ServiceDefinition } from "@store/kit";
import { createCartPrisma } from "./db.ts";
import { createCartEvents, subscribeCart } from "./events.ts";
import { seedCart } from "./seed.ts";
import { createCartSubgraph } from "./server.ts";

export const cartService: ServiceDefinition = {
  name: "cart",
  defaultPort: 4004,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  async create({ config, logger, bus, registry }) {
    const prisma = createCartPrisma({ url: config.DATABASE_URL, ...databaseOptions(config) });
    const events = createCartEvents({ prisma, bus, logger, registry });
    // Subscribed here, before anyone calls start(): the platform starts relays
    // only once every service has subscribed, so no event goes out unheard.
    await subscribeCart(events, { logger });
    return {
      subgraph: createCartSubgraph({ prisma, logger, registry }),
      seed: () => seedCart(prisma),
      start: () => events.start(),
      dispose: async () => {
        await events.stop();
        await prisma.$disconnect();
      },
    };
  },
};
