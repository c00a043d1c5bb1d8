import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoProducts } from "@store/demo-data";
import { eventually } from "@store/testing";
import type { Platform } from "../src/index.ts";
import { PLATFORM_POLL_MS, startTestPlatform } from "./harness.ts";
import { hasNatsServer, startPrivateNats } from "./natsServer.ts";
import { sagaClient, sql } from "./saga.ts";

/**
 * The broker goes away while customers keep ordering. This test runs its own
 * nats-server (JetStream, a temporary store) and stops only that one; the
 * machine's shared NATS is never touched.
 */
describe.skipIf(!hasNatsServer && process.env.CI !== "true")("the saga while NATS is unreachable", () => {
  let nats: Awaited<ReturnType<typeof startPrivateNats>>;
  let platform: Platform;

  beforeAll(async () => {
    nats = await startPrivateNats();
    platform = await startTestPlatform({ events: { kind: "nats", url: nats.url } });
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    await nats?.dispose();
  });

  // Generous: each of its waits may take the whole `eventually` deadline beside another test run.
  it("commits every write while the broker is down and delivers every event once it is back", { timeout: 300_000 }, async () => {
    const client = sagaClient(platform.routerUrl);
    const customers = await Promise.all([1, 2, 3].map((i) => client.signUp(`outage${i}`)));
    await nats.stop();
    const products = demoProducts.filter((p) => p.stock >= 20);
    const orders = await Promise.all(customers.map(async (c, i) => ({ token: c.token, id: await client.placeOrder(c.token, [{ productId: products[i]!.id, quantity: 1 }]) })));
    // The orders are committed, their events wait in the outbox.
    for (const order of orders) expect((await client.order(order.token, order.id)).status).toBe("PENDING");
    const pending = await sql<{ n: string }>(platform.databaseUrls.orders!, `SELECT count(*) AS n FROM "OutboxEvent" WHERE "publishedAt" IS NULL`);
    expect(Number(pending[0]!.n)).toBeGreaterThanOrEqual(6); // OrderPlaced + OrderStatusChanged each
    // The relay keeps trying (a publish waits up to 5 s for JetStream's ack) and records each failure.
    await eventually(
      async () => {
        const attempts = await sql<{ n: string }>(platform.databaseUrls.orders!, `SELECT max("attempts") AS n FROM "OutboxEvent" WHERE "publishedAt" IS NULL`);
        return Number(attempts[0]!.n) > 0;
      },
      { what: "a failed publish attempt", intervalMs: PLATFORM_POLL_MS },
    );

    await nats.start();
    for (const order of orders) await client.waitForStatus(order.token, order.id, "PAID");
    await eventually(
      async () => {
        for (const url of Object.values(platform.databaseUrls)) {
          const rows = await sql<{ n: string }>(url, `SELECT count(*) AS n FROM "OutboxEvent" WHERE "publishedAt" IS NULL`);
          if (Number(rows[0]!.n) > 0) return false;
        }
        return true;
      },
      { what: "every outbox empty", intervalMs: PLATFORM_POLL_MS },
    );
  });
});
