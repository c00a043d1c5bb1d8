/**
 * The platform as a child process for bench/flow.mjs:
 *   node --import tsx bench/platform/serve.ts
 * Env: BENCH_EVENTS (nats | in-process, default nats), BENCH_NATS_URL, BENCH_NAMESPACE, BENCH_EVENTS_PARTITIONS,
 * BENCH_POOL_SIZE, BENCH_LOG_LEVEL; TEST_RUN_ID names the databases (test_<run>_bench_<service>_<hex>);
 * BENCH_COUNT_FETCHES=1 counts the requests each subgraph serves (bench/lib/fetchCounter.mjs) and
 * adds `statsUrl` to the ready line.
 *
 * Protocol on stdout: one JSON line `{"bench":"ready",...}` once the router answers, then
 * `{"bench":"stopped","problems":[...]}` after cleanup. It stops (platform, databases,
 * NATS streams) on SIGTERM, SIGINT, or when stdin closes (the parent went away).
 */
import { DEMO_ADMIN_PASSWORD, demoProducts, demoUsers } from "@store/demo-data";
import { startBenchPlatform, type BenchEvents, type BenchPlatform } from "./platform.ts";
import { countSubgraphFetches } from "../lib/fetchCounter.mjs";

const say = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: message.type, ...message })}\n`);

const events: BenchEvents =
  (process.env.BENCH_EVENTS ?? "nats") === "nats"
    ? {
        kind: "nats",
        url: process.env.BENCH_NATS_URL ?? "nats://127.0.0.1:4222",
        namespace: process.env.BENCH_NAMESPACE ?? `bench${process.pid}.`,
        ...(process.env.BENCH_EVENTS_PARTITIONS ? { partitions: Number(process.env.BENCH_EVENTS_PARTITIONS) } : {}),
      }
    : { kind: "in-process" };

let bench: BenchPlatform | undefined;
let starting: Promise<BenchPlatform> | undefined;
let stopping = false;
async function stop(reason: string, code = 0) {
  if (stopping) return;
  stopping = true;
  say({ type: "stopping", reason });
  // Asked to stop while starting: let the start finish (or fail, dropping what it made), then clean up.
  const running = bench ?? (await starting?.catch(() => undefined));
  const problems = running ? await running.cleanup() : [];
  say({ type: "stopped", platformStopMs: bench?.stopMs(), problems });
  process.exit(problems.length ? 1 : code);
}
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
process.stdin.on("end", () => void stop("stdin closed"));
process.stdin.on("close", () => void stop("stdin closed"));
process.stdin.resume();

try {
  const started = performance.now();
  starting = startBenchPlatform({
    events,
    poolSize: process.env.BENCH_POOL_SIZE ? Number(process.env.BENCH_POOL_SIZE) : undefined,
    logLevel: process.env.BENCH_LOG_LEVEL,
  });
  bench = await starting;
  // A signal during the start: stop() is cleaning up and will exit.
  if (stopping) await new Promise(() => {});
  const { platform } = bench;
  let statsUrl: string | undefined;
  if (process.env.BENCH_COUNT_FETCHES === "1") {
    // Subgraph servers only: the platform's own router listens here too.
    const subgraphOfPort = new Map(Object.entries(platform.subgraphUrls).map(([name, url]) => [Number(new URL(url).port), name]));
    statsUrl = await countSubgraphFetches((port: number | undefined) => (port === undefined ? undefined : subgraphOfPort.get(port))).listen();
  }
  say({
    type: "ready",
    startupMs: Math.round(performance.now() - started),
    routerUrl: platform.routerUrl,
    subgraphUrls: platform.subgraphUrls,
    statsUrl,
    databaseNames: bench.databaseNames,
    events,
    poolSize: process.env.BENCH_POOL_SIZE ? Number(process.env.BENCH_POOL_SIZE) : 10,
    admin: { email: demoUsers.find((u) => u.role === "ADMIN")!.email, password: DEMO_ADMIN_PASSWORD },
    products: demoProducts.map((p) => ({ id: p.id, sku: p.sku, stock: p.stock, priceCents: p.priceCents })),
  });
} catch (error) {
  if (!stopping) say({ type: "error", message: String((error as Error)?.stack ?? error) });
  await stop("start-up failed", 1);
}
