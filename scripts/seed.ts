/**
 * `npm run seed -- <name>|all`: inserts the demo data (@store/demo-data) into
 * each service's database with the service's own seed, the one `npm start`
 * runs: rows that exist are left as they are, so seeding again changes nothing
 * and real rows are never overwritten. Needs neither NATS nor the other
 * services: each service is built on an in-process bus, never listens, and
 * its outbox relay never starts.
 */
import { randomBytes } from "node:crypto";
import { Registry } from "prom-client";
import { createInProcessBus } from "@store/events";
import { createLogger, type SubgraphConfig } from "@store/kit";
import { CliError, EXIT, runCli } from "./lib/cli.ts";
import { databaseUrlsOf, redactUrl } from "./lib/databases.ts";
import { loadService, selectServices, serviceNames } from "./lib/services.ts";

await runCli("seed", async () => {
  const args = process.argv.slice(2);
  const services = args.length === 1 ? selectServices(args[0]) : undefined;
  if (!services) throw new CliError(`usage: npm run seed -- <${serviceNames.join("|")}|all>`, EXIT.USAGE);
  const { urls, ignoredDatabaseUrl } = databaseUrlsOf(services, process.env);
  if (ignoredDatabaseUrl) process.stderr.write("seed: DATABASE_URL is ignored for all: each service's database is on DATABASE_SERVER_URL\n");
  const logger = createLogger({ name: "seed", level: "warn" });
  // Nothing is served and no token is signed, yet building a service wants its secrets: throwaway ones.
  const unused = randomBytes(32).toString("base64url");
  for (const [name, url] of urls) {
    const service = await loadService(name);
    const config: SubgraphConfig = { PORT: 0, HOST: "127.0.0.1", DATABASE_URL: url, DATABASE_POOL_SIZE: 2, LOG_LEVEL: "warn", ROUTER_SIGNING_SECRET: unused };
    const bus = createInProcessBus({ logger });
    const instance = await service.create({ config, env: { JWT_SECRET: unused }, logger: logger.child({ service: name }), bus, registry: new Registry() });
    try {
      await instance.seed();
    } finally {
      await instance.dispose();
      await bus.close();
    }
    process.stdout.write(`${name}: demo data in ${redactUrl(url)}\n`);
  }
  process.stdout.write(`seeded ${services.join(", ")}\n`);
});
