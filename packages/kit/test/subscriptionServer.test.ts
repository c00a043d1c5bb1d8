import { afterEach, describe, expect, it } from "vitest";
import { createEvent, createInProcessBus, type EventEnvelope } from "@store/events";
import { connectSubgraph, customer, eventually, recordSubscription, TEST_SIGNING_SECRET, type SubgraphClient } from "@store/testing";
import {
  createLiveEvents,
  createSubgraph,
  ERRORS,
  gql,
  IdentityHeader,
  requireUser,
  signConnectionParams,
  signRouterRequest,
  silentLogger,
  type RequestContextBase,
  type RunningSubgraph,
  type Subgraph,
} from "../src/index.ts";

const PRODUCT = "5a0c2f9e-1b2d-4e3f-8a9b-0c1d2e3f4a5b";
const OTHER = "0b3c9d2e-7a41-4d0f-8f7e-112233445566";

const typeDefs = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query {
    hello: String
  }
  type Stock {
    available: Int!
    "Which per-event context resolved this payload."
    contextSerial: Int!
    viewer: ID
    broken: Int
  }
  type Subscription {
    stock(productId: ID!): Stock!
    myStock(productId: ID!): Stock!
  }
`;

interface Ctx extends RequestContextBase {
  serial: number;
}

/** A toy subgraph on a real bus: the kit's WebSocket serving, with nothing of a real domain around it. */
function toySubgraph(bus = createInProcessBus({ logger: silentLogger }), maxQueue?: number) {
  const live = createLiveEvents(bus, { maxQueue });
  let serial = 0;
  const source = (productId: string) => live.listen(["StockChanged"], (e) => e.payload.productId === productId);
  const subgraph = createSubgraph<Ctx>({
    name: "toy",
    typeDefs,
    logger: silentLogger,
    createContext: (base) => ({ ...base, serial: ++serial }),
    resolvers: {
      Query: { hello: () => "hi" },
      Stock: {
        broken: () => {
          throw new Error("SELECT secret FROM table failed");
        },
      },
      Subscription: {
        stock: {
          subscribe: (_: unknown, { productId }: { productId: string }) => source(productId),
          resolve: (event: EventEnvelope<"StockChanged">, _: unknown, ctx: Ctx) => ({ available: event.payload.available, contextSerial: ctx.serial, viewer: ctx.identity?.userId ?? null }),
        },
        myStock: {
          subscribe: (_: unknown, { productId }: { productId: string }, ctx: Ctx) => {
            requireUser(ctx.identity);
            return source(productId);
          },
          resolve: (event: EventEnvelope<"StockChanged">) => ({ available: event.payload.available, contextSerial: 0 }),
        },
      },
    } as never,
  });
  return { bus, subgraph };
}

const stockChanged = (available: number, productId = PRODUCT) => createEvent("StockChanged", { productId, onHand: available, reserved: 0, available }, { aggregateId: productId });

const STOCK = `subscription($id: ID!) { stock(productId: $id) { available contextSerial viewer } }`;
type StockData = { stock: { available: number; contextSerial: number; viewer: string | null } };

describe("subgraph subscriptions over graphql-ws", () => {
  let running: RunningSubgraph | undefined;
  let subgraph: Subgraph<Ctx> | undefined;
  const clients: SubgraphClient[] = [];

  async function start(maxQueue?: number) {
    const toy = toySubgraph(undefined, maxQueue);
    subgraph = toy.subgraph;
    running = await toy.subgraph.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
    return { ...toy, running };
  }
  function connect(options: Parameters<typeof connectSubgraph>[1]) {
    const client = connectSubgraph(running!.subscriptionsUrl!, options);
    clients.push(client);
    return client;
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.dispose();
    await subgraph?.stop();
    subgraph = undefined;
    running = undefined;
  });

  it("is on by default exactly when the schema has a Subscription type", async () => {
    expect(toySubgraph().subgraph.subscriptions).toBe(true);
    const plain = createSubgraph({ name: "plain", typeDefs: gql`type Query { hello: String }`, resolvers: {}, logger: silentLogger, createContext: (base) => base });
    expect(plain.subscriptions).toBe(false);
    const listening = await plain.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
    try {
      expect(listening.subscriptionsUrl).toBeUndefined();
      const client = connectSubgraph(listening.url.replace(/^http/, "ws"), { identity: null });
      clients.push(client);
      // The upgrade is answered 404, so the socket never opens.
      expect((await client.closed).code).not.toBe(1000);
    } finally {
      await plain.stop();
    }
  });

  it("delivers each event in order, as the signed caller, with a fresh context per event", async () => {
    const { bus } = await start();
    const ada = customer();
    const { client } = connect({ identity: ada });
    const sub = recordSubscription<StockData>(client, STOCK, { id: PRODUCT });
    await eventually(() => bus.listenerCount() === 1, { what: "the subscription's bus listener" });
    for (const n of [5, 4, 3]) {
      await bus.publish(stockChanged(n, OTHER));
      await bus.publish(stockChanged(n));
    }
    const results = await sub.take(3);
    expect(results.map((r) => r.data?.stock.available)).toEqual([5, 4, 3]);
    expect(results.map((r) => r.data?.stock.viewer)).toEqual([ada.userId, ada.userId, ada.userId]);
    const serials = results.map((r) => r.data!.stock.contextSerial);
    expect(new Set(serials).size).toBe(3);
    expect(results.every((r) => r.errors === undefined)).toBe(true);
  });

  it("closes a connection without a valid router signature with 4403", async () => {
    await start();
    const params = (options: { secret?: string; subgraph?: string; now?: number } = {}) =>
      signConnectionParams(options.secret ?? TEST_SIGNING_SECRET, { subgraph: options.subgraph ?? "toy", identity: customer() }, options.now === undefined ? {} : { now: options.now });
    const unsigned = connect({ connectionParams: {} });
    const wrongSecret = connect({ connectionParams: params({ secret: "not-the-secret" }) });
    const stale = connect({ connectionParams: params({ now: Date.now() - 60_000 }) });
    const otherSubgraph = connect({ connectionParams: params({ subgraph: "orders" }) });
    const tampered = connect({ connectionParams: { ...params(), [IdentityHeader.Identity]: Buffer.from(JSON.stringify({ sub: "x", roles: ["ADMIN"] })).toString("base64url") } });
    // An HTTP request's signature does not open a socket: the method is part of what is signed.
    const httpSigned = connect({ connectionParams: signRouterRequest(TEST_SIGNING_SECRET, { method: "POST", subgraph: "toy", body: "", identity: "" }) });
    for (const client of [unsigned, wrongSecret, stale, otherSubgraph, tampered, httpSigned]) expect((await client.closed).code).toBe(4403);
  });

  it("opens one connection per signed connectionParams: captured params cannot open another", async () => {
    const { bus } = await start();
    const captured = signConnectionParams(TEST_SIGNING_SECRET, { subgraph: "toy", identity: customer(), requestId: "r1" });
    const first = connect({ connectionParams: captured });
    const firstSub = recordSubscription<StockData>(first.client, STOCK, { id: PRODUCT });
    await eventually(() => bus.listenerCount() === 1, { what: "the first connection's subscription" });
    const replay = connect({ connectionParams: captured });
    expect((await replay.closed).code).toBe(4403);
    // The first connection is untouched, and freshly signed params still connect.
    const fresh = connect({ identity: customer() });
    const freshSub = recordSubscription<StockData>(fresh.client, STOCK, { id: PRODUCT });
    await eventually(() => bus.listenerCount() === 2, { what: "the freshly signed connection's subscription" });
    await bus.publish(stockChanged(7));
    expect((await firstSub.take(1))[0]?.data?.stock.available).toBe(7);
    expect((await freshSub.take(1))[0]?.data?.stock.available).toBe(7);
  });

  it("reports a subscribe-time refusal as a GraphQL error for that operation only", async () => {
    const { bus } = await start();
    const { client } = connect({ identity: null });
    const refused = recordSubscription(client, `subscription { myStock(productId: "${PRODUCT}") { available } }`);
    await refused.ended();
    expect(refused.results[0]?.errors?.map((e) => e.extensions?.code)).toEqual([ERRORS.UNAUTHENTICATED.code]);
    const invalid = recordSubscription(client, `subscription { nope }`);
    const { error } = await invalid.ended();
    expect((error as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const unparsable = recordSubscription(client, `subscription {`);
    expect(((await unparsable.ended()).error as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
    const badVariables = recordSubscription(client, STOCK, { id: null });
    expect(((await badVariables.ended()).error as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    // The socket survived all of that: a good subscription on it still works.
    const good = recordSubscription<StockData>(client, STOCK, { id: PRODUCT });
    await eventually(() => bus.listenerCount() === 1, { what: "the good subscription's bus listener" });
    await bus.publish(stockChanged(9));
    expect((await good.take(1))[0]?.data?.stock.available).toBe(9);
  });

  it("masks an unexpected resolver error, as over HTTP", async () => {
    const { bus } = await start();
    const { client } = connect({ identity: null });
    const sub = recordSubscription(client, `subscription($id: ID!) { stock(productId: $id) { available broken } }`, { id: PRODUCT });
    await eventually(() => bus.listenerCount() === 1, { what: "the subscription's bus listener" });
    await bus.publish(stockChanged(1));
    const [result] = await sub.take(1);
    expect(result?.errors).toEqual([{ message: "Internal server error", path: ["stock", "broken"], locations: expect.any(Array), extensions: { code: "INTERNAL_SERVER_ERROR" } }]);
    expect(JSON.stringify(result)).not.toContain("SELECT");
  });

  it("releases the bus listener when the client unsubscribes or disconnects", async () => {
    const { bus, running } = await start();
    const first = connect({ identity: null });
    const a = recordSubscription(first.client, STOCK, { id: PRODUCT });
    recordSubscription(first.client, STOCK, { id: OTHER });
    await eventually(() => bus.listenerCount() === 2, { what: "both subscriptions' bus listeners" });
    a.unsubscribe();
    await eventually(() => bus.listenerCount() === 1, { what: "unsubscribe to release its listener" });
    await first.dispose();
    await eventually(() => bus.listenerCount() === 0 && running.webSocketConnections() === 0, { what: "disconnect to release everything" });
  });

  it("ends a subscriber that falls behind with SUBSCRIPTION_OVERFLOW", async () => {
    const { bus } = await start(1);
    const { client } = connect({ identity: null });
    const sub = recordSubscription(client, STOCK, { id: PRODUCT });
    await eventually(() => bus.listenerCount() === 1, { what: "the subscription's bus listener" });
    // Published without yielding: the subgraph cannot send between them.
    await Promise.all([1, 2, 3, 4].map((n) => bus.publish(stockChanged(n))));
    const { error } = await sub.ended();
    expect((error as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe("SUBSCRIPTION_OVERFLOW");
    await eventually(() => bus.listenerCount() === 0, { what: "the overflowed subscription to release its listener" });
  });

  it("closes every connection with 1001 on stop(), releasing their listeners", async () => {
    const { bus, running: listening, subgraph: toy } = await start();
    const one = connect({ identity: customer() });
    const two = connect({ identity: null });
    recordSubscription(one.client, STOCK, { id: PRODUCT });
    const sub = recordSubscription(two.client, STOCK, { id: PRODUCT });
    await eventually(() => bus.listenerCount() === 2 && listening.webSocketConnections() === 2, { what: "two connections, each with its subscription's listener" });
    await toy.stop();
    expect((await one.closed).code).toBe(1001);
    expect((await two.closed).code).toBe(1001);
    await sub.ended();
    expect(bus.listenerCount()).toBe(0);
    expect(listening.webSocketConnections()).toBe(0);
    expect(listening.server.listening).toBe(false);
  });
});
