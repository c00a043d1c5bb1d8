import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql ships CommonJS and ESM builds with no "exports" map. Node (and so
    // every dependency vitest leaves external, like @apollo/*) loads the
    // CommonJS one; Vite would give our own source the ESM one, and a schema
    // from one realm is refused by the other ("from another module or realm").
    alias: { graphql: require.resolve("graphql") },
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "subgraphs/*/test/**/*.test.ts", "router/test/**/*.test.ts", "scripts/**/*.test.ts"],
    // Each subgraph test file makes its own database; two workers match the two cores.
    pool: "forks",
    globalSetup: ["packages/testing/src/globalSetup.ts"],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
