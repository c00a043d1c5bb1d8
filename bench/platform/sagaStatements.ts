/**
 * SQL statements per order in the saga, by service and statement:
 *   node --import tsx bench/platform/sagaStatements.ts [orders]
 * The platform on real PostgreSQL and NATS (bench/platform/platform.ts), the
 * recorder of bench/platform/sqlRecorder.ts; N orders by the demo customer,
 * each waited to PAID (read from orders' database, not through the router),
 * then the count per order: placeOrder's own statements ("req") and the
 * saga's ("bg": consumers and relays). The relays' idle polling (measured
 * before, per second) is shown apart.
 */
import { readFileSync } from "node:fs";
import pg from "pg";
import { DEMO_CUSTOMER_PASSWORD, demoProducts, demoUsers } from "@store/demo-data";
import { startBenchPlatform, ROOT } from "./platform.ts";
import { installSqlRecorder } from "./sqlRecorder.ts";

const orderCount = Number(process.argv[2] ?? 20);
const recorder = installSqlRecorder();
const bench = await startBenchPlatform({
  events: { kind: "nats", url: "nats://127.0.0.1:4222", namespace: `sagasql${process.pid}.` },
  // Counting, not timing: a busy machine must not fail the seed.
  serviceConfig: { DATABASE_TRANSACTION_TIMEOUT_MS: 60_000, DATABASE_TRANSACTION_WAIT_MS: 60_000 },
});
const op = (path: string) => readFileSync(`${ROOT}operations/${path}.graphql`, "utf8");
const call = async (query: string, variables: object, token?: string) => {
  const response = await fetch(bench.platform.routerUrl, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
};
const orders = new pg.Client({ connectionString: bench.platform.databaseUrls.orders!.replace(/[?&]connection_limit=\d+/, "") });
await orders.connect();
try {
  const customer = demoUsers.find((u) => u.role !== "ADMIN")!;
  const token = (await call(op("storefront/SignIn"), { input: { email: customer.email, password: DEMO_CUSTOMER_PASSWORD } })).signIn.accessToken as string;
  const product = demoProducts.filter((p) => p.stock >= 100)[0] ?? demoProducts[0]!;
  const placeAndWait = async () => {
    const id = (await call(op("storefront/PlaceOrder"), { input: { lines: [{ productId: product.id, quantity: 1 }], paymentToken: "tok_visa" } }, token)).placeOrder.id as string;
    for (;;) {
      // Straight from orders' database: asking the router would add its own statements to the count.
      const { rows } = await orders.query<{ status: string }>(`SELECT "status"::text AS status FROM "Order" WHERE "id" = $1::uuid`, [id]);
      const status = rows[0]?.status;
      if (status === "PAID") return;
      if (status === "CANCELLED") throw new Error(`order ${id} was cancelled`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  for (let i = 0; i < 3; i++) await placeAndWait();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  recorder.reset();
  const idleStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const idlePerSecond = recorder.statements.length / ((performance.now() - idleStart) / 1000);
  recorder.reset();
  const started = performance.now();
  for (let i = 0; i < orderCount; i++) await placeAndWait();
  // Let the last events' consumers and relays finish.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const seconds = (performance.now() - started) / 1000;
  const all = recorder.statements;
  const background = idlePerSecond * seconds;
  const byDb = new Map<string, number>();
  const bySql = new Map<string, number>();
  for (const s of all) {
    const service = Object.entries(bench.databaseNames).find(([, name]) => name === s.database)?.[0] ?? s.database;
    byDb.set(service, (byDb.get(service) ?? 0) + 1);
    const key = `${service.padEnd(9)} ${s.port === null ? "bg " : "req"} ${s.sql.replace(/\s+/g, " ").slice(0, 110)}`;
    bySql.set(key, (bySql.get(key) ?? 0) + 1);
  }
  const requestStatements = all.filter((st) => st.port !== null).length;
  console.log(`placeOrder ${(requestStatements / orderCount).toFixed(1)} per order; the saga (consumers and relays) ${((all.length - requestStatements) / orderCount).toFixed(1)} per order, of which idle polling ~${(background / orderCount).toFixed(1)}`);
  console.log(`${orderCount} orders in ${seconds.toFixed(1)} s; ${all.length} statements, ${(all.length / orderCount).toFixed(1)} per order; idle polling ${idlePerSecond.toFixed(1)}/s (~${(background / orderCount).toFixed(1)} per order of the above)`);
  for (const [db, n] of [...byDb].sort((a, b) => b[1] - a[1])) console.log(`  ${db.padEnd(10)} ${(n / orderCount).toFixed(1)}`);
  console.log("by statement (per order):");
  for (const [sql, n] of [...bySql].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(`  ${(n / orderCount).toFixed(2).padStart(6)}  ${sql}`);
} finally {
  await orders.end();
  const problems = await bench.cleanup();
  if (problems.length) console.error(problems);
  process.exit(0);
}
