/**
 * Records every SQL statement the subgraphs' Prisma clients send, in a running
 * platform, without touching packages/kit or the subgraphs.
 *
 * Each subgraph builds its PrismaClient on `createPgAdapter()` from @store/kit,
 * a `PrismaPg` driver-adapter factory. Prisma sends each SQL statement through
 * the adapter's `queryRaw` / `executeRaw` (on the pool, or on a transaction's
 * connection), which is exactly what Prisma's `query` log event reports (what
 * `countQueries` in @store/testing listens to). So we patch the factory's
 * `connect()` — one prototype shared by every subgraph in this process — to
 * wrap those two methods on the adapter and on every transaction it starts.
 * The database name in the factory's connection string tells which subgraph
 * sent the statement. The outbox relays send their statements on the same
 * pool but around Prisma (PoolSql in @store/kit): its two methods are wrapped
 * too.
 *
 * Which statements belong to a request: an AsyncLocalStorage context is
 * entered on node's `http.server.request.start` diagnostics channel, so a
 * statement made while serving an HTTP request carries that server's port;
 * background work (the outbox relay polls every 500 ms) carries none and is
 * counted apart.
 *
 * Must be installed before the platform starts (before any adapter connects).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import diagnosticsChannel from "node:diagnostics_channel";
import type { IncomingMessage, Server } from "node:http";
import { createPgAdapter, PoolSql } from "@store/kit";

export interface RecordedStatement {
  database: string;
  sql: string;
  /** Local port of the HTTP server whose request made it; null for background work. */
  port: number | null;
  /** BEGIN / COMMIT / ROLLBACK / SAVEPOINT / RELEASE / SET TRANSACTION */
  transactionControl: boolean;
}

export interface RecordedRequest {
  port: number;
  method: string;
  url: string;
}

/** Same rule as countQueries in @store/testing. */
const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET TRANSACTION)\b/i;

type SqlQuery = { sql: string };
type Queryable = { queryRaw(query: SqlQuery): Promise<unknown>; executeRaw(query: SqlQuery): Promise<unknown> };
type Adapter = Queryable & { startTransaction(...args: unknown[]): Promise<Queryable> };

export interface SqlRecorder {
  statements: RecordedStatement[];
  requests: RecordedRequest[];
  /** Forget everything recorded so far. */
  reset(): void;
  /** Adapters (Prisma clients' pools) seen so far, by database. */
  readonly adapters: Map<string, number>;
  /** Runs `fn` with its statements tagged with `port` (calibration outside any HTTP request). */
  tagged<T>(port: number, fn: () => Promise<T>): Promise<T>;
}

let installed: SqlRecorder | undefined;

export function installSqlRecorder(): SqlRecorder {
  if (installed) return installed;
  const context = new AsyncLocalStorage<{ port: number }>();
  const recorder: SqlRecorder = {
    statements: [],
    requests: [],
    adapters: new Map(),
    reset() {
      recorder.statements = [];
      recorder.requests = [];
    },
    tagged: (port, fn) => context.run({ port }, fn),
  };

  diagnosticsChannel.subscribe("http.server.request.start", (message) => {
    const { request, server } = message as { request: IncomingMessage; server: Server };
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : (request.socket.localPort ?? 0);
    // Runs synchronously just before the server emits "request": everything the
    // handler does from here (and the request body's data events) inherits it.
    context.enterWith({ port });
    recorder.requests.push({ port, method: request.method ?? "", url: request.url ?? "" });
  });

  const record = (database: string, sql: string) => {
    recorder.statements.push({ database, sql, port: context.getStore()?.port ?? null, transactionControl: TRANSACTION_CONTROL.test(sql) });
  };
  const wrap = (target: Queryable, database: string) => {
    for (const method of ["queryRaw", "executeRaw"] as const) {
      const original = target[method];
      target[method] = function (this: Queryable, query: SqlQuery) {
        record(database, query.sql);
        return original.call(this, query);
      };
    }
  };

  /** Which subgraph a pool's statements belong to: the database its connection string names. */
  const databaseOf = (config: { connectionString?: string; database?: string }) => config.database ?? new URL(config.connectionString ?? "postgresql://x/unknown").pathname.slice(1);

  // The PrismaPg class that @store/kit (and so every subgraph) uses, whichever copy that is.
  const factoryPrototype = Object.getPrototypeOf(createPgAdapter({ connectionString: "postgresql://bench@127.0.0.1:1/probe" })) as {
    connect(this: { config: { connectionString?: string; database?: string } }): Promise<Adapter>;
  };
  const connect = factoryPrototype.connect;
  if (typeof connect !== "function") throw new Error("the Prisma pg adapter factory has no connect(): @prisma/adapter-pg changed, update bench/platform/sqlRecorder.ts");
  factoryPrototype.connect = async function (this: { config: { connectionString?: string; database?: string } }) {
    const adapter = await connect.call(this);
    const database = databaseOf(this.config);
    recorder.adapters.set(database, (recorder.adapters.get(database) ?? 0) + 1);
    wrap(adapter, database);
    const startTransaction = adapter.startTransaction;
    adapter.startTransaction = async function (this: Adapter, ...args: unknown[]) {
      // BEGIN (and SET TRANSACTION) run inside startTransaction, before the wrap: not recorded, and not counted anyway.
      const tx = await startTransaction.apply(this, args);
      wrap(tx, database);
      return tx;
    };
    return adapter;
  };
  for (const method of ["$queryRawUnsafe", "$executeRawUnsafe"] as const) {
    const original = PoolSql.prototype[method] as (this: PoolSql, query: string, ...values: unknown[]) => Promise<unknown>;
    (PoolSql.prototype as unknown as Record<string, unknown>)[method] = function (this: PoolSql, query: string, ...values: unknown[]) {
      record(databaseOf(this.pool.options), query);
      return original.call(this, query, ...values);
    };
  }
  installed = recorder;
  return recorder;
}
