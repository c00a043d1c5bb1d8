import { defineSubgraphService } from "@store/kit";
import { createContext } from "./context.ts";
import { PrismaClient } from "./generated/prisma/client.ts";
import { handleOrderCancelled } from "./handlers/OrderCancelled.ts";
import { handleOrderPlaced } from "./handlers/OrderPlaced.ts";
import { chargeRequestedPayment, handlePaymentRequested } from "./handlers/PaymentRequested.ts";
import { cardProcessorEnv, createCardProcessor, type CardProcessorEnv } from "./processor.ts";
import { resolvers } from "./resolvers/index.ts";
import { seedPayments } from "./seed.ts";
import type { Resources } from "./types.ts";

export const paymentsService = defineSubgraphService({
  name: "payments",
  defaultPort: 4006,
  schema: new URL("../schema.graphql", import.meta.url),
  PrismaClient,
  resolvers,
  context: createContext,
  seed: seedPayments,
  // One processor per process: the simulated one keeps its idempotency memory
  // (captured payment ids, tok_flaky's first failure) in the instance, so every
  // charge and every resumed charge must go through the same one.
  env: cardProcessorEnv,
  resources: ({ env }: { env: CardProcessorEnv }): Resources => ({ processor: createCardProcessor({ latencyMs: env.CARD_PROCESSOR_LATENCY_MS }) }),
  consumers: {
    /**
     * "payments-saga":
     * - OrderPlaced: remember what to charge (a PaymentIntent);
     * - PaymentRequested: charge it (before the inbox transaction), then
     *   announce PaymentCaptured or PaymentFailed (in it);
     * - OrderCancelled: never charge it, and refund a captured payment
     *   (PaymentRefunded).
     * All three are orders' events about one order, so they arrive in the
     * order orders committed them: a cancel never overtakes the request.
     */
    saga: {
      handlers: {
        OrderPlaced: handleOrderPlaced,
        PaymentRequested: handlePaymentRequested,
        OrderCancelled: handleOrderCancelled,
      },
      // The charge cannot live in a transaction (see handlers/PaymentRequested.ts).
      beforeTransaction: { PaymentRequested: chargeRequestedPayment },
    },
  },
});
