/**
 * `npm start`: the whole platform in one process on an embedded PGlite
 * database under ./.data/postgres, a schema per service (created, migrated
 * and seeded on first start, kept across restarts). `npm run reset` wipes the
 * data folder.
 * Environment: DATA_DIR (default .data), LOG_LEVEL (default warn), PORT
 * (default 4000, the subgraphs on 4001-4007; 0: every server on a free port).
 *
 * Start-up is ordered for speed: the database opens first, in a worker
 * thread (a new one is a copy of the store's seeded template, or of PGlite's
 * initdb template, both made once per install), and it starts on the other
 * core while this thread loads the services. `--prepare` makes those
 * templates and exits (the postinstall runs it).
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
import { embeddedClusterDir, ensurePgliteTemplate, findSeededTemplate, makeSeededTemplate, openEmbeddedDatabase, serviceNames } from "@store/platform/embedded";

const { values } = parseArgs({ options: { "reset-only": { type: "boolean", default: false }, prepare: { type: "boolean", default: false } } });
const dataDir = resolve(process.env.DATA_DIR ?? ".data");
const started = performance.now();
const seconds = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

if (values["reset-only"]) {
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`Removed ${dataDir}`);
  process.exit(0);
}

/** `--prepare` (the postinstall): the templates and the storefront's build, then exit. */
async function prepare(): Promise<void> {
  const template = await ensurePgliteTemplate();
  console.log(template.created ? `Made the embedded PostgreSQL template in ${template.dir} (${seconds()})` : `The embedded PostgreSQL template is ready in ${template.dir}`);
  // The store's migrated and seeded copy of it: every service's schema, two services at a time.
  const [{ createLogger, migrateDeploy }, { allServices }, { seedService }] = await Promise.all([import("@store/kit"), import("@store/platform"), import("./lib/seedService.ts")]);
  const logger = createLogger({ name: "prepare", level: "warn" });
  const made = await makeSeededTemplate(serviceNames, template.dir, async (database) => {
    const queue = [...allServices];
    const lane = async () => {
      for (let definition = queue.shift(); definition; definition = queue.shift()) {
        const url = database.urlFor(definition.name);
        await migrateDeploy(definition.prismaDir, url);
        await seedService(definition, url, logger);
      }
    };
    await Promise.all([lane(), lane()]);
  });
  if (made.created) console.log(`Made the store's migrated and seeded database template (${seconds()})`);
  const storefront = await (await import("../apps/storefront/serve.ts")).ensureStorefrontBuild();
  if (storefront.built) console.log(`Built the storefront (${storefront.reason === "missing" ? "new" : "changed since the last build"}) (${seconds()})`);
  process.exit(0);
}

/** The platform, until Ctrl-C. */
async function start(): Promise<void> {
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
  const earlier = serviceNames.filter((name) => existsSync(join(dataDir, name, "PG_VERSION")));
  if (earlier.length > 0) {
    console.log(`  (${earlier.join("/, ")}/ in ${dataDir}: databases of an earlier version, one per service, no longer used; \`npm run reset\` removes them)`);
  }
  // One database, a schema per service. A new one copies the store's seeded
  // template if the install made a current one (seededTemplates.ts); otherwise
  // PGlite's initdb template, to be migrated and seeded here. The marker says
  // the seed ran to its end, so a start cut short during it seeds again.
  const clusterDir = embeddedClusterDir(dataDir);
  const seededMarker = join(dataDir, "postgres.seeded");
  const isNew = !existsSync(join(clusterDir, "PG_VERSION"));
  const seededTemplate = isNew ? findSeededTemplate(serviceNames) : undefined;
  if (isNew) rmSync(seededMarker, { force: true });
  const opening = openEmbeddedDatabase(clusterDir, seededTemplate ?? template.dir);
  const origin = !isNew ? "" : seededTemplate ? ", new: a copy of the seeded template" : ", new: to be migrated and seeded";
  void opening.then((db) => db.opened).then((ms) => progress("postgres", "database", `opened in ${(ms / 1000).toFixed(1)} s${origin}`), () => {});
  const needsSeed = !seededTemplate && !existsSync(seededMarker);

  // Loaded while the database starts on the other core.
  const [{ createLogger, createSpanStore, migrateDeploy, onShutdown }, { startPlatform }] = await Promise.all([import("@store/kit"), import("@store/platform")]);
  progress("services", "loaded");
  const logger = createLogger({ name: "platform", level: (process.env.LOG_LEVEL as "warn" | undefined) ?? "warn" });
  const platform = await startPlatform({
    // Each service in its schema of the one database, which closes after the
    // platform stopped. It listens at once: the services are built while
    // PostgreSQL starts, and migrated (over connections that wait for it) meanwhile.
    database: async (service) => {
      const url = (await opening).urlFor(service.name);
      return { url, ready: migrateDeploy(service.prismaDir, url), close: async () => {} };
    },
    ports: port === "0" ? "ephemeral" : "default",
    secrets: loadSecrets(),
    // A copy of the seeded template needs none; a start after one that seeded to its end neither.
    seed: needsSeed,
    supergraphPath: resolve("supergraph.graphql"),
    logger,
    poolSize: 5,
    // The services share one PGlite, which serves one transaction at a time:
    // on a busy machine a seed or a checkout may wait longer than a real server
    // would make it (5 s). One instance of each, woken in process after every
    // commit: no LISTEN connection (PGlite is one session).
    serviceConfig: { DATABASE_POOL_TIMEOUT_MS: 60_000, DATABASE_TRANSACTION_WAIT_MS: 60_000, DATABASE_TRANSACTION_TIMEOUT_MS: 60_000, OUTBOX_LISTEN: false },
    // Recent spans of every service stay in memory for the status page; with
    // OTEL_EXPORTER_OTLP_ENDPOINT set they also go to that collector.
    tracing: { store: createSpanStore() },
    onServiceListening: (name, url) => progress(name, "serving", url),
  }).catch(async (error: unknown) => {
    // The database closes here, so the process can end.
    await opening.then((db) => db.close(), () => {});
    throw error;
  });
  if (!existsSync(seededMarker)) writeFileSync(seededMarker, `${new Date().toISOString()}\n`);
  let storefront: Awaited<ReturnType<typeof serveStorefront>>;
  // Stopped in reverse: the storefront (and the sockets it proxies) first, then the platform, the database last.
  onShutdown([async () => (await opening).close(), () => platform.stop(), async () => storefront?.close()], { logger });
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
  // The code that started the platform has run: the bundle's loader keeps V8's code cache of it now (lib/bundle.mjs).
  process.emit("store-platform:started" as never);
}

// A script, yet no top-level await: the bundle it runs from is CommonJS, for V8's code cache (lib/bundle.mjs).
(values.prepare ? prepare() : start()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
