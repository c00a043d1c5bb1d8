import { runSubgraph, subgraphConfigSchema } from "@store/kit";
import { createCatalogPrisma } from "./db.ts";
import { createCatalogSubgraph } from "./server.ts";

await runSubgraph({
  name: "catalog",
  config: subgraphConfigSchema(4002, {}),
  async create(config, logger) {
    const prisma = createCatalogPrisma({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
    return { subgraph: createCatalogSubgraph({ prisma, logger }), dispose: [() => prisma.$disconnect()] };
  },
});
