import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@store/kit";
import { createShippingPrisma } from "./db.ts";
import { seedShipping } from "./seed.ts";
import { createShippingSubgraph } from "./server.ts";

export const shippingService: ServiceDefinition = {
  name: "shipping",
  defaultPort: 4007,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  create({ config, logger }) {
    const prisma = createShippingPrisma({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
    return {
      subgraph: createShippingSubgraph({ prisma, logger }),
      seed: () => seedShipping(prisma),
      start: () => {},
      dispose: () => prisma.$disconnect(),
    };
  },
};
