import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { freePort } from "@store/kit";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoProducts } from "@store/demo-data";
import { streamNames } from "@store/events";
import { eventually, recordSubscription, staysAt } from "@store/testing";
import { allServices, type Platform } from "../src/index.ts";
import { operation, startTestPlatform, TEST_SECRETS } from "./harness.ts";
import { connectRouter, startLive } from "./live.ts";
import { SHARED_NATS_URL } from "./natsServer.ts";
import { sagaClient } from "./saga.ts";

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
/** The tail of what it wrote to stderr, for the failure message if it never gets ready. */
let routerStderr = "";
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
    stdio: ["ignore", "ignore", "pipe"],
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
  routerProcess.stderr!.on("data", (chunk: Buffer) => (routerStderr = (routerStderr + chunk.toString()).slice(-4_000)));
  secondRouterUrl = `http://127.0.0.1:${port}/graphql`;
  const spawned = routerProcess;
  const outcome = await eventually(
    async () => {
      // An exit is an answer, not a "not yet".
      if (spawned.exitCode !== null) return { exited: spawned.exitCode };
      return (await fetch(secondRouterUrl.replace("/graphql", "/ready"))).ok && { ready: true };
    },
    { what: "the second router process to be ready" },
  );
  if ("exited" in outcome) throw new Error(`the second router process exited with ${outcome.exited}:\n${routerStderr}`);
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

describe("live order updates through the router", () => {
  it("a storefront watches its own order go from PENDING to DELIVERED, with fields from every subgraph", async () => {
    const saga = sagaClient(primary.routerUrl);
    const { token } = await saga.signUp("live");
    const ws = connectRouter(primary.routerUrl, token);
    clients.push(ws);
    // Live before the order exists, so not one step can be missed.
    const mine = await startLive(primary, () => recordSubscription<{ myOrderUpdates: { id: string; status: string } }>(ws, operation("storefront/MyOrderUpdates")));
    const product = demoProducts.filter((p) => p.stock >= 20)[8]!;
    const orderId = await saga.placeOrder(token, [{ productId: product.id, quantity: 2 }]);
    // Shipping is advanced by hand, once this subscription is live: it sees at least shipping and delivery.
    const detailed = await startLive(primary, () => recordSubscription<OrderUpdate>(ws, operation("storefront/OrderUpdated"), { orderId }));
    await saga.waitForStatus(token, orderId, "PAID");
    await saga.advanceShipment(orderId);
    await saga.waitForStatus(token, orderId, "SHIPPED");
    await saga.advanceShipment(orderId);

    const lifecycle = ["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED"];
    // DELIVERED is an order's last status: a subscription that has it has every update it will get.
    const untilDelivered = (statusesSoFar: () => (string | undefined)[], what: string) =>
      eventually(
        () => {
          const statuses = statusesSoFar();
          if (statuses.at(-1) !== "DELIVERED") throw new Error(`${what} so far: ${JSON.stringify(statuses)}`);
          return statuses;
        },
        { what: `${what} to reach DELIVERED` },
      );
    const statuses = await untilDelivered(() => mine.results.filter((r) => r.data?.myOrderUpdates.id === orderId).map((r) => r.data!.myOrderUpdates.status), "myOrderUpdates");
    expect(statuses).toEqual(lifecycle);

    const seen = await untilDelivered(() => detailed.results.map((r) => r.data?.orderUpdated.status), "orderUpdated");
    expect(detailed.results.filter((u) => u.errors)).toEqual([]);
    const last = detailed.results.at(-1)!;
    // Subscribed after placing: whatever it saw is in order, and it saw shipping and delivery.
    expect(seen.map((s) => lifecycle.indexOf(s!))).toEqual([...seen.map((s) => lifecycle.indexOf(s!))].sort((a, b) => a - b));
    expect(seen.slice(-2)).toEqual(["SHIPPED", "DELIVERED"]);
    const payload = last.data!.orderUpdated;
    expect(payload.id).toBe(orderId); // orders
    expect(payload.customer.name).toBe("Saga live"); // accounts
    expect(payload.lines[0]).toMatchObject({ quantity: 2, product: { name: product.name } }); // catalog
    expect(typeof payload.lines[0]!.product.inStock).toBe("boolean"); // inventory
    expect(payload.payment).toEqual({ status: "CAPTURED" }); // payments
    expect(payload.shipment).toEqual({ status: "DELIVERED" }); // shipping
  }, 180_000);

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
    const a = await startLive(primary, () => recordSubscription<{ myOrderUpdates: { id: string; status: string } }>(onPrimary, operation("storefront/MyOrderUpdates")));
    // The second router process sends it to the second orders instance, whose bus is the secondary platform's.
    const b = await startLive(secondary, () => recordSubscription<{ myOrderUpdates: { id: string; status: string } }>(onSecondary, operation("storefront/MyOrderUpdates")));
    const orderId = await saga.placeOrder(token, [{ productId: demoProducts.filter((p) => p.stock >= 20)[10]!.id, quantity: 1 }]);
    await saga.waitForStatus(token, orderId, "PAID");
    const statusesOf = (recorded: typeof a) => recorded.results.filter((r) => r.data?.myOrderUpdates.id === orderId).map((r) => r.data!.myOrderUpdates.status);
    await eventually(() => statusesOf(a).includes("PAID") && statusesOf(b).includes("PAID"), { what: "both clients to see PAID" });
    // Nobody ships the order, so PAID is its last update: a duplicate of any of them would only add to the count.
    await Promise.all([a, b].map((recorded, i) => staysAt(() => statusesOf(recorded).length, 3, { what: `updates on router ${i + 1}`, quietMs: 2_000 })));
    const expected = ["PENDING", "AWAITING_PAYMENT", "PAID"];
    expect(statusesOf(a)).toEqual(expected);
    expect(statusesOf(b)).toEqual(expected);
  }, 180_000);
});
