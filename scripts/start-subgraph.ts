/**
 * `npm run start:subgraph -- <name>`: one subgraph in its own process,
 * configured by environment (PORT, DATABASE_URL, ROUTER_SIGNING_SECRET, ...).
 * With --migrate, applies the committed migrations first (prisma migrate deploy).
 *
 * Only the named service's package is imported: a subgraph's process never
 * loads the other six or the router.
 */
import { parseArgs } from "node:util";
import { migrateDeploy, runService, type ServiceDefinition } from "@store/kit";

const services: Record<string, () => Promise<ServiceDefinition>> = {
  accounts: async () => (await import("@store/accounts")).accountsService,
  catalog: async () => (await import("@store/catalog")).catalogService,
  inventory: async () => (await import("@store/inventory")).inventoryService,
  cart: async () => (await import("@store/cart")).cartService,
  orders: async () => (await import("@store/orders")).ordersService,
  payments: async () => (await import("@store/payments")).paymentsService,
  shipping: async () => (await import("@store/shipping")).shippingService,
};

const { positionals, values } = parseArgs({ allowPositionals: true, options: { migrate: { type: "boolean", default: false } } });
const name = positionals[0];
const load = name !== undefined && Object.hasOwn(services, name) ? services[name] : undefined;
if (!load) {
  process.stderr.write(`usage: npm run start:subgraph -- <${Object.keys(services).join("|")}> [--migrate]\n`);
  process.exit(64);
}
const service = await load();
if (values.migrate) {
  if (!process.env.DATABASE_URL) {
    process.stderr.write(`${service.name}: DATABASE_URL is required for --migrate\n`);
    process.exit(78);
  }
  await migrateDeploy(service.prismaDir, process.env.DATABASE_URL);
}
await runService(service);
