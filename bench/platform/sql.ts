/**
 * SQL statements per federated request, measured inside the platform process:
 *   node --import tsx bench/platform/sql.ts        (run by bench/sql.mjs)
 *
 * Starts the seven subgraphs and the router on throwaway PostgreSQL databases
 * (demo data seeded, in-process event bus), adds what the queries need (orders,
 * shipments, a cart) through the router, then sends every registered query in
 * operations/ and a few list queries at N = 5, 20, 50 through the router over
 * HTTP, and counts the SQL each subgraph's Prisma client sent for each request
 * (see sqlRecorder.ts).
 *
 * Env: BENCH_SQL_REPEAT (measured runs per request after one warm-up, default 3),
 * BENCH_SQL_SIZES (default 5,20,50), BENCH_POOL_SIZE, BENCH_LOG_LEVEL; TEST_RUN_ID.
 * Protocol on stdout: JSON lines `{"bench":"progress"|"result"|"error"|"stopped",...}`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error plain JS module shared with bench/run.mjs
import { PLATFORM_QUERIES } from "../lib/queries.mjs";
import { DEMO_ADMIN_PASSWORD, DEMO_CUSTOMER_PASSWORD, demoOrders, demoProducts, demoUsers } from "@store/demo-data";
import { ordersService } from "@store/orders";
import { countQueries } from "@store/testing";
import { installSqlRecorder, type RecordedStatement } from "./sqlRecorder.ts";
import { ROOT, startBenchPlatform, type BenchPlatform } from "./platform.ts";

const say = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: message.type, ...message })}\n`);
const progress = (text: string) => say({ type: "progress", text });

const REPEAT = Math.max(1, Number(process.env.BENCH_SQL_REPEAT ?? 3));
const SIZES = (process.env.BENCH_SQL_SIZES ?? "5,20,50").split(",").map((s) => Number(s.trim())).filter((n) => n > 0);
const MAX_N = Math.max(...SIZES);

// Installed before anything connects.
const recorder = installSqlRecorder();

let bench: BenchPlatform | undefined;
let starting: Promise<BenchPlatform> | undefined;
let stopping = false;
async function stop(reason: string, code: number) {
  if (stopping) return;
  stopping = true;
  // Asked to stop while starting: let the start finish (or fail, dropping what it made), then clean up.
  const running = bench ?? (await starting?.catch(() => undefined));
  const problems = running ? await running.cleanup() : [];
  say({ type: "stopped", platformStopMs: bench?.stopMs(), reason, problems });
  process.exit(problems.length ? 1 : code);
}
process.on("SIGTERM", () => void stop("SIGTERM", 143));
process.on("SIGINT", () => void stop("SIGINT", 130));
process.stdin.on("end", () => void stop("stdin closed", 1));
process.stdin.resume();

// ---------------------------------------------------------------- operations
const operations: Record<string, { area: string; text: string; kind: string }> = {};
for (const area of ["storefront", "backoffice"]) {
  for (const file of readdirSync(join(ROOT, "operations", area)).filter((f) => f.endsWith(".graphql")).sort()) {
    const text = readFileSync(join(ROOT, "operations", area, file), "utf8");
    const kind = /^\s*(query|mutation|subscription)\b/m.exec(text)?.[1] ?? "?";
    operations[file.replace(/\.graphql$/, "")] = { area, text, kind };
  }
}
const op = (name: string) => {
  const found = operations[name];
  if (!found) throw new Error(`operations/*/${name}.graphql not found`);
  return found.text;
};

/** Not registered: the N-scaling check of one list touching six subgraphs at once. */
const MY_ORDERS_DEEP = `query MyOrdersDeep($first: Int) {
  myOrders(first: $first) {
    totalCount
    edges { node {
      id status total { amount currency }
      customer { name }
      lines { quantity productName product { name category { name } stock inStock } }
      payment { status amount { amount currency } }
      shipment { status trackingNumber }
    } }
  }
}`;

// ---------------------------------------------------------------- http
let routerUrl = "";
type Response = { status: number; data?: any; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] };
async function gql(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Response> {
  const res = await fetch(routerUrl, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, ...JSON.parse(text) };
  } catch {
    throw new Error(`HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
}
async function must(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const r = await gql(query, variables, token);
  if (r.errors?.length || !r.data) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.errors ?? r).slice(0, 1000)}`);
  return r.data;
}
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

// ---------------------------------------------------------------- measuring
let serviceOfPort = new Map<number, string>();
let serviceOfDatabase = new Map<string, string>();
let subgraphNames: string[] = [];

interface Sample {
  ms: number;
  sql: Record<string, number>;
  total: number;
  fetches: Record<string, number>;
  transactionControl: number;
  background: number;
  mismatched: number;
  statements: { subgraph: string; sql: string }[];
  backgroundStatements: string[];
}

function summarize(statements: RecordedStatement[], requests: { port: number }[], ms: number): Sample {
  const sql = Object.fromEntries(subgraphNames.map((n) => [n, 0]));
  const fetches = Object.fromEntries(subgraphNames.map((n) => [n, 0]));
  let transactionControl = 0;
  let background = 0;
  let mismatched = 0;
  const listed: { subgraph: string; sql: string }[] = [];
  const backgroundStatements: string[] = [];
  for (const r of requests) {
    const service = serviceOfPort.get(r.port);
    if (service) fetches[service] = (fetches[service] ?? 0) + 1;
  }
  for (const s of statements) {
    const service = serviceOfDatabase.get(s.database) ?? `?${s.database}`;
    if (s.port === null) {
      if (!s.transactionControl) {
        background++;
        backgroundStatements.push(`${service}: ${s.sql.slice(0, 160)}`);
      }
      continue;
    }
    if (s.transactionControl) {
      transactionControl++;
      continue;
    }
    if (serviceOfPort.get(s.port) !== service) mismatched++;
    sql[service] = (sql[service] ?? 0) + 1;
    listed.push({ subgraph: service, sql: s.sql.replace(/\s+/g, " ").slice(0, 300) });
  }
  const total = Object.values(sql).reduce((a, b) => a + b, 0);
  return { ms, sql, total, fetches, transactionControl, background, mismatched, statements: listed, backgroundStatements };
}

interface Case {
  name: string;
  registered: boolean;
  as: string;
  query: string;
  variables: Record<string, unknown>;
  token?: string;
  /** For list queries: how many entities the response holds (checked against N). */
  count?: (data: any) => number;
}

async function measure(c: Case) {
  const samples: Sample[] = [];
  let lastData: any;
  for (let run = 0; run <= REPEAT; run++) {
    // Nothing of an earlier request may land in this one's window.
    await new Promise((r) => setTimeout(r, 20));
    recorder.reset();
    const started = performance.now();
    const response = await gql(c.query, c.variables, c.token);
    const ms = performance.now() - started;
    await new Promise((r) => setImmediate(r));
    const sample = summarize(recorder.statements, recorder.requests, ms);
    recorder.reset();
    if (response.errors?.length || !response.data) throw new Error(`${c.name} (${JSON.stringify(c.variables)}): HTTP ${response.status} ${JSON.stringify(response.errors ?? response).slice(0, 1000)}`);
    lastData = response.data;
    if (run > 0) samples.push(sample); // run 0 warms caches (plans, pools)
  }
  const key = (s: Sample) => JSON.stringify(s.sql);
  const stable = samples.every((s) => key(s) === key(samples[0]!));
  const last = samples.at(-1)!;
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    sql: last.sql,
    total: last.total,
    stable,
    perRun: samples.map((s) => s.total),
    fetches: last.fetches,
    transactionControl: last.transactionControl,
    background: samples.reduce((a, s) => a + s.background, 0),
    backgroundStatements: [...new Set(samples.flatMap((s) => s.backgroundStatements))].slice(0, 10),
    mismatched: samples.reduce((a, s) => a + s.mismatched, 0),
    medianMs: ms[Math.floor(ms.length / 2)]!,
    entities: c.count ? c.count(lastData) : undefined,
    statements: last.statements.slice(0, 100),
  };
}

// ---------------------------------------------------------------- main
try {
  const started = performance.now();
  progress("starting the platform on PostgreSQL (7 test databases, demo data)");
  starting = startBenchPlatform({
    events: { kind: "in-process" },
    poolSize: process.env.BENCH_POOL_SIZE ? Number(process.env.BENCH_POOL_SIZE) : undefined,
    logLevel: process.env.BENCH_LOG_LEVEL,
  });
  bench = await starting;
  // A signal during the start: stop() is cleaning up and will exit.
  if (stopping) await new Promise(() => {});
  const { platform } = bench;
  routerUrl = platform.routerUrl;
  subgraphNames = Object.keys(platform.subgraphUrls);
  serviceOfPort = new Map(Object.entries(platform.subgraphUrls).map(([name, url]) => [Number(new URL(url).port), name]));
  serviceOfDatabase = new Map(Object.entries(bench.databaseNames).map(([name, db]) => [db, name]));
  const startupMs = performance.now() - started;
  progress(`platform up in ${(startupMs / 1000).toFixed(1)} s; preparing data`);

  // ---- data the queries need
  const signIn = async (email: string, password: string) => (await must(op("SignIn"), { input: { email, password } })).signIn.accessToken as string;
  const signUp = async (label: string) => {
    const email = `bench-sql-${label}-${Date.now()}@example.com`;
    const data = await must(op("SignUp"), { input: { email, name: `Bench ${label}`, password: "bench-password-123" } });
    return { token: data.signUp.accessToken as string, userId: data.signUp.user.id as string };
  };
  const admin = await signIn(demoUsers.find((u) => u.role === "ADMIN")!.email, DEMO_ADMIN_PASSWORD);
  const ada = demoUsers.find((u) => u.email === "ada@example.com")!;
  const adaToken = await signIn(ada.email, DEMO_CUSTOMER_PASSWORD);
  const adaOrder = demoOrders.find((o) => o.customerId === ada.id)!;

  // One customer with MAX_N + 5 paid orders (so a page of N is full, each with a payment and a shipment).
  const buyer = await signUp("orders");
  const stocked = demoProducts.filter((p) => p.stock >= 20);
  const orderCount = MAX_N + 5;
  const placed: string[] = [];
  await pool(Array.from({ length: orderCount }, (_, i) => i), 5, async (i) => {
    const lines = [0, 1].map((k) => ({ productId: stocked[(2 * i + k) % stocked.length]!.id, quantity: 1 }));
    const data = await must(op("PlaceOrder"), { input: { lines, paymentToken: "tok_visa" } }, buyer.token);
    placed.push(data.placeOrder.id);
  });
  progress(`placed ${placed.length} orders; waiting for payments and shipments`);
  await eventually(`${orderCount} orders to be PAID with a shipment`, async () => {
    let ready = 0;
    let after: string | null = null;
    for (;;) {
      const page: any = (await must(op("MyOrders"), { first: 50, after }, buyer.token)).myOrders;
      ready += page.edges.filter((e: any) => e.node.status === "PAID" && e.node.payment?.status === "CAPTURED" && e.node.shipment).length;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    return ready === orderCount ? true : undefined;
  }, 120_000);

  // A cart that grows to 5, 20, 50 lines (distinct products).
  const shopper = await signUp("cart");
  let cartLines = 0;
  const growCart = async (n: number) => {
    for (; cartLines < n; cartLines++) await must(op("AddToCart"), { productId: demoProducts[cartLines]!.id, quantity: 1 }, shopper.token);
  };
  await growCart(SIZES[0]!);
  const setupMs = performance.now() - started - startupMs;
  progress(`data ready in ${(setupMs / 1000).toFixed(1)} s; measuring (${REPEAT} runs per request after a warm-up)`);

  // ---- calibration: the adapter hook sees exactly what Prisma's own query event reports
  const calibration = await (async () => {
    const prisma = ordersService.createPrisma({ url: platform.databaseUrls.orders!, poolSize: 2 });
    try {
      const counter = countQueries(prisma);
      recorder.reset();
      await recorder.tagged(-1, async () => {
        await prisma.order.findMany({ take: 5, include: { lines: true, statusChanges: true } });
        await prisma.order.count({ where: { customerId: buyer.userId } });
        await prisma.$transaction(async (tx) => {
          await tx.order.findFirst({ where: { customerId: buyer.userId } });
          await tx.orderLine.count();
        });
        await prisma.$transaction([prisma.order.count(), prisma.orderLine.count()]);
      });
      const hooked = recorder.statements.filter((s) => s.port === -1 && !s.transactionControl).length;
      recorder.reset();
      return { prismaQueryEvents: counter.count, adapterHook: hooked, equal: counter.count === hooked, statements: counter.statements.map((q) => q.replace(/\s+/g, " ").slice(0, 120)) };
    } finally {
      await prisma.$disconnect();
    }
  })();
  progress(`calibration on the orders database: Prisma query events ${calibration.prismaQueryEvents}, adapter hook ${calibration.adapterHook}`);
  if (!calibration.equal) throw new Error(`the adapter hook disagrees with Prisma's query events: ${JSON.stringify(calibration)}`);

  // ---- registered queries, one request each
  const variablesFor: Record<string, { as: string; variables: Record<string, unknown>; token?: string }> = {
    BrowseProducts: { as: "anonymous", variables: { first: 20 } },
    Categories: { as: "anonymous", variables: {} },
    Me: { as: "customer (ada)", variables: {}, token: adaToken },
    MyCart: { as: `customer with ${SIZES[0]} cart lines`, variables: {}, token: shopper.token },
    MyOrders: { as: `customer with ${orderCount} orders`, variables: { first: 10 }, token: buyer.token },
    OrderDetails: { as: "customer (ada), her demo order (3 lines)", variables: { id: adaOrder.id }, token: adaToken },
    ProductDetails: { as: "anonymous", variables: { id: stocked[0]!.id } },
    Shipments: { as: "admin", variables: { first: 20 }, token: admin },
    StockLevel: { as: "admin", variables: { productId: stocked[0]!.id }, token: admin },
    UserById: { as: "admin", variables: { id: ada.id }, token: admin },
  };
  const registered: Record<string, unknown>[] = [];
  const skipped: string[] = [];
  for (const [name, { kind, area }] of Object.entries(operations)) {
    if (kind !== "query") continue;
    const setup = variablesFor[name];
    if (!setup) {
      skipped.push(`${area}/${name}`);
      continue;
    }
    const result = await measure({ name, registered: true, query: op(name), ...setup });
    registered.push({ operation: `${area}/${name}`, as: setup.as, variables: setup.variables, ...result });
    progress(`${name}: ${result.total} SQL (${Object.entries(result.sql).filter(([, n]) => n).map(([s, n]) => `${s} ${n}`).join(", ")})`);
  }

  // ---- the throughput benchmark's queries on this subgraph set (bench/lib/queries.mjs), as the same customer
  for (const [name, query] of Object.entries(PLATFORM_QUERIES as Record<string, string>)) {
    const result = await measure({ name: `throughput ${name}`, registered: false, as: "customer (ada), as in bench/run.mjs", query, variables: {}, token: adaToken });
    registered.push({ operation: `bench/run.mjs ${name}`, as: "customer (ada)", variables: {}, ...result });
    progress(`throughput ${name}: ${result.total} SQL`);
  }

  // ---- scaling: the same list at N = 5, 20, 50
  const lists: { name: string; registered: boolean; as: string; query: string; token?: string; variables: (n: number) => Record<string, unknown>; count: (d: any) => number; before?: (n: number) => Promise<void> }[] = [
    { name: "BrowseProducts", registered: true, as: "anonymous", query: op("BrowseProducts"), variables: (n) => ({ first: n }), count: (d) => d.products.edges.length },
    { name: "MyOrders", registered: true, as: `customer with ${orderCount} orders`, query: op("MyOrders"), token: buyer.token, variables: (n) => ({ first: n }), count: (d) => d.myOrders.edges.length },
    { name: "Shipments", registered: true, as: "admin", query: op("Shipments"), token: admin, variables: (n) => ({ first: n }), count: (d) => d.shipments.edges.length },
    { name: "MyCart", registered: true, as: "customer, cart of N lines", query: op("MyCart"), token: shopper.token, variables: () => ({}), count: (d) => d.myCart.lines.length, before: growCart },
    { name: "MyOrdersDeep (ad hoc)", registered: false, as: `customer with ${orderCount} orders`, query: MY_ORDERS_DEEP, token: buyer.token, variables: (n) => ({ first: n }), count: (d) => d.myOrders.edges.length },
  ];
  const scaling: Record<string, unknown>[] = [];
  for (const list of lists) {
    const bySize: Record<string, Awaited<ReturnType<typeof measure>>> = {};
    for (const n of SIZES) {
      await list.before?.(n);
      const result = await measure({ name: list.name, registered: list.registered, as: list.as, query: list.query, token: list.token, variables: list.variables(n), count: list.count });
      if (result.entities !== n) throw new Error(`${list.name} at N=${n} returned ${result.entities} entities`);
      bySize[n] = result;
    }
    const perSubgraph = Object.fromEntries(subgraphNames.map((s) => [s, SIZES.map((n) => bySize[n]!.sql[s] ?? 0)]));
    const constant = Object.values(perSubgraph).every((counts) => counts.every((c) => c === counts[0]));
    scaling.push({
      query: list.name,
      registered: list.registered,
      as: list.as,
      sizes: SIZES,
      totals: SIZES.map((n) => bySize[n]!.total),
      perSubgraph,
      fetches: Object.fromEntries(subgraphNames.map((s) => [s, SIZES.map((n) => bySize[n]!.fetches[s] ?? 0)])),
      constant,
      stable: SIZES.every((n) => bySize[n]!.stable),
      medianMs: SIZES.map((n) => Math.round(bySize[n]!.medianMs * 10) / 10),
      background: SIZES.reduce((a, n) => a + bySize[n]!.background, 0),
      mismatched: SIZES.reduce((a, n) => a + bySize[n]!.mismatched, 0),
      statementsAtMaxN: bySize[MAX_N]!.statements,
    });
    progress(`${list.name}: totals ${SIZES.map((n) => `N=${n}: ${bySize[n]!.total}`).join(", ")} ${constant ? "O(1)" : "NOT O(1)"}`);
  }

  say({
    type: "result",
    subgraphs: subgraphNames,
    databases: bench.databaseNames,
    adaptersSeen: Object.fromEntries(recorder.adapters),
    repeat: REPEAT,
    sizes: SIZES,
    startupMs: Math.round(startupMs),
    setupMs: Math.round(setupMs),
    ordersPlacedForSetup: orderCount,
    calibration,
    registered,
    skippedOperations: skipped,
    scaling,
  });
  await stop("done", 0);
} catch (error) {
  if (!stopping) say({ type: "error", message: String((error as Error)?.stack ?? error) });
  await stop("failed", 1);
}
