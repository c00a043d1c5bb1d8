import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { createEvent, createInProcessBus, type EventEnvelope } from "@store/events";
import { connectSubgraph, eventually, recordSubscription, TEST_SIGNING_SECRET, type SubgraphClient } from "@store/testing";
import { createLiveEvents, createSubgraph, disabledTracing, gql, signConnectionParams, silentLogger, startTracing, type RequestContextBase, type Subgraph, type Tracing } from "../src/index.ts";

const PRODUCT = "5a0c2f9e-1b2d-4e3f-8a9b-0c1d2e3f4a5b";
/** The router's span that opened the socket (signed into connectionParams). */
const ROUTER_TRACE = "11111111111111111111111111111111";
const ROUTER_SPAN = "2222222222222222";
/** The span that wrote the event: its trace is the one the payload continues. */
const EVENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const EVENT_SPAN = "00f067aa0ba902b7";
const EVENT_TRACEPARENT = `00-${EVENT_TRACE}-${EVENT_SPAN}-01`;

const typeDefs = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query {
    hello: String
  }
  type Stock {
    available: Int!
  }
  type Subscription {
    stock(productId: ID!): Stock!
  }
`;

const STOCK = `subscription Stock($id: ID!) { stock(productId: $id) { available } }`;
type StockData = { stock: { available: number } };

const stockChanged = (available: number, trace: { traceparent?: string; tracestate?: string } = {}): EventEnvelope<"StockChanged"> => ({
  ...createEvent("StockChanged", { productId: PRODUCT, onHand: available, reserved: 0, available }, { aggregateId: PRODUCT }),
  ...trace,
});

describe("live subscription payloads", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function start(tracing: Tracing) {
    const bus = createInProcessBus({ logger: silentLogger });
    const live = createLiveEvents(bus);
    const subgraph: Subgraph<RequestContextBase> = createSubgraph<RequestContextBase>({
      name: "toy",
      typeDefs,
      logger: silentLogger,
      tracing,
      createContext: (base) => base,
      resolvers: {
        Query: { hello: () => "hi" },
        Subscription: {
          stock: {
            subscribe: (_: unknown, { productId }: { productId: string }) => live.listen(["StockChanged"], (event) => event.payload.productId === productId),
            resolve: (event: EventEnvelope<"StockChanged">) => ({ available: event.payload.available }),
          },
        },
      } as never,
    });
    const running = await subgraph.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
    cleanup.push(() => subgraph.stop());
    const connectionParams = signConnectionParams(TEST_SIGNING_SECRET, { subgraph: "toy", identity: null, requestId: "r1", traceparent: `00-${ROUTER_TRACE}-${ROUTER_SPAN}-01` });
    const client: SubgraphClient = connectSubgraph(running.subscriptionsUrl!, { connectionParams });
    cleanup.push(() => client.dispose());
    const subscription = recordSubscription<StockData>(client.client, STOCK, { id: PRODUCT });
    await eventually(() => bus.listenerCount() === 1, { what: "the subscription's bus listener" });
    return { bus, subscription, client };
  }

  it("carry the event's trace context in extensions, even when the subgraph records nothing", async () => {
    const { bus, subscription } = await start(disabledTracing("toy"));
    await bus.publish(stockChanged(5, { traceparent: EVENT_TRACEPARENT, tracestate: "vendor=abc" }));
    await bus.publish(stockChanged(4));
    const [traced, untraced] = await subscription.take(2);
    expect(traced).toEqual({ data: { stock: { available: 5 } }, extensions: { traceparent: EVENT_TRACEPARENT, tracestate: "vendor=abc" } });
    // An event written outside any trace has nothing to carry on.
    expect(untraced).toEqual({ data: { stock: { available: 4 } } });
  });

  it("start in a server span under the router's signed span, and deliver each traced event in a span of the event's trace", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ service: "toy", env: {}, exporter });
    cleanup.push(() => tracing.shutdown());
    const { bus, subscription } = await start(tracing);
    await bus.publish(stockChanged(5, { traceparent: EVENT_TRACEPARENT, tracestate: "vendor=abc" }));
    const [result] = await subscription.take(1);
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.filter((span) => span.name === name);
    const parentOf = (span: ReadableSpan | undefined) => span?.parentSpanContext?.spanId;

    const [start_] = byName("subscription Stock");
    expect(start_?.kind).toBe(1); // SERVER
    expect(start_?.spanContext().traceId).toBe(ROUTER_TRACE);
    expect(parentOf(start_)).toBe(ROUTER_SPAN);
    expect(start_?.attributes).toMatchObject({ "graphql.operation.type": "subscription", "graphql.operation.name": "Stock", "store.subgraph": "toy" });

    const [delivery] = byName("subscription Stock event");
    expect(delivery?.spanContext().traceId).toBe(EVENT_TRACE);
    expect(parentOf(delivery)).toBe(EVENT_SPAN);
    expect(delivery?.attributes).toMatchObject({ "store.event.type": "StockChanged", "store.event.aggregate_id": PRODUCT });

    // The subscribe resolver ran in the start span, the payload's resolver in the delivery span.
    expect(byName("resolve Subscription.stock").map(parentOf).sort()).toEqual([start_!.spanContext().spanId, delivery!.spanContext().spanId].sort());
    // The router continues from the delivery span.
    expect(result?.extensions).toEqual({ traceparent: `00-${EVENT_TRACE}-${delivery!.spanContext().spanId}-01`, tracestate: "vendor=abc" });
  });

  it("start under the trace context the router sends with each Subscribe on its socket, when it sends one", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ service: "toy", env: {}, exporter });
    cleanup.push(() => tracing.shutdown());
    const { bus, client } = await start(tracing);
    // A second client subscription of the same caller, sharing the router's socket.
    const second = "33333333333333333333333333333333";
    const stop = client.client.subscribe({ query: `subscription Second($id: ID!) { stock(productId: $id) { available } }`, variables: { id: PRODUCT }, extensions: { traceparent: `00-${second}-4444444444444444-01` } }, { next: () => {}, error: () => {}, complete: () => {} });
    cleanup.push(async () => stop());
    await eventually(() => bus.listenerCount() === 2, { what: "the second subscription's bus listener" });
    await tracing.flush();
    const starts = Object.fromEntries(exporter.getFinishedSpans().filter((span) => span.kind === 1).map((span) => [span.name, [span.spanContext().traceId, span.parentSpanContext?.spanId]]));
    expect(starts).toEqual({ "subscription Stock": [ROUTER_TRACE, ROUTER_SPAN], "subscription Second": [second, "4444444444444444"] });
  });
});
