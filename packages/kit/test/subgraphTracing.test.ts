import { createHash, randomBytes } from "node:crypto";
import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_ADMIN_URL, TEST_SIGNING_SECRET } from "@store/testing";
import {
  createPgAdapter,
  createSubgraph,
  describeStatement,
  ERRORS,
  gql,
  IdentityHeader,
  inSpan,
  MAX_QUERY_TEXT,
  signRouterRequest,
  silentLogger,
  startTracing,
  type RequestContextBase,
  type RunningSubgraph,
  type Subgraph,
  type Tracing,
} from "../src/index.ts";

/**
 * A subgraph's spans over real HTTP, on the machine's PostgreSQL: its
 * catalogue (`pg_database`) is the table the resolvers read, so no database
 * is created. The statements bind a value found nowhere else (NEEDLE): no
 * span may hold it.
 */
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL;
const NEEDLE = `needle-${randomBytes(6).toString("hex")}`;
const ROUTER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const ROUTER_SPAN = "00f067aa0ba902b7";
const TRACEPARENT = `00-${ROUTER_TRACE}-${ROUTER_SPAN}-01`;

const typeDefs = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query {
    product(id: ID!): Product
    products: [Product!]!
    "Holds the only pooled connection for a moment (pg_sleep), tagged."
    slow(tag: String!): String!
    broken(id: ID!): String
  }
  type Product @key(fields: "id") {
    id: ID!
    name: String!
    price: Int!
    category: String!
  }
`;

type Adapter = Awaited<ReturnType<ReturnType<typeof createPgAdapter>["connect"]>>;

const text = { scalarType: "string", arity: "scalar" } as const;
const rowsOf = async (db: Adapter, sql: string, ...args: string[]) => (await db.queryRaw({ sql, args, argTypes: args.map(() => text) })).rows;

function shopSubgraph(tracing: Tracing, db: Adapter): Subgraph<RequestContextBase> {
  const products = [
    { id: "p1", name: "Kettle", price: 30 },
    { id: "p2", name: "Teapot", price: 25 },
    { id: "p3", name: "Mug", price: 8 },
  ];
  return createSubgraph<RequestContextBase>({
    name: "shop",
    typeDefs,
    logger: silentLogger,
    tracing,
    createContext: (base) => base,
    resolvers: {
      Query: {
        product: async (_: unknown, { id }: { id: string }) => {
          // The value is bound ($1), as Prisma binds every value.
          const rows = await rowsOf(db, `SELECT "datname" FROM "pg_catalog"."pg_database" WHERE "datname" = $1`, id);
          return { id, name: `found ${rows.length}`, price: 1 };
        },
        products: () => products,
        slow: async (_: unknown, { tag }: { tag: string }) => {
          await rowsOf(db, `SELECT $1::text AS "tag" FROM pg_sleep(0.05)`, tag);
          return tag;
        },
        broken: (_: unknown, { id }: { id: string }) => {
          throw ERRORS.NOT_FOUND.err(`Product ${id} does not exist`);
        },
      },
      Product: {
        __resolveReference: (reference: { id: string }) => products.find((p) => p.id === reference.id),
        category: () => "kitchen",
      },
    } as never,
  });
}

/** Every string in a span: its name, attributes, status, events. */
function textOf(span: ReadableSpan): string {
  return JSON.stringify([span.name, span.attributes, span.status, span.events.map((e) => [e.name, e.attributes])]);
}

describe("a subgraph's spans", () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let adapter: ReturnType<typeof createPgAdapter>;
  let db: Adapter;
  let subgraph: Subgraph<RequestContextBase>;
  let running: RunningSubgraph;

  beforeAll(async () => {
    tracing = startTracing({ service: "shop", env: {}, exporter });
    // One connection: concurrent statements queue for it, as in a busy pool.
    adapter = createPgAdapter({ connectionString: POSTGRES_URL, poolSize: 1, tracing });
    db = await adapter.connect();
    subgraph = shopSubgraph(tracing, db);
    running = await subgraph.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
  });

  afterAll(async () => {
    await subgraph?.stop();
    await db?.dispose();
    await tracing?.shutdown();
  });

  beforeEach(() => exporter.reset());

  const finished = async () => {
    await tracing.flush();
    return exporter.getFinishedSpans();
  };
  const named = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
  const one = (spans: ReadableSpan[], name: string) => {
    const found = named(spans, name);
    expect(found.map((span) => span.name), `one span named ${name} among ${spans.map((s) => s.name).join(", ")}`).toEqual([name]);
    return found[0]!;
  };
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const names = (spans: ReadableSpan[]) => spans.map((span) => span.name);

  interface PostOptions {
    traceparent?: string;
    /** Sent as they are, no signature. */
    unsigned?: boolean;
    /** Headers changed after signing. */
    tamper?: Record<string, string>;
    /** Signed headers to send again. */
    replay?: Record<string, string>;
  }

  async function post(query: string, variables: Record<string, unknown> = {}, options: PostOptions = {}) {
    const body = JSON.stringify({ query, variables });
    const signed = options.replay ?? (options.unsigned ? (options.traceparent ? { [IdentityHeader.Traceparent]: options.traceparent } : {}) : signRouterRequest(TEST_SIGNING_SECRET, { method: "POST", subgraph: "shop", body, identity: "", traceparent: options.traceparent }));
    const headers = { "content-type": "application/json", ...signed, ...options.tamper };
    const response = await fetch(running.url, { method: "POST", headers, body });
    return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] }, headers };
  }

  it("makes a server span per request, a child of the traceparent the router signed", async () => {
    const query = `query Product($id: ID!) { product(id: $id) { id name } }`;
    const answer = await post(query, { id: NEEDLE }, { traceparent: TRACEPARENT });
    expect(answer.status).toBe(200);
    const spans = await finished();
    const server = one(spans, "query Product");
    expect(server.kind).toBe(1); // SERVER
    expect(server.spanContext().traceId).toBe(ROUTER_TRACE);
    expect(parentOf(server)).toBe(ROUTER_SPAN);
    expect(server.attributes).toMatchObject({
      "graphql.operation.type": "query",
      "graphql.operation.name": "Product",
      "graphql.document.hash": createHash("sha256").update(query).digest("hex"),
      "store.subgraph": "shop",
      "http.request.method": "POST",
      "http.route": "/graphql",
      "http.response.status_code": 200,
    });
    expect(server.status.code).toBe(0);
  });

  it("starts a trace of its own for a signed request that carries no traceparent", async () => {
    await post(`{ products { id } }`);
    const server = one(await finished(), "query");
    expect(parentOf(server)).toBeUndefined();
    expect(server.spanContext().traceId).not.toBe(ROUTER_TRACE);
  });

  it("refuses an unsigned request with a traceparent (401) and records nothing", async () => {
    const answer = await post(`{ products { id } }`, {}, { unsigned: true, traceparent: TRACEPARENT });
    expect(answer.status).toBe(401);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe(ERRORS.INVALID_ROUTER_SIGNATURE.code);
    expect(names(await finished())).toEqual([]);
  });

  it("refuses a request whose traceparent was changed after signing (401), and a replayed one, recording nothing", async () => {
    const forged = `00-${"a".repeat(32)}-${"b".repeat(16)}-01`;
    const tampered = await post(`{ products { id } }`, {}, { traceparent: TRACEPARENT, tamper: { [IdentityHeader.Traceparent]: forged } });
    expect(tampered.status).toBe(401);
    const added = await post(`{ products { id } }`, {}, { tamper: { [IdentityHeader.Traceparent]: forged } });
    expect(added.status).toBe(401);
    expect(names(await finished())).toEqual([]);

    const first = await post(`{ products { id } }`, {}, { traceparent: TRACEPARENT });
    expect(first.status).toBe(200);
    expect(await finished()).not.toEqual([]);
    exporter.reset();
    const replayed = await post(`{ products { id } }`, {}, { replay: first.headers });
    expect(replayed.status).toBe(401);
    expect(names(await finished())).toEqual([]);
  });

  it("makes a span per call of a declared resolver only, each a child of the server span", async () => {
    const answer = await post(`query Shop { products { id name price category } }`);
    expect(answer.body.data?.products).toHaveLength(3);
    const spans = await finished();
    const server = one(spans, "query Shop");
    expect(spans.map((span) => span.name).sort()).toEqual(["query Shop", "resolve Product.category", "resolve Product.category", "resolve Product.category", "resolve Query.products"]);
    for (const span of spans.filter((s) => s !== server)) {
      expect(parentOf(span)).toBe(server.spanContext().spanId);
      expect(span.kind).toBe(0); // INTERNAL
    }
    expect(one(spans, "resolve Query.products").attributes).toEqual({ "graphql.field.name": "products", "graphql.field.path": "products", "graphql.field.type": "[Product!]!" });
    expect(named(spans, "resolve Product.category").map((span) => span.attributes["graphql.field.path"]).sort()).toEqual(["products.0.category", "products.1.category", "products.2.category"]);
  });

  it("makes one span for an entities fetch, around the declared __resolveReference calls", async () => {
    const answer = await post(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { name } } }`, { r: [{ __typename: "Product", id: "p1" }, { __typename: "Product", id: "p2" }] });
    expect(answer.body.data?._entities).toEqual([{ name: "Kettle" }, { name: "Teapot" }]);
    const spans = await finished();
    expect(spans.map((span) => span.name).sort()).toEqual(["query", "resolve Query._entities"]);
  });

  it("nests a resolver's database spans under it, with the parameterised SQL and never a bound value", async () => {
    await post(`query Product($id: ID!) { product(id: $id) { id name } }`, { id: NEEDLE }, { traceparent: TRACEPARENT });
    const spans = await finished();
    const resolver = one(spans, "resolve Query.product");
    const statement = one(spans, "SELECT pg_database");
    expect(parentOf(statement)).toBe(resolver.spanContext().spanId);
    expect(statement.spanContext().traceId).toBe(ROUTER_TRACE);
    expect(statement.kind).toBe(2); // CLIENT
    expect(statement.attributes).toEqual({
      "db.system.name": "postgresql",
      "db.namespace": new URL(POSTGRES_URL).pathname.slice(1),
      "db.operation.name": "SELECT",
      "db.collection.name": "pg_database",
      "db.query.summary": "SELECT pg_database",
      "db.query.text": `SELECT "datname" FROM "pg_catalog"."pg_database" WHERE "datname" = $1`,
      "server.address": new URL(POSTGRES_URL).hostname,
      "server.port": Number(new URL(POSTGRES_URL).port || 5432),
    });
    for (const span of spans) expect(textOf(span)).not.toContain(NEEDLE);
  });

  it("keeps each statement under its own resolver while they queue for the one connection", async () => {
    const answer = await post(`{ a: slow(tag: "a") b: slow(tag: "b") c: slow(tag: "c") }`);
    expect(answer.body.data).toEqual({ a: "a", b: "b", c: "c" });
    const spans = await finished();
    const resolvers = named(spans, "resolve Query.slow");
    const statements = named(spans, "SELECT pg_sleep");
    expect(resolvers).toHaveLength(3);
    expect(statements).toHaveLength(3);
    // Each resolver span has exactly one statement under it.
    expect(resolvers.map((r) => statements.filter((s) => parentOf(s) === r.spanContext().spanId).length)).toEqual([1, 1, 1]);
  });

  it("makes no database span where no span is active, or where the active one records nothing", async () => {
    await rowsOf(db, `SELECT "datname" FROM "pg_catalog"."pg_database" WHERE "datname" = $1`, NEEDLE);
    const unsampled = trace.wrapSpanContext({ traceId: ROUTER_TRACE, spanId: ROUTER_SPAN, traceFlags: 0 });
    await context.with(trace.setSpan(context.active(), unsampled), () => rowsOf(db, `SELECT 1`));
    expect(names(await finished())).toEqual([]);
    // And the same statement inside a recording span does make one: the check above can fail.
    await inSpan(tracing.tracer, "work", {}, () => rowsOf(db, `SELECT 1`));
    expect((await finished()).map((span) => span.name).sort()).toEqual(["SELECT", "work"]);
  });

  it("marks a failed statement by its SQLSTATE, never PostgreSQL's message (which quotes the value)", async () => {
    await expect(inSpan(tracing.tracer, "work", {}, () => rowsOf(db, `SELECT $1::uuid AS "id"`, NEEDLE))).rejects.toThrow();
    const spans = await finished();
    const statement = one(spans, "SELECT");
    expect(statement.status).toEqual({ code: 2, message: "22P02" });
    expect(statement.attributes).toMatchObject({ "db.response.status_code": "22P02", "error.type": "22P02" });
    expect(textOf(statement)).not.toContain(NEEDLE);
  });

  it("cuts a long statement's text at MAX_QUERY_TEXT characters", async () => {
    const sql = `SELECT 1 AS "x" /* ${"x".repeat(3_000)} */`;
    await inSpan(tracing.tracer, "work", {}, () => rowsOf(db, sql));
    const statement = one(await finished(), "SELECT");
    expect(statement.attributes["db.query.text"]).toBe(sql.slice(0, MAX_QUERY_TEXT));
    expect(MAX_QUERY_TEXT).toBe(2_000);
  });

  it("marks failures by their code, never their message", async () => {
    const answer = await post(`query Broken($id: ID!) { broken(id: $id) }`, { id: NEEDLE });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const spans = await finished();
    const resolver = one(spans, "resolve Query.broken");
    expect(resolver.status).toEqual({ code: 2, message: "NOT_FOUND" });
    expect(resolver.attributes["error.type"]).toBe("NOT_FOUND");
    expect(one(spans, "query Broken").status).toEqual({ code: 2, message: "NOT_FOUND" });
    for (const span of spans) expect(textOf(span)).not.toContain(NEEDLE);
  });

  it("traces an operation run in process as a trace of its own, whatever span the caller is in", async () => {
    await inSpan(tracing.tracer, "caller", {}, async () => {
      const result = await subgraph.execute(`query Local { products { id } }`);
      expect(result.errors).toBeUndefined();
    });
    const spans = await finished();
    const local = one(spans, "query Local");
    expect(local.kind).toBe(1);
    expect(parentOf(local)).toBeUndefined();
    expect(local.spanContext().traceId).not.toBe(one(spans, "caller").spanContext().traceId);
  });
});

describe("a subgraph with tracing sampled off", () => {
  it("records no span at all, and answers as before", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ service: "shop", env: { OTEL_TRACES_SAMPLER: "always_off" }, exporter });
    const adapter = createPgAdapter({ connectionString: POSTGRES_URL, poolSize: 1, tracing });
    const db = await adapter.connect();
    const subgraph = shopSubgraph(tracing, db);
    const running = await subgraph.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
    try {
      const body = JSON.stringify({ query: `query($id: ID!) { product(id: $id) { name category } products { category } }`, variables: { id: NEEDLE } });
      const headers = { "content-type": "application/json", ...signRouterRequest(TEST_SIGNING_SECRET, { method: "POST", subgraph: "shop", body, identity: "", traceparent: `00-${ROUTER_TRACE}-${ROUTER_SPAN}-00` }) };
      const response = await fetch(running.url, { method: "POST", headers, body });
      expect(await response.json()).toMatchObject({ data: { product: { name: "found 0", category: "kitchen" } } });
      await tracing.flush();
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      await subgraph.stop();
      await db.dispose();
      await tracing.shutdown();
    }
  });
});

describe("describeStatement", () => {
  it("names the verb and the table of a single-table statement, ignoring FROMs inside parentheses", () => {
    expect(describeStatement(`SELECT "t0"."id", EXTRACT(EPOCH FROM "t0"."at"), (SELECT 1 FROM "Other") FROM "public"."Order" AS "t0" WHERE "t0"."id" = $1`)).toEqual({ operation: "SELECT", table: "Order" });
    expect(describeStatement(`INSERT INTO "OutboxEvent" ("id") VALUES ($1)`)).toEqual({ operation: "INSERT", table: "OutboxEvent" });
    expect(describeStatement(`update "public"."Stock" SET "n" = $1`)).toEqual({ operation: "UPDATE", table: "Stock" });
    expect(describeStatement(`DELETE FROM ONLY stock WHERE id = $1`)).toEqual({ operation: "DELETE", table: "stock" });
    expect(describeStatement(`SELECT COUNT(*) FROM (SELECT "id" FROM "Order") AS "sub"`)).toEqual({ operation: "SELECT", table: undefined });
    expect(describeStatement(`SELECT 'FROM "x"' AS a`)).toEqual({ operation: "SELECT", table: undefined });
    expect(describeStatement(`BEGIN`)).toEqual({ operation: "BEGIN", table: undefined });
  });
});
