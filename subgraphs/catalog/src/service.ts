import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@store/kit";
import { createCatalogPrisma } from "./db.ts";
import { seedCatalog } from "./seed.ts";
import { createCatalogSubgraph } from "./server.ts";

export const catalogService: ServiceDefinition = {
  name: "catalog",
  defaultPort: 4002,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  create({ config, logger }) {
    const prisma = createCatalogPrisma({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
    return {
      subgraph: createCatalogSubgraph({ prisma, logger }),
      seed: () => seedCatalog(prisma),
      start: () => {},
      dispose: () => prisma.$disconnect(),
    };
  },
};
