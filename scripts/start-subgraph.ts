/**
 * `npm run start:subgraph -- <name>`: one subgraph in its own process,
 * configured by environment (PORT, DATABASE_URL, ROUTER_SIGNING_SECRET,
 * NATS_URL, EVENTS_NAMESPACE, ...: README "Configuration"). Without
 * DATABASE_URL, DATABASE_SERVER_URL (+ DATABASE_NAME_PREFIX) gives it, as for
 * `npm run migrate`. With --migrate, applies the committed migrations first.
 *
 * Only the named service's package is imported: a subgraph's process never
 * loads the other six or the router.
 */
import { parseArgs } from "node:util";
import { migrateDeploy, orExitOnConfigError, runService } from "@store/kit";
import { databaseUrlOf } from "./lib/databases.ts";
import { isServiceName, loadService, serviceNames } from "./lib/services.ts";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { migrate: { type: "boolean", default: false } } });
const name = positionals[0];
if (positionals.length !== 1 || !isServiceName(name)) {
  process.stderr.write(`usage: npm run start:subgraph -- <${serviceNames.join("|")}> [--migrate]\n`);
  process.exit(64);
}
const env = { ...process.env };
// Set or derived; neither is a config error that says how to give it.
env.DATABASE_URL = await orExitOnConfigError(name, () => databaseUrlOf(name, env));
const service = await loadService(name);
if (values.migrate) await migrateDeploy(service.prismaDir, env.DATABASE_URL);
await runService(service, env);
