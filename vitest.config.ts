import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "subgraphs/*/test/**/*.test.ts", "router/test/**/*.test.ts", "scripts/**/*.test.ts"],
    // Each subgraph test file makes its own database; two workers match the two cores.
    pool: "forks",
    globalSetup: ["packages/testing/src/globalSetup.ts"],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
