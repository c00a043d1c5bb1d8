import { demoCategories, demoProducts } from "@store/demo-data";
import type { CatalogPrisma } from "./db.ts";

/** Inserts the demo catalog; rows that exist are left as they are, so seeding twice is harmless. */
export async function seedCatalog(prisma: CatalogPrisma): Promise<void> {
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
