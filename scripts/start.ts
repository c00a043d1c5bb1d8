/**
 * `npm start`: the whole platform in one process on embedded PGlite databases
 * under ./.data (created, migrated and seeded on first start, kept across
 * restarts). `npm run reset` wipes the data folder.
 * Environment: DATA_DIR (default .data), LOG_LEVEL (default warn), PORT
 * (default 4000, the subgraphs on 4001-4007; 0: every server on a free port).
 *
 * Start-up is ordered for speed: the seven databases open first, each in a
 * worker thread of its own (a new one is a copy of PGlite's initdb template,
 * made once per install), and they start on the other core while this
 * thread loads the services. `--prepare` makes that template and exits (the
 * postinstall runs it).
 *
 * The storefront (apps/storefront) is served on port 3000 beside the router,
 * /graphql proxied to it. `--prepare` builds it, so a start only checks that
 * dist/ is newer than its sources (milliseconds) and builds it again (a few
 * seconds, beside the databases opening) only after an edit.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensurePgliteTemplate, findSeededTemplate, makeSeededTemplate, openEmbeddedDatabases, serviceNames } from "@store/platform/embedded";

const { values } = parseArgs({ options: { "reset-only": { type: "boolean", default: false }, prepare: { type: "boolean", default: false } } });
const dataDir = resolve(process.env.DATA_DIR ?? ".data");
const started = performance.now();
const seconds = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

if (values["reset-only"]) {
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`Removed ${dataDir}`);
  process.exit(0);
}

if (values.prepare) {
  const template = await ensurePgliteTemplate();
  console.log(template.created ? `Made the embedded PostgreSQL template in ${template.dir} (${seconds()})` : `The embedded PostgreSQL template is ready in ${template.dir}`);
  // Each service's migrated and seeded copy of it, two at a time.
  const [{ createLogger, migrateDeploy }, { allServices }, { seedService }] = await Promise.all([import("@store/kit"), import("@store/platform"), import("./lib/seedService.ts")]);
  const logger = createLogger({ name: "prepare", level: "warn" });
  const queue = [...allServices];
  const lane = async () => {
    for (let definition = queue.shift(); definition; definition = queue.shift()) {
      const made = await makeSeededTemplate(definition.name, template.dir, async (url) => {
        await migrateDeploy(definition.prismaDir, url);
        await seedService(definition, url, logger);
      });
      if (made.created) console.log(`Made ${definition.name}'s migrated and seeded database template (${seconds()})`);
    }
  };
  await Promise.all([lane(), lane()]);
  const storefront = await (await import("../apps/storefront/serve.ts")).ensureStorefrontBuild();
  if (storefront.built) console.log(`Built the storefront (${storefront.reason === "missing" ? "new" : "changed since the last build"}) (${seconds()})`);
  process.exit(0);
}

const port = process.env.PORT ?? "4000";
if (port !== "4000" && port !== "0") {
  process.stderr.write(`PORT: ${port} is not 4000 (the router on 4000, the subgraphs on 4001-4007) or 0 (every server on a free port)\n`);
  process.exit(78);
}

// Made by the install (postinstall); here only after an install without scripts.
const template = await ensurePgliteTemplate();

// The storefront's build, current after the install: rebuilt here only after an edit, in a child process beside the start.
const storefrontServing = import("../apps/storefront/serve.ts");
const storefrontBuilt = storefrontServing.then(({ ensureStorefrontBuild }) => ensureStorefrontBuild());
storefrontBuilt.catch(() => {});

/** Secrets made on first start and kept with the data, so tokens survive a restart. */
function loadSecrets(): { routerSigningSecret: string; jwtSecret: string } {
  const file = join(dataDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as { routerSigningSecret: string; jwtSecret: string };
  const secrets = { routerSigningSecret: randomBytes(32).toString("base64url"), jwtSecret: randomBytes(32).toString("base64url") };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

const progress = (name: string, step: string, detail = "") => console.log(`  ${name.padEnd(10)} ${step.padEnd(10)} ${seconds().padStart(7)}  ${detail}`.trimEnd());

console.log(`Starting the store platform (data in ${dataDir}) ...`);
if (template.created) progress("postgres", "template", "made once per install (PGlite's initdb)");
// A new database copies its service's seeded template, if the install made a
// current one (seededTemplates.ts); otherwise PGlite's initdb template, to be
// migrated and seeded here.
const seeded = new Map<string, string | undefined>(serviceNames.filter((name) => !existsSync(join(dataDir, name, "PG_VERSION"))).map((name) => [name, findSeededTemplate(name)]));
const databases = openEmbeddedDatabases(
  serviceNames.map((name) => ({ name, dataDir: join(dataDir, name), template: seeded.get(name) })),
  template.dir,
);
const origin = (name: string) => (!seeded.has(name) ? "" : seeded.get(name) ? ", new: a copy of its seeded template" : ", new: to be migrated and seeded");
for (const [name, opening] of databases) opening.then((db) => progress(name, "database", `opened in ${(db.openMs / 1000).toFixed(1)} s${origin(name)}`), () => {});

// Loaded while the databases start on the other core.
const [{ createLogger, createSpanStore, migrateDeploy, onShutdown }, { startPlatform }] = await Promise.all([import("@store/kit"), import("@store/platform")]);
progress("services", "loaded");
const logger = createLogger({ name: "platform", level: (process.env.LOG_LEVEL as "warn" | undefined) ?? "warn" });
const platform = await startPlatform({
  database: async (service) => {
    const database = await databases.get(service.name)!;
    try {
      await migrateDeploy(service.prismaDir, database.url);
    } catch (error) {
      await database.close();
      throw error;
    }
    return database;
  },
  ports: port === "0" ? "ephemeral" : "default",
  secrets: loadSecrets(),
  // Seeding is idempotent: a restart seeds again and changes nothing; a copy of a seeded template needs none.
  seed: (name) => seeded.get(name) === undefined,
  supergraphPath: resolve("supergraph.graphql"),
  logger,
  poolSize: 5,
  // Seven PGlite databases and every service share this machine's cores, and
  // each PGlite serves one transaction at a time: on a busy machine a seed or
  // a checkout may wait longer than a real server would make it (5 s).
  // One instance of each, woken in process after every commit: no LISTEN connection (PGlite is one session).
  serviceConfig: { DATABASE_POOL_TIMEOUT_MS: 60_000, DATABASE_TRANSACTION_WAIT_MS: 60_000, DATABASE_TRANSACTION_TIMEOUT_MS: 60_000, OUTBOX_LISTEN: false },
  // Recent spans of every service stay in memory for the status page; with
  // OTEL_EXPORTER_OTLP_ENDPOINT set they also go to that collector.
  tracing: { store: createSpanStore() },
  onServiceListening: (name, url) => progress(name, "serving", url),
}).catch(async (error: unknown) => {
  // Databases that never reached the platform close here, so the process can end.
  await Promise.all([...databases.values()].map((opening) => opening.then((db) => db.close(), () => {})));
  throw error;
});
let storefront: Awaited<ReturnType<typeof serveStorefront>>;
// Stopped in reverse: the storefront (and the sockets it proxies) first, then the platform.
onShutdown([() => platform.stop(), async () => storefront?.close()], { logger });
progress("router", "serving", platform.routerUrl);

/** The storefront on port 3000 (a free one with PORT=0); the platform serves without it if it cannot. */
async function serveStorefront(routerUrl: string) {
  try {
    const built = await storefrontBuilt;
    if (built.built) progress("storefront", "built", built.reason === "missing" ? "first build" : "sources changed since the last build");
    const { startStorefront } = await storefrontServing;
    const storefront = await startStorefront({ port: port === "0" ? 0 : 3000, routerUrl });
    progress("storefront", "serving", storefront.url);
    return storefront;
  } catch (error) {
    console.warn(`  storefront not served: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    return undefined;
  }
}
storefront = await serveStorefront(platform.routerUrl);

const base = platform.routerUrl.replace("/graphql", "");
console.log(
  [
    "",
    `Ready in ${seconds()}.`,
    "",
    ...(storefront ? [`  Storefront                   ${storefront.url}`] : []),
    `  Router (GraphQL + GraphiQL)  ${platform.routerUrl}`,
    `  Status ${base}/status   Health ${base}/health   Metrics ${base}/metrics`,
    "",
    "Demo logins: ada@example.com / storefront-demo-1 (customer), admin@example.com / backoffice-demo-1 (admin).",
    "Press Ctrl-C to stop.",
  ].join("\n"),
);
