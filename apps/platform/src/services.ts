import { accountsService } from "@store/accounts";
import { cartService } from "@store/cart";
import { catalogService } from "@store/catalog";
import { inventoryService } from "@store/inventory";
import { ordersService } from "@store/orders";
import { paymentsService } from "@store/payments";
import { shippingService } from "@store/shipping";
import type { ServiceDefinition } from "@store/kit";

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

export function serviceByName(name: string): ServiceDefinition | undefined {
  return allServices.find((s) => s.name === name);
}
