/**
 * `npm run seed -- <name>|all`: inserts the demo data (@store/demo-data) into
 * each service's database with the service's own seed, the one `npm start`
 * runs: rows that exist are left as they are, so seeding again changes nothing
 * and real rows are never overwritten. Needs neither NATS nor the other
 * services (lib/seedService.ts).
 */
import { createLogger } from "@store/kit";
import { CliError, EXIT, runCli } from "./lib/cli.ts";
import { databaseUrlsOf, redactUrl } from "./lib/databases.ts";
import { seedService } from "./lib/seedService.ts";
import { loadService, selectServices, serviceNames } from "./lib/services.ts";

await runCli("seed", async () => {
  const args = process.argv.slice(2);
  const services = args.length === 1 ? selectServices(args[0]) : undefined;
  if (!services) throw new CliError(`usage: npm run seed -- <${serviceNames.join("|")}|all>`, EXIT.USAGE);
  const { urls, ignoredDatabaseUrl } = databaseUrlsOf(services, process.env);
  if (ignoredDatabaseUrl) process.stderr.write("seed: DATABASE_URL is ignored for all: each service's database is on DATABASE_SERVER_URL\n");
  const logger = createLogger({ name: "seed", level: "warn" });
  for (const [name, url] of urls) {
    await seedService(await loadService(name), url, logger);
    process.stdout.write(`${name}: demo data in ${redactUrl(url)}\n`);
  }
  process.stdout.write(`seeded ${services.join(", ")}\n`);
});
