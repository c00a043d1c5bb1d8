import { demoCategories, demoProducts } from "@store/demo-data";
import type { Db } from "./types.ts";

/**
 * Inserts the demo catalog; rows that exist are left as they are, so seeding twice is harmless.
 * A demo category whose slug a real category holds already is skipped, and so are its
 * products: they would point at a category that is not there.
 *
 * Deliberately writes no ProductCreated events: every service seeds the demo
 * data it needs into its own database directly, so announcing demo products
 * would only replay them to everyone at every start.
 */
export async function seedCatalog(prisma: Db): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await tx.category.createMany({
      data: demoCategories.map(({ id, slug, name, description }) => ({ id, slug, name, description })),
      skipDuplicates: true,
    });
    const present = await tx.category.findMany({ where: { id: { in: demoCategories.map((c) => c.id) } }, select: { id: true } });
    const categoryIds = new Set(present.map((c) => c.id));
    await tx.product.createMany({
      data: demoProducts
        .filter((p) => categoryIds.has(p.categoryId))
        .map(({ id, sku, name, description, categoryId, priceCents, currency }) => ({ id, sku, name, description, categoryId, priceCents, currency })),
      skipDuplicates: true,
    });
  });
}
