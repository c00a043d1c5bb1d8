import { defineSubgraphService } from "@store/kit";
import { createContext } from "./context.ts";
import { PrismaClient } from "./generated/prisma/client.ts";
import { handlePaymentCaptured } from "./handlers/PaymentCaptured.ts";
import { resolvers } from "./resolvers/index.ts";
import { seedShipping } from "./seed.ts";

export const shippingService = defineSubgraphService({
  name: "shipping",
  defaultPort: 4007,
  schema: new URL("../schema.graphql", import.meta.url),
  PrismaClient,
  resolvers,
  context: createContext,
  seed: seedShipping,
  consumers: {
    /** "shipping-saga": a captured payment is what makes an order shippable, so it opens the order's shipment. */
    saga: { handlers: { PaymentCaptured: handlePaymentCaptured } },
  },
});
