import { fileURLToPath } from "node:url";
import { databaseOptions, type ServiceDefinition } from "@store/kit";
import { createInventoryPrisma } from "./db.ts";
import { createInventoryEvents, subscribeInventory } from "./events.ts";
import { seedInventory } from "./seed.ts";
import { createInventorySubgraph } from "./server.ts";

export const inventoryService: ServiceDefinition = {
  name: "inventory",
  defaultPort: 4003,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  async create({ config, logger, bus, registry }) {
    const prisma = createInventoryPrisma({ url: config.DATABASE_URL, ...databaseOptions(config) });
    const events = createInventoryEvents({ prisma, bus, logger, registry });
    await subscribeInventory(events, { logger });
    return {
      subgraph: createInventorySubgraph({ prisma, events, bus, logger, registry }),
      seed: () => seedInventory(prisma),
      start: () => events.start(),
      // Consumers and relay first: they still need the pool to finish what they are doing.
      dispose: async () => {
        await events.stop();
        await prisma.$disconnect();
      },
    };
  },
};
