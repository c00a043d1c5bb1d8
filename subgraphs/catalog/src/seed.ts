import { demoCategories, demoProducts } from "@store/demo-data";
import type { Db } from "./types.ts";

/**
 * Inserts the demo catalog; rows that exist are left as they are, so seeding twice is harmless.
 *
 * Deliberately writes no ProductCreated events: every service seeds the demo
 * data it needs into its own database directly, so announcing demo products
 * would only replay them to everyone at every start.
 */
export async function seedCatalog(prisma: Db): Promise<void> {
  await prisma.$transaction([
    prisma.category.createMany({
      data: demoCategories.map(({ id, slug, name, description }) => ({ id, slug, name, description })),
      skipDuplicates: true,
    }),
    prisma.product.createMany({
      data: demoProducts.map(({ id, sku, name, description, categoryId, priceCents, currency }) => ({ id, sku, name, description, categoryId, priceCents, currency })),
      skipDuplicates: true,
    }),
  ]);
}
