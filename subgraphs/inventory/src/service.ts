import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@store/kit";
import { createInventoryPrisma } from "./db.ts";
import { seedInventory } from "./seed.ts";
import { createInventorySubgraph } from "./server.ts";

export const inventoryService: ServiceDefinition = {
  name: "inventory",
  defaultPort: 4003,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  create({ config, logger }) {
    const prisma = createInventoryPrisma({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
    return {
      subgraph: createInventorySubgraph({ prisma, logger }),
      seed: () => seedInventory(prisma),
      start: () => {},
      dispose: () => prisma.$disconnect(),
    };
  },
};
