import { defineSubgraphService } from "@store/kit";
import { createContext } from "./context.ts";
import { PrismaClient } from "./generated/prisma/client.ts";
import { handleOrderCancelled } from "./handlers/OrderCancelled.ts";
import { handleOrderPlaced } from "./handlers/OrderPlaced.ts";
import { handleProductCreated } from "./handlers/ProductCreated.ts";
import { handleShipmentDispatched } from "./handlers/ShipmentDispatched.ts";
import { resolvers } from "./resolvers/index.ts";
import { seedInventory } from "./seed.ts";

export const inventoryService = defineSubgraphService({
  name: "inventory",
  defaultPort: 4003,
  schema: new URL("../schema.graphql", import.meta.url),
  PrismaClient,
  resolvers,
  context: createContext,
  seed: seedInventory,
  consumers: {
    /**
     * "inventory-saga": inventory's part of the order saga (hold, release and
     * ship stock) and the stock rows of new products.
     */
    saga: {
      handlers: {
        OrderPlaced: handleOrderPlaced,
        OrderCancelled: handleOrderCancelled,
        ShipmentDispatched: handleShipmentDispatched,
        ProductCreated: handleProductCreated,
      },
    },
  },
});
