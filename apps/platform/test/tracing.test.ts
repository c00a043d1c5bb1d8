import { randomBytes } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { streamNames } from "@store/events";
import { demoProducts } from "@store/demo-data";
import { signRouterRequest } from "@store/kit";
import { eventually, staysAt } from "@store/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Platform } from "../src/index.ts";
import { operation, PLATFORM_POLL_MS, request, startTestPlatform, TEST_SECRETS } from "./harness.ts";
import { SHARED_NATS_URL } from "./natsServer.ts";
import { startOtlpReceiver, type ReceivedSpan } from "./otlpReceiver.ts";
import { sagaClient } from "./saga.ts";

/**
 * Traces across the whole platform on real PostgreSQL and NATS JetStream:
 * every service exports OTLP/HTTP to a receiver this test runs, as it would
 * to Jaeger or Tempo.
 */
const namespace = `trace${randomBytes(3).toString("hex")}.`;
const streams = streamNames(namespace);
const product = demoProducts.filter((p) => p.stock >= 20)[5]!;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let platform: Platform;
let client: ReturnType<typeof sagaClient>;

const EXPORT_ENV = { OTEL_BSP_SCHEDULE_DELAY: "100", OTEL_TRACES_SAMPLER: "parentbased_always_on" };

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  platform = await startTestPlatform({
    events: { kind: "nats", url: SHARED_NATS_URL, namespace },
    tracing: { env: { ...EXPORT_ENV, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } },
  });
  client = sagaClient(platform.routerUrl);
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await receiver?.close();
  const nc = await connect({ servers: SHARED_NATS_URL });
  const jsm = await jetstreamManager(nc);
  for (const stream of [streams.events, streams.deadLetter]) await jsm.streams.delete(stream).catch(() => {});
  await nc.close();
});

const SERVER = 2;
const inTrace = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId);
const rootNamed = (name: string) => receiver.spans.find((span) => span.service === "router" && span.name === name && !span.parentSpanId);

/** Spans of the trace whose parent is missing from it: a broken link (the root aside). */
function orphans(spans: ReceivedSpan[]): ReceivedSpan[] {
  const ids = new Set(spans.map((span) => span.spanId));
  return spans.filter((span) => span.parentSpanId && !ids.has(span.parentSpanId));
}

/** The chain of span names from `span` up to its trace's root. */
function ancestry(span: ReceivedSpan, spans: ReceivedSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: string[] = [];
  for (let at: ReceivedSpan | undefined = span; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) chain.push(`${at.service}:${at.name}`);
  return chain;
}

describe("traces across the platform", { timeout: 180_000 }, () => {
  it("makes one trace of a placed order: the router, orders, inventory, payments and shipping, joined across the bus", async () => {
    const { token } = await client.signUp("traced");
    const orderId = await client.placeOrder(token, [{ productId: product.id, quantity: 1 }]);
    await client.waitForStatus(token, orderId, "PAID");

    const root = await eventually(() => rootNamed("mutation PlaceOrder"), { what: "the PlaceOrder operation span", intervalMs: PLATFORM_POLL_MS });
    expect(root.kind).toBe(SERVER);
    // The saga's steps are spans of the placing mutation's trace, each reached from the root through its parents.
    const steps = ["inventory:process OrderPlaced", "orders:process StockReserved", "payments:process PaymentRequested", "orders:process PaymentCaptured", "shipping:process PaymentCaptured"];
    const spans = await eventually(
      async () => {
        await platform.flushTraces();
        const spans = inTrace(root.traceId);
        for (const step of steps) if (!spans.some((span) => `${span.service}:${span.name}` === step)) throw new Error(`no ${step} yet`);
        if (orphans(spans).length > 0) throw new Error(`spans whose parent has not arrived: ${orphans(spans).map((s) => s.name)}`);
        return spans;
      },
      { what: "the saga's spans in the order's trace", intervalMs: PLATFORM_POLL_MS },
    );
    for (const service of ["router", "orders", "inventory", "payments", "shipping"]) expect(spans.some((span) => span.service === service), service).toBe(true);
    for (const step of steps) {
      const span = spans.find((s) => `${s.service}:${s.name}` === step)!;
      expect(ancestry(span, spans).at(-1)).toBe("router:mutation PlaceOrder");
      expect(span.attributes["store.order_id"]).toBe(orderId);
    }
    // Payment follows stock: the charge's consumer span descends from orders' request, made on the reservation.
    const charge = spans.find((s) => s.service === "payments" && s.name === "process PaymentRequested")!;
    expect(ancestry(charge, spans)).toEqual(expect.arrayContaining(["orders:process StockReserved", "inventory:process OrderPlaced"]));
    // The subgraph's server span continues the router's fetch span.
    const fetch = spans.find((s) => s.service === "router" && s.name === "fetch orders")!;
    expect(spans.some((s) => s.service === "orders" && s.kind === SERVER && s.parentSpanId === fetch.spanId)).toBe(true);
    // Database statements are spans of the handlers that ran them, with no bound values.
    expect(spans.some((s) => s.service === "inventory" && s.attributes["db.system.name"] === "postgresql")).toBe(true);
    expect(JSON.stringify(spans)).not.toContain(token);
  });

  it("makes a span per subgraph fetch for a query across subgraphs", async () => {
    const { token } = await client.signUp("traced-query");
    const orderId = await client.placeOrder(token, [{ productId: product.id, quantity: 1 }]);
    await client.waitForStatus(token, orderId, "PAID");
    const before = new Set(receiver.spans.filter((s) => s.name === "query OrderDetails").map((s) => s.spanId));
    const details = await request(platform.routerUrl, operation("storefront/OrderDetails"), { id: orderId }, token);
    expect(details.errors).toBeUndefined();
    const root = await eventually(
      async () => {
        await platform.flushTraces();
        const root = receiver.spans.find((s) => s.name === "query OrderDetails" && !before.has(s.spanId));
        if (!root) throw new Error("no OrderDetails span yet");
        return root;
      },
      { what: "the OrderDetails operation span", intervalMs: PLATFORM_POLL_MS },
    );
    const fetched = await eventually(
      async () => {
        await platform.flushTraces();
        const fetches = inTrace(root.traceId).filter((s) => s.service === "router" && s.name.startsWith("fetch "));
        const subgraphs = new Set(fetches.map((s) => s.attributes["store.subgraph"]));
        for (const name of ["orders", "accounts", "catalog", "inventory", "payments", "shipping"]) if (!subgraphs.has(name)) throw new Error(`no fetch span for ${name}`);
        return fetches;
      },
      { what: "a fetch span for each subgraph the query crosses", intervalMs: PLATFORM_POLL_MS },
    );
    for (const fetch of fetched) {
      // Each fetch reached its subgraph, whose server span is its child in the same trace.
      const served = inTrace(root.traceId).filter((s) => s.service === fetch.attributes["store.subgraph"] && s.kind === SERVER && s.parentSpanId === fetch.spanId);
      if (fetch.attributes["store.fetch.deduplicated"] !== true) expect(served, String(fetch.name)).toHaveLength(1);
    }
  });

  it("trusts a traceparent only from the router: a client's is a link, an unsigned or replayed one is refused", async () => {
    const clientTrace = randomBytes(16).toString("hex");
    const clientParent = `00-${clientTrace}-${randomBytes(8).toString("hex")}-01`;
    const response = await fetch(platform.routerUrl, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: clientParent },
      body: JSON.stringify({ query: operation("storefront/Categories") }),
    });
    expect(response.status).toBe(200);
    const root = await eventually(
      async () => {
        await platform.flushTraces();
        const root = receiver.spans.find((s) => s.service === "router" && s.links.some((link) => link.traceId === clientTrace));
        if (!root) throw new Error("no router span linking the client's trace yet");
        return root;
      },
      { what: "the router's span linking the client's traceparent", intervalMs: PLATFORM_POLL_MS },
    );
    expect(root.traceId).not.toBe(clientTrace);
    expect(root.parentSpanId).toBeUndefined();

    // Straight to a subgraph: unsigned, then signed and replayed.
    const catalog = platform.subgraphUrls.catalog!;
    const forgedTrace = randomBytes(16).toString("hex");
    const body = JSON.stringify({ query: "{ __typename }" });
    const unsigned = await fetch(catalog, { method: "POST", headers: { "content-type": "application/json", traceparent: `00-${forgedTrace}-${randomBytes(8).toString("hex")}-01` }, body });
    expect(unsigned.status).toBe(401);
    const signedTrace = randomBytes(16).toString("hex");
    const headers = signRouterRequest(TEST_SECRETS.routerSigningSecret, { method: "POST", subgraph: "catalog", body, identity: "", traceparent: `00-${signedTrace}-${randomBytes(8).toString("hex")}-01` });
    const first = await fetch(catalog, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    expect(first.status).toBe(200);
    const replayed = await fetch(catalog, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    expect(replayed.status).toBe(401);
    const tampered = await fetch(catalog, { method: "POST", headers: { "content-type": "application/json", ...signRouterRequest(TEST_SECRETS.routerSigningSecret, { method: "POST", subgraph: "catalog", body, identity: "" }), traceparent: `00-${forgedTrace}-${randomBytes(8).toString("hex")}-01` }, body });
    expect(tampered.status).toBe(401);

    const served = () => receiver.spans.filter((s) => s.service === "catalog" && s.kind === SERVER && s.traceId === signedTrace).length;
    await eventually(async () => (await platform.flushTraces(), served() === 1 || undefined), { what: "the signed request's server span", intervalMs: PLATFORM_POLL_MS });
    await platform.flushTraces();
    await staysAt(served, 1, { quietMs: 500 });
    expect(receiver.spans.some((s) => s.traceId === forgedTrace)).toBe(false);
  });
});

describe("with sampling off", { timeout: 180_000 }, () => {
  it("exports no span and carries no sampled context", async () => {
    const silent = await startOtlpReceiver();
    const quiet = await startTestPlatform({ tracing: { env: { ...EXPORT_ENV, OTEL_TRACES_SAMPLER: "always_off", OTEL_EXPORTER_OTLP_ENDPOINT: silent.url } } });
    try {
      const saga = sagaClient(quiet.routerUrl);
      const { token } = await saga.signUp("untraced");
      const orderId = await saga.placeOrder(token, [{ productId: product.id, quantity: 1 }]);
      await saga.waitForStatus(token, orderId, "PAID");
      await quiet.flushTraces();
      expect(silent.spans).toEqual([]);
      expect(silent.requests()).toBe(0);
    } finally {
      await quiet.stop();
      await silent.close();
    }
  });
});
