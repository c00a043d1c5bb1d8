import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { freePort } from "@store/kit";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoProducts } from "@store/demo-data";
import { streamNames } from "@store/events";
import { recordSubscription } from "@store/testing";
import { allServices, type Platform } from "../src/index.ts";
import { operation, startTestPlatform, TEST_SECRETS } from "./harness.ts";
import { connectRouter } from "./live.ts";
import { SHARED_NATS_URL } from "./natsServer.ts";
import { eventually, sagaClient } from "./saga.ts";

/**
 * Live order updates through the router, on real PostgreSQL and NATS: two
 * routers, and orders running twice (a second instance on the same database
 * behind the second router), share one event stream.
 */
const namespace = `live${randomBytes(3).toString("hex")}.`;
let primary: Platform;
let secondary: Platform;
/** The second router runs as its own process, as it would in production. */
let routerProcess: ChildProcess | undefined;
let secondRouterUrl: string;
const clients: { dispose(): void | Promise<void> }[] = [];
const root = fileURLToPath(new URL("../../..", import.meta.url));

type OrderUpdate = {
  orderUpdated: {
    id: string;
    status: string;
    total: { amount: number };
    customer: { name: string };
    lines: { quantity: number; product: { name: string; inStock: boolean | null } }[];
    payment: { status: string } | null;
    shipment: { status: string } | null;
  };
};

beforeAll(async () => {
  primary = await startTestPlatform({ events: { kind: "nats", url: SHARED_NATS_URL, namespace } });
  const others = Object.fromEntries(Object.entries(primary.subgraphUrls).map(([name, url]) => [`SUBGRAPH_${name.toUpperCase()}_URL`, url]));
  secondary = await startTestPlatform({
    services: allServices.filter((s) => s.name === "orders"),
    // The same orders database: a second instance of one service, not a second service.
    database: async () => ({ url: primary.databaseUrls.orders!, close: async () => {} }),
    seed: false,
    events: { kind: "nats", url: SHARED_NATS_URL, namespace },
    routerEnv: { SUBGRAPH_TIMEOUT_MS: "15000", ...others },
  });
  // A router process of its own, in front of the second orders instance.
  const port = await freePort();
  routerProcess = spawn(process.execPath, ["--import", "tsx", "router/src/main.ts"], {
    cwd: root,
    stdio: "ignore",
    env: {
      ...process.env,
      ...others,
      SUBGRAPH_ORDERS_URL: secondary.subgraphUrls.orders!,
      PORT: String(port),
      LOG_LEVEL: "warn",
      ROUTER_SIGNING_SECRET: TEST_SECRETS.routerSigningSecret,
      JWT_SECRET: TEST_SECRETS.jwtSecret,
      SUPERGRAPH_PATH: `${root}supergraph.graphql`,
    },
  });
  secondRouterUrl = `http://127.0.0.1:${port}/graphql`;
  await eventually("the second router process to be ready", async () => ((await fetch(secondRouterUrl.replace("/graphql", "/ready"))).ok ? true : undefined), 60_000);
}, 240_000);

afterAll(async () => {
  for (const client of clients) await client.dispose();
  if (routerProcess && routerProcess.exitCode === null) {
    const exited = new Promise((resolve) => routerProcess!.once("exit", resolve));
    routerProcess.kill("SIGTERM");
    await exited;
  }
  await secondary?.stop();
  await primary?.stop();
  const nc = await connect({ servers: SHARED_NATS_URL });
  const jsm = await jetstreamManager(nc);
  for (const stream of Object.values(streamNames(namespace))) await jsm.streams.delete(stream).catch(() => {});
  await nc.close();
});

/**
 * A live subscription sees only events after it is established, and the
 * client is not told when that is: place probe orders until one of them shows
 * up on the subscription, after which nothing can be missed.
 */
async function untilLive(recorded: { results: unknown[] }, probe: () => Promise<string>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const before = recorded.results.length;
    await probe();
    try {
      await eventually("a probe update", async () => (recorded.results.length > before ? true : undefined), 3_000);
      return;
    } catch (error) {
      if (attempt >= 10) throw error;
    }
  }
}

describe("live order updates through the router", () => {
  it("a storefront watches its own order go from PENDING to DELIVERED, with fields from every subgraph", async () => {
    const saga = sagaClient(primary.routerUrl);
    const { token } = await saga.signUp("live");
    const ws = connectRouter(primary.routerUrl, token);
    clients.push(ws);
    // Subscribed before the order exists, so not one step can be missed.
    const mine = recordSubscription<{ myOrderUpdates: { id: string; status: string } }>(ws, operation("storefront/MyOrderUpdates"));
    await untilLive(mine, () => saga.placeOrder(token, [{ productId: demoProducts.filter((p) => p.stock >= 20)[11]!.id, quantity: 1 }]));
    const product = demoProducts.filter((p) => p.stock >= 20)[8]!;
    const orderId = await saga.placeOrder(token, [{ productId: product.id, quantity: 2 }]);
    const before = primary.router.subscriptionStats().subscriptions;
    const detailed = recordSubscription<OrderUpdate>(ws, operation("storefront/OrderUpdated"), { orderId });
    await saga.waitForStatus(token, orderId, "PAID");
    // Shipping is advanced by hand, so it waits until this subscription is running in the router.
    await eventually("the subscription to run", async () => (primary.router.subscriptionStats().subscriptions > before ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    await saga.advanceShipment(orderId);
    await saga.waitForStatus(token, orderId, "SHIPPED");
    await saga.advanceShipment(orderId);

    const statuses = await eventually("five updates of the order", async () => {
      const ofOrder = mine.results.map((r) => r.data!.myOrderUpdates).filter((u) => u.id === orderId).map((u) => u.status);
      return ofOrder.length >= 5 ? ofOrder : undefined;
    });
    expect(statuses).toEqual(["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED"]);

    await detailed.take(2, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(detailed.results.every((u) => !u.errors)).toBe(true);
    const last = detailed.results.at(-1)!;
    // Subscribed after placing: whatever it saw is in order, and it saw shipping and delivery.
    const seen = detailed.results.map((r) => r.data!.orderUpdated.status);
    const lifecycle = ["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED"];
    expect(seen.map((s) => lifecycle.indexOf(s))).toEqual([...seen.map((s) => lifecycle.indexOf(s))].sort((a, b) => a - b));
    expect(seen.slice(-2)).toEqual(["SHIPPED", "DELIVERED"]);
    const payload = last.data!.orderUpdated;
    expect(payload.id).toBe(orderId); // orders
    expect(payload.customer.name).toBe("Saga live"); // accounts
    expect(payload.lines[0]).toMatchObject({ quantity: 2, product: { name: product.name } }); // catalog
    expect(typeof payload.lines[0]!.product.inStock).toBe("boolean"); // inventory
    expect(payload.payment).toEqual({ status: "CAPTURED" }); // payments
    expect(payload.shipment).toEqual({ status: "DELIVERED" }); // shipping
  }, 120_000);

  it("refuses a bad token with 4401 and another customer's order with an error", async () => {
    const saga = sagaClient(primary.routerUrl);
    const owner = await saga.signUp("owner");
    const stranger = await saga.signUp("stranger");
    const orderId = await saga.placeOrder(owner.token, [{ productId: demoProducts.filter((p) => p.stock >= 20)[9]!.id, quantity: 1 }]);
    const ws = connectRouter(primary.routerUrl, stranger.token);
    clients.push(ws);
    const refused = recordSubscription(ws, operation("storefront/OrderUpdated"), { orderId });
    const first = await refused.take(1, 15_000).catch(async () => (await refused.ended()).error);
    expect(JSON.stringify(first)).toMatch(/NOT_FOUND/);

    const closed = new Promise<number>((resolve) => {
      const bad = connectRouter(primary.routerUrl, "not-a-token");
      clients.push(bad);
      bad.on("closed", (event) => resolve((event as { code: number }).code));
      bad.subscribe({ query: operation("storefront/MyOrderUpdates") }, { next: () => {}, error: () => {}, complete: () => {} });
    });
    expect(await closed).toBe(4401);
  });

  it("delivers every event exactly once to a client on either of two router processes, with orders running twice", async () => {
    const saga = sagaClient(primary.routerUrl);
    const { token } = await saga.signUp("twice");
    const onPrimary = connectRouter(primary.routerUrl, token);
    const onSecondary = connectRouter(secondRouterUrl, token);
    clients.push(onPrimary, onSecondary);
    const a = recordSubscription<{ myOrderUpdates: { id: string; status: string } }>(onPrimary, operation("storefront/MyOrderUpdates"));
    const b = recordSubscription<{ myOrderUpdates: { id: string; status: string } }>(onSecondary, operation("storefront/MyOrderUpdates"));
    const probe = () => saga.placeOrder(token, [{ productId: demoProducts.filter((p) => p.stock >= 20)[12]!.id, quantity: 1 }]);
    await untilLive(a, probe);
    await untilLive(b, probe);
    const orderId = await saga.placeOrder(token, [{ productId: demoProducts.filter((p) => p.stock >= 20)[10]!.id, quantity: 1 }]);
    await saga.waitForStatus(token, orderId, "PAID");
    const statusesOf = (recorded: typeof a) => recorded.results.map((r) => r.data!.myOrderUpdates).filter((u) => u.id === orderId).map((u) => u.status);
    await eventually("both clients to see PAID", async () => (statusesOf(a).includes("PAID") && statusesOf(b).includes("PAID") ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000)); // any duplicate would have arrived by now
    const expected = ["PENDING", "AWAITING_PAYMENT", "PAID"];
    expect(statusesOf(a)).toEqual(expected);
    expect(statusesOf(b)).toEqual(expected);
  }, 120_000);
});
