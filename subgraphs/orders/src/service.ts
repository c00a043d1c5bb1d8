import { defineSubgraphService } from "@store/kit";
import { createContext } from "./context.ts";
import { PrismaClient } from "./generated/prisma/client.ts";
import { handlePaymentCaptured } from "./handlers/PaymentCaptured.ts";
import { handlePaymentFailed } from "./handlers/PaymentFailed.ts";
import { handleProductCreated } from "./handlers/ProductCreated.ts";
import { handleProductPriceChanged } from "./handlers/ProductPriceChanged.ts";
import { handleShipmentDelivered } from "./handlers/ShipmentDelivered.ts";
import { handleShipmentDispatched } from "./handlers/ShipmentDispatched.ts";
import { handleStockRejected } from "./handlers/StockRejected.ts";
import { handleStockReserved } from "./handlers/StockReserved.ts";
import { resolvers } from "./resolvers/index.ts";
import { seedOrders } from "./seed.ts";

export const ordersService = defineSubgraphService({
  name: "orders",
  defaultPort: 4005,
  schema: new URL("../schema.graphql", import.meta.url),
  PrismaClient,
  resolvers,
  context: createContext,
  seed: seedOrders,
  consumers: {
    /**
     * "orders-saga": moves orders along their lifecycle as inventory,
     * payments and shipping report back, and keeps the local price list in
     * step with the catalog. One consumer for all of them keeps an order's
     * events in the order they were published.
     */
    saga: {
      handlers: {
        StockReserved: handleStockReserved,
        StockRejected: handleStockRejected,
        PaymentCaptured: handlePaymentCaptured,
        PaymentFailed: handlePaymentFailed,
        ShipmentDispatched: handleShipmentDispatched,
        ShipmentDelivered: handleShipmentDelivered,
        ProductCreated: handleProductCreated,
        ProductPriceChanged: handleProductPriceChanged,
      },
    },
  },
});
