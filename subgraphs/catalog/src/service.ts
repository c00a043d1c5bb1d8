import { defineSubgraphService } from "@store/kit";
import { createContext } from "./context.ts";
import { PrismaClient } from "./generated/prisma/client.ts";
import { resolvers } from "./resolvers/index.ts";
import { seedCatalog } from "./seed.ts";

/** Catalog only emits (ProductCreated, ProductPriceChanged): no consumers. */
export const catalogService = defineSubgraphService({
  name: "catalog",
  defaultPort: 4002,
  schema: new URL("../schema.graphql", import.meta.url),
  PrismaClient,
  resolvers,
  context: createContext,
  seed: seedCatalog,
});
