import { describe, expect, it } from "vitest";
import { ConfigError, DATABASE_DEFAULTS, databaseOptions, loadConfig, subgraphConfigSchema, transactionOptions } from "../src/index.ts";

const required = { DATABASE_URL: "postgresql://127.0.0.1:5432/x", ROUTER_SIGNING_SECRET: "s".repeat(32) };
const configOf = (env: Record<string, string>) => loadConfig(subgraphConfigSchema(4000, {}), { ...required, ...env });

describe("database options from the environment", () => {
  it("reads pool size, pool timeout and transaction wait and timeout, with documented defaults", () => {
    expect(databaseOptions(configOf({}))).toEqual({ poolSize: 10, poolTimeoutMs: 10_000, transactionWaitMs: 5_000, transactionTimeoutMs: 5_000 });
    expect(DATABASE_DEFAULTS).toEqual({ poolSize: 10, poolTimeoutMs: 10_000, transactionWaitMs: 5_000, transactionTimeoutMs: 5_000 });
    const tuned = configOf({ DATABASE_POOL_SIZE: "3", DATABASE_POOL_TIMEOUT_MS: "250", DATABASE_TRANSACTION_WAIT_MS: "100", DATABASE_TRANSACTION_TIMEOUT_MS: "20000" });
    expect(databaseOptions(tuned)).toEqual({ poolSize: 3, poolTimeoutMs: 250, transactionWaitMs: 100, transactionTimeoutMs: 20_000 });
    expect(transactionOptions(databaseOptions(tuned))).toEqual({ maxWait: 100, timeout: 20_000 });
  });

  it("names every variable that is wrong", () => {
    try {
      configOf({ DATABASE_POOL_TIMEOUT_MS: "soon", DATABASE_TRANSACTION_WAIT_MS: "0" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual(["DATABASE_POOL_TIMEOUT_MS", "DATABASE_TRANSACTION_WAIT_MS"]);
    }
  });

  it("fills what a hand-built config leaves out with the defaults", () => {
    expect(transactionOptions(databaseOptions({ PORT: 0, HOST: "127.0.0.1", DATABASE_URL: required.DATABASE_URL, DATABASE_POOL_SIZE: 2, LOG_LEVEL: "silent", ROUTER_SIGNING_SECRET: required.ROUTER_SIGNING_SECRET }))).toEqual({ maxWait: 5_000, timeout: 5_000 });
  });
});
