/**
 * Our seven subgraphs on real PostgreSQL, for the throughput benchmark:
 *   node --import tsx bench/subgraphs/platform.ts
 * Env: ROUTER_SIGNING_SECRET, JWT_SECRET (the gateways' secrets), TEST_RUN_ID.
 * Each service gets a fresh, migrated, seeded test database (dropped on exit).
 * Prints one line `{"urls":{name:url}}` once every subgraph listens; stops
 * (subgraphs, databases) on SIGTERM or SIGINT. startPlatform also starts an
 * in-process router here; the benchmark does not use it.
 */
import { createTestDatabase } from "@store/testing";
import { silentLogger } from "@store/kit";
import { startPlatform, type Platform } from "@store/platform";

const drops: (() => Promise<void>)[] = [];
let platform: Platform | undefined;
let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  // Bounded: the databases are dropped (forcibly) even if a service hangs on its way down.
  await Promise.race([platform?.stop().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  for (const drop of drops) await drop().catch((error: unknown) => process.stderr.write(`drop failed: ${String(error)}\n`));
  process.exit(code);
}
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));

try {
  platform = await startPlatform({
    database: async (service) => {
      const db = await createTestDatabase({ prismaDir: service.prismaDir, label: `bench_${service.name}` });
      drops.push(db.drop);
      if (db.kind !== "postgres") throw new Error("PostgreSQL at 127.0.0.1:5432 is not reachable: this subgraph set runs on real PostgreSQL only");
      return { url: db.url, close: db.drop };
    },
    ports: "ephemeral",
    secrets: { routerSigningSecret: process.env.ROUTER_SIGNING_SECRET ?? "", jwtSecret: process.env.JWT_SECRET ?? "" },
    seed: true,
    supergraphPath: new URL("../../supergraph.graphql", import.meta.url).pathname,
    logger: silentLogger,
    poolSize: 10,
    events: { kind: "in-process" },
  });
  process.stdout.write(`${JSON.stringify({ urls: platform.subgraphUrls })}\n`);
} catch (error) {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  await stop(1);
}
