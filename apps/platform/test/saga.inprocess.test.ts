import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoProducts } from "@store/demo-data";
import type { Platform } from "../src/index.ts";
import { startTestPlatform } from "./harness.ts";
import { sagaClient } from "./saga.ts";

/** `npm start` runs the same saga on the in-process bus: same handlers, same outcome. */
describe("the saga on the in-process bus", () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startTestPlatform({ events: { kind: "in-process" } });
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  // Five saga waits, each of which may take the whole `eventually` deadline beside another test run.
  it("takes an order to DELIVERED, and cancels one whose card is declined", { timeout: 180_000 }, async () => {
    const client = sagaClient(platform.routerUrl);
    const { token } = await client.signUp("inproc");
    const [a, b] = demoProducts.filter((p) => p.stock >= 20);
    const good = await client.placeOrder(token, [{ productId: a!.id, quantity: 1 }]);
    const declined = await client.placeOrder(token, [{ productId: b!.id, quantity: 1 }], "tok_declined");
    await client.waitForStatus(token, good, "PAID");
    await client.advanceShipment(good);
    await client.waitForStatus(token, good, "SHIPPED");
    await client.advanceShipment(good);
    const delivered = await client.waitForStatus(token, good, "DELIVERED");
    expect(delivered.statusHistory.map((h: { to: string }) => h.to)).toEqual(["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED"]);
    const cancelled = await client.waitForStatus(token, declined, "CANCELLED");
    expect(cancelled.payment.status).toBe("FAILED");
  });
});
