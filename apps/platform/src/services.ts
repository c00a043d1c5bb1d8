import { accountsService } from "@store/accounts";
import { cartService } from "@store/cart";
import { catalogService } from "@store/catalog";
import { inventoryService } from "@store/inventory";
import { ordersService } from "@store/orders";
import { paymentsService } from "@store/payments";
import { shippingService } from "@store/shipping";
import type { ServiceDefinition } from "@store/kit";
import { serviceNames } from "./serviceNames.ts";

/** Every subgraph, in port order (4001..4007). */
export const allServices: readonly ServiceDefinition[] = [
  accountsService,
  catalogService,
  inventoryService,
  cartService,
  ordersService,
  paymentsService,
  shippingService,
];

if (allServices.map((s) => s.name).join() !== serviceNames.join()) {
  throw new Error(`serviceNames (${serviceNames.join()}) and allServices (${allServices.map((s) => s.name).join()}) disagree`);
}

export function serviceByName(name: string): ServiceDefinition | undefined {
  return allServices.find((s) => s.name === name);
}
