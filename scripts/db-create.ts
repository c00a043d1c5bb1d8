/**
 * `npm run db:create`: creates the seven services' databases
 * (`<DATABASE_NAME_PREFIX><name>`) on DATABASE_SERVER_URL, connected to its
 * `postgres` database. A database that exists already is left alone and
 * reported, so running it again is harmless.
 */
import pg from "pg";
import { CliError, EXIT, runCli } from "./lib/cli.ts";
import { databaseServer, redactUrl } from "./lib/databases.ts";
import { serviceNames } from "./lib/services.ts";

/** PostgreSQL's duplicate_database: another db:create made it between our look and our CREATE. */
const DUPLICATE_DATABASE = "42P04";

await runCli("db:create", async () => {
  if (process.argv.length > 2) throw new CliError("usage: npm run db:create (no arguments; the server is DATABASE_SERVER_URL, names get DATABASE_NAME_PREFIX)", EXIT.USAGE);
  const server = databaseServer(process.env);
  const client = new pg.Client({ connectionString: server.maintenanceUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    process.stdout.write(`databases on ${redactUrl(process.env.DATABASE_SERVER_URL!)}:\n`);
    for (const service of serviceNames) {
      const name = server.nameOf(service);
      const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      let created = rowCount === 0;
      if (created) {
        // An identifier cannot be a parameter; the name is checked to be [a-z0-9_] (lib/databases.ts).
        await client.query(`CREATE DATABASE "${name}"`).catch((error: unknown) => {
          if ((error as { code?: string }).code !== DUPLICATE_DATABASE) throw error;
          created = false;
        });
      }
      process.stdout.write(`  ${name}: ${created ? "created" : "exists already, left alone"}\n`);
    }
  } finally {
    await client.end();
  }
});
