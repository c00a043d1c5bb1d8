import { defineSubgraphService } from "@store/kit";
import { createContext } from "./context.ts";
import { PrismaClient } from "./generated/prisma/client.ts";
import { handleOrderPlaced } from "./handlers/OrderPlaced.ts";
import { handleProductCreated } from "./handlers/ProductCreated.ts";
import { handleProductPriceChanged } from "./handlers/ProductPriceChanged.ts";
import { resolvers } from "./resolvers/index.ts";
import { seedCart } from "./seed.ts";

export const cartService = defineSubgraphService({
  name: "cart",
  defaultPort: 4004,
  schema: new URL("../schema.graphql", import.meta.url),
  PrismaClient,
  resolvers,
  context: createContext,
  seed: seedCart,
  consumers: {
    /**
     * "cart-saga": orders empty carts, and catalog keeps the product snapshot
     * (what a line may hold and what it costs) current.
     */
    saga: {
      handlers: {
        OrderPlaced: handleOrderPlaced,
        ProductCreated: handleProductCreated,
        ProductPriceChanged: handleProductPriceChanged,
      },
    },
  },
});
