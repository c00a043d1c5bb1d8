import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@store/kit";
import { createOrdersPrisma } from "./db.ts";
import { seedOrders } from "./seed.ts";
import { createOrdersSubgraph } from "./server.ts";

export const ordersService: ServiceDefinition = {
  name: "orders",
  defaultPort: 4005,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  create({ config, logger }) {
    const prisma = createOrdersPrisma({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
    return {
      subgraph: createOrdersSubgraph({ prisma, logger }),
      seed: () => seedOrders(prisma),
      start: () => {},
      dispose: () => prisma.$disconnect(),
    };
  },
};
