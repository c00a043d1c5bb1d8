import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { demoProducts } from "@store/demo-data";
import { eventually } from "@store/testing";
import { SHARED_NATS_URL } from "./natsServer.ts";
import { sql, useNatsSagaPlatform } from "./saga.ts";

/**
 * Two instances of every service on one set of databases and one NATS
 * namespace, as a deploy with two replicas runs them: the second in a
 * process of its own, killed with SIGKILL while orders are under way. Every
 * order must still end as its card says, charged once, its stock counted once.
 */
const root = fileURLToPath(new URL("../../..", import.meta.url));
let second: ChildProcess | undefined;
const saga = useNatsSagaPlatform("inst", () => {
  if (second && second.exitCode === null && second.signalCode === null) second.kill("SIGKILL");
});

/** Starts the second instance of every service; resolves with its subgraphs' URLs once they serve. */
function startSecondInstance(databaseUrls: Record<string, string>): Promise<{ child: ChildProcess; subgraphUrls: Record<string, string> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/platform/test/instanceProcess.ts"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, INSTANCE_DATABASE_URLS: JSON.stringify(databaseUrls), INSTANCE_NATS_URL: SHARED_NATS_URL, INSTANCE_NAMESPACE: saga.namespace },
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve({ child, subgraphUrls: (JSON.parse(line) as { subgraphUrls: Record<string, string> }).subgraphUrls });
    });
    child.once("exit", (code) => reject(new Error(`the second instance exited (${code}) before it was ready: ${stderr}`)));
  });
}

/** events_consumed_total of one service instance, summed over its consumers, types and outcomes. */
async function consumed(subgraphUrl: string): Promise<number> {
  const text = await (await fetch(subgraphUrl.replace(/\/graphql$/, "/metrics"))).text();
  return [...text.matchAll(/^events_consumed_total\{[^}]*\} (\d+)/gm)].reduce((sum, [, n]) => sum + Number(n), 0);
}


describe("two instances of every service on NATS JetStream", () => {
  it("share the saga's work, and lose nothing and do nothing twice when one is killed mid-stream", { timeout: 420_000 }, async () => {
    const started = await startSecondInstance(saga.platform.databaseUrls);
    second = started.child;
    const products = demoProducts.filter((p) => p.stock >= 20).slice(0, 4);
    const stockBefore = await Promise.all(products.map((p) => saga.client.stock(p.id)));
    const customers = await Promise.all(Array.from({ length: 12 }, (_, i) => saga.client.signUp(`twin${i}`)));
    /** Every fourth order's card is declined: that order is cancelled and its stock goes back. */
    const place = (round: number) =>
      Promise.all(
        customers.map(async (customer, i) => {
          const product = products[i % products.length]!;
          const declined = i % 4 === 3;
          const id = await saga.client.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }], declined ? "tok_declined" : "tok_visa");
          return { id, productId: product.id, declined, round };
        }),
      );

    // Round one with both instances up: each handles part of the events.
    const orders = await place(1);
    await eventually(async () => (await consumed(started.subgraphUrls.payments!)) > 0 && (await consumed(saga.platform.subgraphUrls.payments!)) > 0, {
      what: "both payments instances to handle events",
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    // Round two, and the second instance killed while it is under way.
    orders.push(...(await place(2)));
    await eventually(async () => (await consumed(started.subgraphUrls.orders!)) > 0, { what: "the second orders instance to handle events", intervalMs: 250 });
    second.kill("SIGKILL");

    const ids = orders.map((o) => o.id);
    await eventually(
      async () => {
        const [open] = await sql<{ n: string }>(saga.platform.databaseUrls.orders!, `SELECT count(*) AS n FROM "Order" WHERE "id" = ANY($1::uuid[]) AND "status" NOT IN ('PAID', 'CANCELLED')`, [ids]);
        if (Number(open!.n) > 0) throw new Error(`${open!.n} of ${ids.length} orders are neither PAID nor CANCELLED`);
        return true;
      },
      // The killed instance's events wait for ack_wait (10 s) before the survivor gets them; 24 orders beside another test run.
      { what: "every order to settle after the kill", timeoutMs: 240_000, intervalMs: 1_000 },
    );

    const statuses = new Map((await sql<{ id: string; status: string }>(saga.platform.databaseUrls.orders!, `SELECT "id"::text AS id, "status"::text AS status FROM "Order" WHERE "id" = ANY($1::uuid[])`, [ids])).map((r) => [r.id, r.status]));
    for (const order of orders) expect(statuses.get(order.id), `order ${order.id} (declined: ${order.declined})`).toBe(order.declined ? "CANCELLED" : "PAID");
    // One payment per order, captured exactly for the accepted cards.
    const payments = await sql<{ orderId: string; status: string }>(saga.platform.databaseUrls.payments!, `SELECT "orderId"::text AS "orderId", "status"::text AS status FROM "Payment" WHERE "orderId" = ANY($1::uuid[])`, [ids]);
    expect(payments).toHaveLength(orders.length);
    for (const order of orders) expect(payments.find((p) => p.orderId === order.id)?.status).toBe(order.declined ? "FAILED" : "CAPTURED");
    // Each order's status history holds each step once (no event applied twice).
    const history = await sql<{ orderId: string; n: string }>(
      saga.platform.databaseUrls.orders!,
      `SELECT "orderId"::text AS "orderId", count(*) AS n FROM "OrderStatusChange" WHERE "orderId" = ANY($1::uuid[]) GROUP BY "orderId"`,
      [ids],
    );
    for (const order of orders) expect(Number(history.find((h) => h.orderId === order.id)?.n), `status changes of ${order.id}`).toBe(3);
    // Stock: reserved once per paid order, released for every declined one.
    for (const [i, product] of products.entries()) {
      const paid = orders.filter((o) => o.productId === product.id && !o.declined).length;
      expect(await saga.client.stock(product.id)).toMatchObject({ onHand: stockBefore[i]!.onHand, reserved: stockBefore[i]!.reserved + paid });
    }
  });
});
