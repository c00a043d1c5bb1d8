/**
 * The whole platform (seven subgraphs + router, one process) on throwaway
 * PostgreSQL databases, for the benchmarks in bench/flow.mjs and bench/sql.mjs.
 * The same start-up as the end-to-end tests (apps/platform/test/harness.ts),
 * plus a cleanup that still drops the databases and the NATS streams when
 * `platform.stop()` fails or hangs.
 */
import { streamNames } from "@store/events";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { createLogger, silentLogger, type Logger } from "@store/kit";
import { startPlatform, type Platform, type StartPlatformOptions } from "@store/platform";
import { createTestDatabase } from "@store/testing";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The parent's secrets when it passes them (its gateways must sign alike), else fresh ones. */
export const BENCH_SECRETS = {
  routerSigningSecret: process.env.ROUTER_SIGNING_SECRET ?? randomBytes(32).toString("hex"),
  jwtSecret: process.env.JWT_SECRET ?? randomBytes(32).toString("hex"),
};

export type BenchEvents = { kind: "in-process" } | { kind: "nats"; url: string; namespace: string; partitions?: number };

export interface BenchPlatformOptions {
  events: BenchEvents;
  /** Connections per subgraph database pool. @default 10 (the services' own default) */
  poolSize?: number;
  /** BENCH_LOG_LEVEL=warn shows what the services log. */
  logLevel?: string;
  routerEnv?: Record<string, string>;
  /** Settings every service gets over the defaults (e.g. longer database timeouts on a busy machine). */
  serviceConfig?: StartPlatformOptions["serviceConfig"];
}

export interface BenchPlatform {
  platform: Platform;
  databaseNames: Record<string, string>;
  /** Stops the platform, drops every database it created, deletes its NATS streams. Idempotent; never throws. */
  cleanup(): Promise<string[]>;
  /** How long platform.stop() took (after cleanup). */
  stopMs(): number | undefined;
}

export const natsStreams = (namespace: string) => Object.values(streamNames(namespace));

export async function deleteNatsStreams(url: string, namespace: string): Promise<string[]> {
  const deleted: string[] = [];
  const nc = await connect({ servers: url, timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc);
    for (const stream of natsStreams(namespace)) if (await jsm.streams.delete(stream).catch(() => false)) deleted.push(stream);
  } finally {
    await nc.close();
  }
  return deleted;
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms).unref())]);

export async function startBenchPlatform(options: BenchPlatformOptions): Promise<BenchPlatform> {
  const logger: Logger = options.logLevel ? createLogger({ name: "bench", level: options.logLevel as "warn" }) : silentLogger;
  const created: { name: string; url: string; drop: () => Promise<void> }[] = [];
  const dropAll = async () => {
    const problems: string[] = [];
    for (const db of created) await db.drop().catch((error: unknown) => problems.push(`drop ${db.name}: ${String(error)}`));
    return problems;
  };
  let platform: Platform;
  try {
    platform = await startPlatform({
      database: async (service) => {
        const db = await createTestDatabase({ prismaDir: service.prismaDir, label: `bench_${service.name}` });
        if (db.kind !== "postgres") {
          await db.drop();
          throw new Error("PostgreSQL at 127.0.0.1:5432 is not reachable: the benchmark runs on real PostgreSQL only");
        }
        const entry = { name: new URL(db.url).pathname.slice(1), url: db.url, drop: db.drop };
        created.push(entry);
        return { url: db.url, close: db.drop };
      },
      ports: "ephemeral",
      secrets: BENCH_SECRETS,
      seed: true,
      supergraphPath: `${ROOT}supergraph.graphql`,
      logger,
      poolSize: options.poolSize ?? 10,
      serviceConfig: options.serviceConfig,
      routerEnv: { SUBGRAPH_TIMEOUT_MS: "15000", LOG_LEVEL: "warn", ...options.routerEnv },
      events: options.events.kind === "nats" ? { kind: "nats", url: options.events.url, namespace: options.events.namespace, partitions: options.events.partitions } : { kind: "in-process" },
    });
  } catch (error) {
    // startPlatform drops what it created when it fails; this is belt and braces.
    await dropAll();
    if (options.events.kind === "nats") await deleteNatsStreams(options.events.url, options.events.namespace).catch(() => {});
    throw error;
  }
  let done: Promise<string[]> | undefined;
  let stopMs: number | undefined;
  const cleanup = () =>
    (done ??= (async () => {
      const problems: string[] = [];
      const started = performance.now();
      await withTimeout(platform.stop(), 30_000, "platform.stop()").catch((error: unknown) => problems.push(String(error)));
      stopMs = Math.round(performance.now() - started);
      // platform.stop() drops each database (close = drop); dropping again is a no-op, and covers a stop that failed.
      problems.push(...(await dropAll()));
      if (options.events.kind === "nats") {
        await deleteNatsStreams(options.events.url, options.events.namespace).catch((error: unknown) => problems.push(`nats: ${String(error)}`));
      }
      return problems;
    })());
  return {
    platform,
    databaseNames: Object.fromEntries(Object.entries(platform.databaseUrls).map(([name, url]) => [name, new URL(url).pathname.slice(1)])),
    cleanup,
    stopMs: () => stopMs,
  };
}
