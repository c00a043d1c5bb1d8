/**
 * `npm start`: the whole platform in one process on embedded PGlite databases
 * under ./.data (created, migrated and seeded on first start, kept across
 * restarts). `npm run reset` wipes the data folder.
 * Environment: DATA_DIR (default .data), LOG_LEVEL (default warn).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createLogger, createSpanStore, onShutdown } from "@store/kit";
import { startEmbeddedDatabase, startPlatform, type PlatformSecrets } from "@store/platform";

const { values } = parseArgs({ options: { "reset-only": { type: "boolean", default: false } } });
const dataDir = resolve(process.env.DATA_DIR ?? ".data");

if (values["reset-only"]) {
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`Removed ${dataDir}`);
  process.exit(0);
}

/** Secrets made on first start and kept with the data, so tokens survive a restart. */
function loadSecrets(): PlatformSecrets {
  const file = join(dataDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as PlatformSecrets;
  const secrets = { routerSigningSecret: randomBytes(32).toString("base64url"), jwtSecret: randomBytes(32).toString("base64url") };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

const logger = createLogger({ name: "platform", level: (process.env.LOG_LEVEL as "warn" | undefined) ?? "warn" });
const started = Date.now();
console.log(`Starting the store platform (data in ${dataDir}) ...`);
const platform = await startPlatform({
  database: (service) => startEmbeddedDatabase(join(dataDir, service.name), service.prismaDir),
  ports: "default",
  secrets: loadSecrets(),
  seed: true,
  supergraphPath: resolve("supergraph.graphql"),
  logger,
  poolSize: 5,
  // Recent spans of every service stay in memory for the status page; with
  // OTEL_EXPORTER_OTLP_ENDPOINT set they also go to that collector.
  tracing: { store: createSpanStore() },
});
onShutdown([() => platform.stop()], { logger });

const lines = [
  "",
  `Ready in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
  "",
  `  Router (GraphQL + GraphiQL)  ${platform.routerUrl}`,
  ...Object.entries(platform.subgraphUrls).map(([name, url]) => `  ${name.padEnd(28)} ${url}`),
  "",
  `  Status ${platform.routerUrl.replace("/graphql", "/status")}   Health ${platform.routerUrl.replace("/graphql", "/health")}   Metrics ${platform.routerUrl.replace("/graphql", "/metrics")}`,
  "",
  "Demo logins: ada@example.com / storefront-demo-1 (customer), admin@example.com / backoffice-demo-1 (admin).",
  "Press Ctrl-C to stop.",
];
console.log(lines.join("\n"));
