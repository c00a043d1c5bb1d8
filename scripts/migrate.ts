/**
 * `npm run migrate -- <name>|all`: applies each service's committed migrations
 * to its database (see lib/databases.ts for where that is), one service after
 * the other, and exits. Applying them again changes nothing.
 */
import { migrateDeploy } from "@store/kit";
import { CliError, EXIT, runCli } from "./lib/cli.ts";
import { databaseUrlsOf, redactUrl } from "./lib/databases.ts";
import { loadService, selectServices, serviceNames } from "./lib/services.ts";

await runCli("migrate", async () => {
  const args = process.argv.slice(2);
  const services = args.length === 1 ? selectServices(args[0]) : undefined;
  if (!services) throw new CliError(`usage: npm run migrate -- <${serviceNames.join("|")}|all>`, EXIT.USAGE);
  // Every database is known before the first is touched: a bad variable changes nothing.
  const { urls, ignoredDatabaseUrl } = databaseUrlsOf(services, process.env);
  if (ignoredDatabaseUrl) process.stderr.write("migrate: DATABASE_URL is ignored for all: each service's database is on DATABASE_SERVER_URL\n");
  for (const [name, url] of urls) {
    const service = await loadService(name);
    process.stdout.write(`${name}: applying migrations to ${redactUrl(url)}\n`);
    await migrateDeploy(service.prismaDir, url).catch((error: unknown) => {
      throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
  }
  process.stdout.write(`migrated ${services.join(", ")}\n`);
});
