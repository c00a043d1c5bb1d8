import { fileURLToPath } from "node:url";
import { databaseOptions, type ServiceDefinition } from "@store/kit";
import { createCatalogPrisma } from "./db.ts";
import { createCatalogEvents } from "./events.ts";
import { seedCatalog } from "./seed.ts";
import { createCatalogSubgraph } from "./server.ts";

export const catalogService: ServiceDefinition = {
  name: "catalog",
  defaultPort: 4002,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  async create({ config, logger, bus, registry }) {
    const prisma = createCatalogPrisma({ url: config.DATABASE_URL, ...databaseOptions(config) });
    const events = createCatalogEvents({ prisma, bus, logger, registry });
    return {
      subgraph: createCatalogSubgraph({ prisma, logger, events, registry }),
      seed: () => seedCatalog(prisma),
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
