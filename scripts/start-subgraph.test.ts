import { describe, expect, it } from "vitest";
import { npmRun } from "./lib/npmRun.ts";

/**
 * `npm run start:subgraph` refuses what it cannot run before it opens anything:
 * a wrong command line (64), and configuration it cannot use (78, naming the
 * variable). That it runs with good configuration, its database derived from
 * DATABASE_SERVER_URL and its events in EVENTS_NAMESPACE, is the real-mode
 * test's (apps/platform/test/realMode.test.ts).
 */

// Nothing shared is reachable from here: should a check let a bad value through,
// the service it starts touches no one's database, broker or port.
const good = {
  DATABASE_SERVER_URL: "postgresql://postgres@127.0.0.1:1",
  ROUTER_SIGNING_SECRET: "start-subgraph-test-secret-0123456789abcdef",
  PORT: "0",
};

describe("npm run start:subgraph", { timeout: 120_000 }, () => {
  it("names the services it knows when given none, or another (64)", async () => {
    for (const args of [[], ["billing"], ["orders", "cart"]]) {
      const result = await npmRun("start:subgraph", args, { env: good });
      expect(result.code).toBe(64);
      expect(result.stderr).toContain("usage: npm run start:subgraph -- <accounts|catalog|inventory|cart|orders|payments|shipping> [--migrate]");
    }
  });

  it.each([
    ["EVENTS_NAMESPACE", { EVENTS_NAMESPACE: "staging.orders" }, "EVENTS_NAMESPACE: must be letters, digits, '-' or '_' only"],
    ["EVENTS_NAMESPACE", { EVENTS_NAMESPACE: "events>" }, "EVENTS_NAMESPACE: must be letters, digits, '-' or '_' only"],
    ["EVENTS_NAMESPACE", { EVENTS_NAMESPACE: "n".repeat(33) }, "EVENTS_NAMESPACE: must be at most 32 characters"],
    ["DATABASE_NAME_PREFIX", { DATABASE_NAME_PREFIX: "Staging-" }, "DATABASE_NAME_PREFIX: must be lower-case letters, digits and '_' only"],
    ["DATABASE_URL", { DATABASE_SERVER_URL: "" }, "DATABASE_URL: is required, or DATABASE_SERVER_URL"],
  ])("exits 78 naming %s", async (_, overrides, message) => {
    const result = await npmRun("start:subgraph", ["orders"], { env: { ...good, ...overrides }, timeoutMs: 60_000 });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(message);
  });
});
