import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@store/kit";
import { createPaymentsPrisma } from "./db.ts";
import { seedPayments } from "./seed.ts";
import { createPaymentsSubgraph } from "./server.ts";

export const paymentsService: ServiceDefinition = {
  name: "payments",
  defaultPort: 4006,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  create({ config, logger }) {
    const prisma = createPaymentsPrisma({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
    return {
      subgraph: createPaymentsSubgraph({ prisma, logger }),
      seed: () => seedPayments(prisma),
      start: () => {},
      dispose: () => prisma.$disconnect(),
    };
  },
};
