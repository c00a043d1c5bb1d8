import { demoProducts, demoUsers } from "@store/demo-data";
import type { Db } from "./types.ts";

/** Fixed ids (UUIDv5 of stable names), so the demo cart is the same row in every environment. */
const DEMO_CART_ID = "9cda00ab-c605-510d-a287-521baca25a83";
const DEMO_CART_LINES = [
  { id: "7a3b50be-9cdf-5f49-bfff-3f7caea8fe24", sku: "COF-0002", quantity: 1 },
  { id: "207d7aca-3cb5-57b9-ad6d-0d05d99c9646", sku: "COF-0004", quantity: 2 },
] as const;

function demoCustomerId(): string {
  const customer = demoUsers.find((user) => user.role === "CUSTOMER");
  if (!customer) throw new Error("demo data has no customer");
  return customer.id;
}

function demoProductId(sku: string): string {
  const product = demoProducts.find((p) => p.sku === sku);
  if (!product) throw new Error(`demo data has no product ${sku}`);
  return product.id;
}

/**
 * Seeds the product snapshot from the demo catalog and gives the first demo
 * customer a cart with two lines. Existing rows are left as they are, and the
 * demo cart's lines are only added when the cart itself is new: once it exists
 * it is the customer's, and seeding again must not put back what they removed.
 */
export async function seedCart(prisma: Db): Promise<void> {
  const userId = demoCustomerId();
  const lines = DEMO_CART_LINES.map(({ id, sku, quantity }) => ({ id, cartId: DEMO_CART_ID, productId: demoProductId(sku), quantity }));
  await prisma.$transaction(async (tx) => {
    await tx.productSnapshot.createMany({
      data: demoProducts.map(({ id, name, priceCents, currency }) => ({ productId: id, name, priceCents, currency })),
      skipDuplicates: true,
    });
    const { count } = await tx.cart.createMany({ data: [{ id: DEMO_CART_ID, userId }], skipDuplicates: true });
    if (count === 1) await tx.cartLine.createMany({ data: lines, skipDuplicates: true });
  });
}
