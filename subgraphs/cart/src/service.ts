import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@store/kit";
import { createCartPrisma } from "./db.ts";
import { seedCart } from "./seed.ts";
import { createCartSubgraph } from "./server.ts";

export const cartService: ServiceDefinition = {
  name: "cart",
  defaultPort: 4004,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  create({ config, logger }) {
    const prisma = createCartPrisma({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
    return {
      subgraph: createCartSubgraph({ prisma, logger }),
      seed: () => seedCart(prisma),
      start: () => {},
      dispose: () => prisma.$disconnect(),
    };
  },
};
