/**
 * `npm run start:subgraph -- <name>`: one subgraph in its own process,
 * configured by environment (PORT, DATABASE_URL, ROUTER_SIGNING_SECRET, ...).
 * With --migrate, applies the committed migrations first (prisma migrate deploy).
 */
import { parseArgs } from "node:util";
import { runService } from "@store/kit";
import { allServices, serviceByName } from "@store/platform";
import { migrateDeploy } from "@store/kit";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { migrate: { type: "boolean", default: false } } });
const name = positionals[0];
const service = name ? serviceByName(name) : undefined;
if (!service) {
  process.stderr.write(`usage: npm run start:subgraph -- <${allServices.map((s) => s.name).join("|")}> [--migrate]\n`);
  process.exit(64);
}
if (values.migrate) {
  if (!process.env.DATABASE_URL) {
    process.stderr.write(`${service.name}: DATABASE_URL is required for --migrate\n`);
    process.exit(78);
  }
  await migrateDeploy(service.prismaDir, process.env.DATABASE_URL);
}
await runService(service);
