import { fileURLToPath } from "node:url";
import { databaseOptions, type ServiceDefinition } from "@store/kit";
import { createPaymentsPrisma } from "./db.ts";
import { createPaymentsEvents, subscribePayments } from "./events.ts";
import { createCardProcessor } from "./processor.ts";
import { seedPayments } from "./seed.ts";
import { createPaymentsSubgraph } from "./server.ts";

export const paymentsService: ServiceDefinition = {
  name: "payments",
  defaultPort: 4006,
  prismaDir: fileURLToPath(new URL("..", import.meta.url)),
  async create({ config, logger, bus, registry }) {
    const prisma = createPaymentsPrisma({ url: config.DATABASE_URL, ...databaseOptions(config) });
    const events = createPaymentsEvents({ prisma, bus, logger, registry });
    // One processor per process: the simulated one keeps its idempotency memory
    // (captured payment ids, tok_flaky's first failure) in the instance, so every
    // charge and every resumed charge must go through the same one.
    const processor = createCardProcessor();
    await subscribePayments(events, { prisma, processor, events, logger });
    return {
      subgraph: createPaymentsSubgraph({ prisma, logger, events, registry }),
      seed: () => seedPayments(prisma),
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
