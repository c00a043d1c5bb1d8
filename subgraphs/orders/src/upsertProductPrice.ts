import type { Tx } from "./types.ts";

export interface CatalogPrice {
  productId: string;
  name: string;
  priceCents: number;
  currency: string;
}

export type PriceUpdate = "created" | "updated" | "stale";

/**
 * Writes the catalog's name and price for a product into the local price
 * list that placeOrder prices from. Guarded by the event's time: a row is
 * only overwritten by an event at least as recent as the one that wrote it,
 * so an older event delivered late (a redelivery after a newer change, or a
 * ProductCreated replayed after a price change) cannot roll the price back.
 * Rows the demo seed wrote carry no time and take any event.
 */
export async function upsertProductPrice(tx: Tx, price: CatalogPrice, occurredAt: string): Promise<PriceUpdate> {
  const { productId, name, priceCents, currency } = price;
  const asOf = new Date(occurredAt);
  const updated = await tx.productPrice.updateMany({
    where: { productId, OR: [{ priceAsOf: null }, { priceAsOf: { lte: asOf } }] },
    data: { name, priceCents, currency, priceAsOf: asOf },
  });
  if (updated.count > 0) return "updated";
  // Nothing updated: either the product is new here, or the row is newer than this event.
  const created = await tx.productPrice.createMany({ data: [{ productId, name, priceCents, currency, priceAsOf: asOf }], skipDuplicates: true });
  return created.count > 0 ? "created" : "stale";
}
