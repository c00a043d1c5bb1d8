/**
 * Child of bench/subscriptions.mjs: the seven subgraphs on throwaway PostgreSQL
 * databases and NATS JetStream (a namespace of their own), seeded with demo data.
 *
 * startPlatform always builds a router too; it listens on an ephemeral port and
 * is never used (the bench runs its router as a separate process, so that its
 * RSS and CPU are measured alone).
 *
 * Env: BENCH_NATS_URL, BENCH_NAMESPACE, ROUTER_SIGNING_SECRET, JWT_SECRET,
 * BENCH_PRODUCTS (how many demo products to hand back), TEST_RUN_ID (names the
 * databases, so that the parent can drop leftovers by prefix).
 *
 * Prints one line `READY <json>` on stdout. A line `STOP` on stdin (or stdin
 * closing: the parent is gone) stops everything and drops the databases, then
 * prints `STOPPED`. SIGTERM/SIGINT do the same, but see the note in stop().
 */
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Role, createLogger, issueAccessToken } from "@store/kit";
import { demoProducts } from "@store/demo-data";
import { streamNames } from "@store/events";
import { startPlatform, type Platform } from "@store/platform";
import { createTestDatabase } from "@store/testing";

const root = fileURLToPath(new URL("../..", import.meta.url));
const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const secrets = { routerSigningSecret: env("ROUTER_SIGNING_SECRET"), jwtSecret: env("JWT_SECRET") };
const logger = createLogger({ name: "bench-subgraphs", level: (process.env.BENCH_SUBGRAPH_LOG_LEVEL ?? "warn") as "warn" });

let platform: Platform | undefined;
let stopping: Promise<void> | undefined;
const withTimeout = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
const stop = (code: number) =>
  (stopping ??= (async () => {
    // A second platform.stop() is a guard. On SIGTERM/SIGINT (NODE_ENV != "test"),
    // every ApolloServer (router and subgraphs) also stops itself from its own
    // signal handler (stopOnTerminationSignals), and @apollo/server 5.5.1 never
    // resolves the barrier a concurrent stop() waits on when the first stop
    // succeeds: the in-process router's stop() then hangs. The parent therefore
    // asks with `STOP` on stdin; the parent also drops the databases by prefix.
    for (let attempt = 1; attempt <= 2 && platform; attempt++) {
      const done = await withTimeout(
        platform.stop().catch((error: unknown) => process.stderr.write(`subgraphs: stop failed: ${String(error)}\n`)),
        10_000,
      );
      if (done) break;
      process.stderr.write(`subgraphs: platform.stop() did not finish within 10 s (attempt ${attempt})\n`);
    }
    // The streams of this namespace too (the parent does the same; this covers a parent that was killed).
    await withTimeout(
      (async () => {
        const nc = await connect({ servers: env("BENCH_NATS_URL") });
        const jsm = await jetstreamManager(nc);
        for (const stream of Object.values(streamNames(env("BENCH_NAMESPACE")))) await jsm.streams.delete(stream).catch(() => {});
        await nc.close();
      })().catch(() => {}),
      5_000,
    );
    process.stdout.write("STOPPED\n");
    process.exit(code);
  })());
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
// The parent going away must not leave services (and databases) behind.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && void stop(1), 1000).unref();
process.stdout.on("error", () => void stop(1));
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => chunk.includes("STOP") && void stop(0));
process.stdin.on("end", () => void stop(1));

try {
  platform = await startPlatform({
    database: async (service) => {
      const db = await createTestDatabase({ prismaDir: service.prismaDir, label: `bench_${service.name}` });
      if (db.kind !== "postgres") {
        await db.drop();
        throw new Error("PostgreSQL at 127.0.0.1:5432 is required (createTestDatabase fell back to PGlite)");
      }
      return { url: db.url, close: db.drop };
    },
    ports: "ephemeral",
    secrets,
    seed: true,
    supergraphPath: `${root}supergraph.graphql`,
    logger,
    poolSize: 5,
    events: { kind: "nats", url: env("BENCH_NATS_URL"), namespace: env("BENCH_NAMESPACE") },
  });
  const products = Number(process.env.BENCH_PRODUCTS ?? 20);
  const { accessToken } = await issueAccessToken(secrets.jwtSecret, { userId: "00000000-0000-4000-8000-00000000bec4", roles: [Role.Admin] }, 3 * 3600);
  const ready = {
    pid: process.pid,
    subgraphUrls: platform.subgraphUrls,
    unusedRouterUrl: platform.routerUrl,
    adminToken: accessToken,
    productIds: demoProducts.slice(0, products).map((p) => p.id),
  };
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
} catch (error) {
  process.stderr.write(`subgraphs: start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await stop(1);
}
