import { fileURLToPath } from "node:url";
import { databaseOptions, type ServiceDefinition } from "@store/kit";
import { createShippingPrisma } from "./db.ts";
import { createShippingEvents, subscribeShipping } from "./events.ts";
import { seedShipping } from "./seed.ts";
import { createShippingSubgraph } from "./server.ts";

export const shippingService: ServiceDefinition = {
  name: "shipping",
  defaultPort: 4007,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  async create({ config, logger, bus, registry }) {
    const prisma = createShippingPrisma({ url: config.DATABASE_URL, ...databaseOptions(config) });
    const events = createShippingEvents({ prisma, bus, logger, registry });
    // Subscribed before start(): the runner starts relays only once every
    // service has its consumers, so no PaymentCaptured goes by unheard.
    await subscribeShipping(events, { logger: logger.child({ component: "shipping-saga" }) });
    return {
      subgraph: createShippingSubgraph({ prisma, logger, events, bus, registry }),
      seed: () => seedShipping(prisma),
      start: () => events.start(),
      dispose: async () => {
        await events.stop();
        await prisma.$disconnect();
      },
    };
  },
};
