/**
 * The seven subgraphs as the command-line tools name them. Each loader imports
 * only its own service's package, so a process serving one subgraph never
 * loads the other six.
 */
import type { ServiceDefinition } from "@store/kit";
// A type-only import: the platform's list checks the loaders at compile time,
// and a process serving one subgraph never loads the platform package.
import type { serviceNames as platformServiceNames } from "@store/platform/embedded";

export type ServiceName = (typeof platformServiceNames)[number];

const loaders = {
  accounts: async () => (await import("@store/accounts")).accountsService,
  catalog: async () => (await import("@store/catalog")).catalogService,
  inventory: async () => (await import("@store/inventory")).inventoryService,
  cart: async () => (await import("@store/cart")).cartService,
  orders: async () => (await import("@store/orders")).ordersService,
  payments: async () => (await import("@store/payments")).paymentsService,
  shipping: async () => (await import("@store/shipping")).shippingService,
} satisfies Record<ServiceName, () => Promise<ServiceDefinition>>;

/** In port order (4001…4007), the platform's order. */
export const serviceNames = Object.keys(loaders) as ServiceName[];

export const isServiceName = (name: string | undefined): name is ServiceName => name !== undefined && Object.hasOwn(loaders, name);

export const loadService = (name: ServiceName): Promise<ServiceDefinition> => loaders[name]();

/** `<name>` or `all` as given on a command line; undefined for anything else. */
export function selectServices(arg: string | undefined): ServiceName[] | undefined {
  if (arg === "all") return [...serviceNames];
  return isServiceName(arg) ? [arg] : undefined;
}
