import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { createEvent, createInProcessBus, createNatsBus, createOutboxRelay, eventMetrics, writeOutbox, type SqlClient } from "@store/events";
import { connectTestClient, DEFAULT_ADMIN_URL, eventually, TEST_SIGNING_SECRET } from "@store/testing";
import {
  countDeadLetters,
  createPgAdapter,
  createStatusCheck,
  createSubgraph,
  ERRORS,
  freePort,
  gql,
  signRouterRequest,
  silentLogger,
  type RequestContextBase,
  type RunningSubgraph,
  type Subgraph,
  type SubgraphStatus,
} from "../src/index.ts";

/**
 * `/status` on real PostgreSQL (a database of the test's own holding the
 * outbox table every service's migration creates) and real buses.
 */
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL;
const NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";
const PRODUCT = "5a0c2f9e-1b2d-4e3f-8a9b-0c1d2e3f4a5b";

type Adapter = Awaited<ReturnType<ReturnType<typeof createPgAdapter>["connect"]>>;

/** The outbox's SQL client over the kit's driver adapter: what Prisma's `$queryRawUnsafe` does, without a generated client. */
function sqlClient(db: Adapter): SqlClient {
  const query = (sql: string, args: unknown[]) => ({ sql, args, argTypes: args.map(() => ({ scalarType: "unknown", arity: "scalar" }) as const) });
  return {
    async $queryRawUnsafe<T>(sql: string, ...args: unknown[]) {
      const { columnNames, rows } = await db.queryRaw(query(sql, args));
      return rows.map((row) => Object.fromEntries(columnNames.map((column, i) => [column, row[i]]))) as T;
    },
    $executeRawUnsafe: (sql: string, ...args: unknown[]) => db.executeRaw(query(sql, args)),
  };
}

const stockChanged = () => createEvent("StockChanged", { productId: PRODUCT, onHand: 1, reserved: 0, available: 1 }, { aggregateId: PRODUCT });

function statusSubgraph(status: () => Promise<SubgraphStatus>): Subgraph<RequestContextBase> {
  return createSubgraph<RequestContextBase>({ name: "shop", typeDefs: gql`type Query { hello: String }`, resolvers: { Query: { hello: () => "hi" } }, logger: silentLogger, createContext: (base) => base, status });
}

const signedGet = (overrides: { method?: string; subgraph?: string } = {}) =>
  signRouterRequest(TEST_SIGNING_SECRET, { method: overrides.method ?? "GET", subgraph: overrides.subgraph ?? "shop", body: "", identity: "" });

async function getStatus(running: RunningSubgraph, headers: Record<string, string>) {
  const response = await fetch(new URL("/status", running.url), { headers });
  return { status: response.status, body: (await response.json()) as SubgraphStatus & { errors?: { extensions: { code: string } }[] } };
}

describe("GET /status", () => {
  const databaseName = `test_${process.env.TEST_RUN_ID ?? "adhoc"}_kit_status_${randomBytes(4).toString("hex")}`;
  const bus = createInProcessBus({ logger: silentLogger, delay: () => 1 });
  const registry = new Registry();
  let db: Adapter;
  let subgraph: Subgraph<RequestContextBase>;
  let running: RunningSubgraph;
  let outbox: SqlClient;

  beforeAll(async () => {
    const admin = await connectTestClient(ADMIN_URL);
    try {
      await admin.query(`CREATE DATABASE "${databaseName}"`);
    } finally {
      await admin.end();
    }
    const url = new URL(ADMIN_URL);
    url.pathname = `/${databaseName}`;
    db = await createPgAdapter({ connectionString: url.toString(), poolSize: 2 }).connect();
    // As every service's events migration creates it (see EVENT_TABLES in @store/events).
    await db.executeScript(`CREATE TABLE "OutboxEvent" ("id" UUID PRIMARY KEY, "position" BIGSERIAL NOT NULL UNIQUE, "type" TEXT NOT NULL, "envelope" JSONB NOT NULL, "occurredAt" TIMESTAMPTZ(3) NOT NULL, "publishedAt" TIMESTAMPTZ(3), "attempts" INTEGER NOT NULL DEFAULT 0, "lastError" TEXT)`);
    outbox = sqlClient(db);
    // Never started: what is written stays pending.
    const relay = createOutboxRelay({ db: outbox, bus, service: "shop", logger: silentLogger });
    const saga = await bus.consume({ name: "shop-saga", types: ["StockChanged"], maxDeliveries: 1, handler: async () => Promise.reject(new Error("cannot handle")) });
    await bus.consume({ name: "other-saga", types: ["StockChanged"], maxDeliveries: 1, handler: async () => Promise.reject(new Error("not ours either")) });
    subgraph = statusSubgraph(
      createStatusCheck({
        service: "shop",
        database: () => db.queryRaw({ sql: "SELECT 1", args: [], argTypes: [] }),
        bus,
        outboxPending: () => relay.pending(),
        consumers: () => [saga],
        deadLetters: () => countDeadLetters({ service: "shop", registry, bus }),
      }),
    );
    running = await subgraph.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
  });

  afterAll(async () => {
    await subgraph?.stop();
    await bus.close();
    await db?.dispose();
    const admin = await connectTestClient(ADMIN_URL);
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  it("answers the router with the service's dependencies, outbox, consumers and dead letters", async () => {
    const before = Date.now();
    const { status, body } = await getStatus(running, signedGet());
    expect(status).toBe(200);
    expect(body).toEqual({
      service: "shop",
      status: "up",
      checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      uptimeSeconds: expect.any(Number),
      dependencies: [
        { name: "database", status: "up", latencyMs: expect.any(Number) },
        { name: "events", kind: "in-process", status: "up", latencyMs: expect.any(Number) },
      ],
      events: { outboxPending: 0, consumers: [{ name: "shop-saga", lag: 0 }], deadLetters: 0 },
    });
    expect(Date.parse(body.checkedAt)).toBeGreaterThanOrEqual(before - 1);

    // An event waiting in the outbox, and one that this service's consumer (and another's) dead-lettered.
    await writeOutbox(outbox, [stockChanged()]);
    await bus.publish(stockChanged());
    await eventually(() => bus.deadLetters.length === 2, { what: "both consumers to dead-letter the event" });
    const later = await getStatus(running, signedGet());
    expect(later.body.events).toEqual({ outboxPending: 1, consumers: [{ name: "shop-saga", lag: 0 }], deadLetters: 1 });
  });

  it("refuses anything but a fresh router signature for GET on this subgraph (401)", async () => {
    const refused = async (headers: Record<string, string>) => {
      const { status, body } = await getStatus(running, headers);
      expect(status).toBe(401);
      expect(body.errors?.[0]?.extensions.code).toBe(ERRORS.INVALID_ROUTER_SIGNATURE.code);
    };
    await refused({});
    await refused(signedGet({ method: "POST" }));
    await refused(signedGet({ subgraph: "orders" }));
    const once = signedGet();
    expect((await getStatus(running, once)).status).toBe(200);
    await refused(once);
  });
});

describe("the status check", () => {
  /** A TCP server that accepts connections and never says a word: a hung database. */
  async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      port: (server.address() as { port: number }).port,
      close: () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    };
  }

  it("answers down, within its timeout, for a database that refuses or never answers", async () => {
    const closedPort = await freePort();
    const hung = await silentServer();
    const refusing = await createPgAdapter({ connectionString: `postgresql://postgres@127.0.0.1:${closedPort}/postgres`, poolSize: 1 }).connect();
    const silent = await createPgAdapter({ connectionString: `postgresql://postgres@127.0.0.1:${hung.port}/postgres`, poolSize: 1 }).connect();
    const selectOne = (db: Adapter) => () => db.queryRaw({ sql: "SELECT 1", args: [], argTypes: [] });
    try {
      const refused = await createStatusCheck({ service: "shop", timeoutMs: 300, database: selectOne(refusing) })();
      expect(refused.status).toBe("down");
      expect(refused.dependencies).toEqual([{ name: "database", status: "down", latencyMs: expect.any(Number), error: expect.stringMatching(/DatabaseNotReachable|ECONNREFUSED|reach/i) }]);

      const started = performance.now();
      const unanswered = await createStatusCheck({ service: "shop", timeoutMs: 300, database: selectOne(silent) })();
      const elapsed = performance.now() - started;
      expect(unanswered.status).toBe("down");
      expect(unanswered.dependencies[0]).toMatchObject({ name: "database", status: "down", error: "no answer within 300 ms" });
      expect(unanswered.dependencies[0]!.latencyMs).toBeGreaterThanOrEqual(299);
      expect(elapsed).toBeLessThan(1_500);
    } finally {
      await hung.close();
      await refusing.dispose();
      await silent.dispose();
    }
  });

  it("answers degraded when the database answers but the bus, the outbox or a consumer does not", async () => {
    const database = async () => 1;
    const bus = createInProcessBus({ logger: silentLogger });
    expect((await createStatusCheck({ service: "shop", database, bus })()).status).toBe("up");
    const silentOutbox = await createStatusCheck({ service: "shop", timeoutMs: 50, database, bus, outboxPending: () => new Promise<number>(() => {}) })();
    expect(silentOutbox).toMatchObject({ status: "degraded", events: { outboxPending: null } });
    // Declared, never subscribed: its lag cannot be read.
    const missing = await createStatusCheck({ service: "shop", database, bus, consumers: () => [{ name: "shop-saga" }] })();
    expect(missing).toMatchObject({ status: "degraded", events: { consumers: [{ name: "shop-saga", lag: null }] } });
  });

  it("pings NATS, and counts the dead letters the NATS bus recorded for this service's consumers", async () => {
    const registry = new Registry();
    const namespace = `t${randomBytes(4).toString("hex")}.`;
    const bus = await createNatsBus({ url: NATS_URL, name: "status-test", logger: silentLogger, namespace, metrics: eventMetrics(registry), delay: () => 10 });
    try {
      await bus.consume({ name: "shop-saga", types: ["StockChanged"], maxDeliveries: 1, handler: async () => Promise.reject(new Error("cannot handle")) });
      const check = createStatusCheck({ service: "shop", database: async () => 1, bus, deadLetters: () => countDeadLetters({ service: "shop", registry, bus }) });
      const up = await check();
      expect(up.dependencies[1]).toEqual({ name: "events", kind: "nats", status: "up", latencyMs: expect.any(Number) });
      await bus.publish(stockChanged());
      await eventually(async () => (await check()).events.deadLetters === 1, { what: "the dead letter to be counted" });
      // The streams go first: a closed bus cannot delete them.
      await bus.deleteStreams();
      await bus.close();
      const closed = await check();
      expect(closed).toMatchObject({ status: "degraded", dependencies: [{ name: "database", status: "up" }, { name: "events", kind: "nats", status: "down" }] });
    } finally {
      await bus.deleteStreams().catch(() => {});
      await bus.close().catch(() => {});
    }
  });
});
