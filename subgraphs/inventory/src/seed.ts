import { demoProducts } from "@store/demo-data";
import type { Db } from "./types.ts";

/**
 * Stocks every demo product; items that exist are left as they are, so seeding
 * twice is harmless. Only the items this run created get a RESTOCK movement,
 * which keeps the audit trail adding up to what is on hand.
 */
export async function seedInventory(prisma: Db): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const created = await tx.stockItem.createManyAndReturn({
      data: demoProducts.map(({ id, stock }) => ({ productId: id, onHand: stock })),
      skipDuplicates: true,
    });
    const restocked = created.filter((item) => item.onHand > 0);
    if (restocked.length > 0) {
      await tx.stockMovement.createMany({ data: restocked.map((item) => ({ productId: item.productId, delta: item.onHand, onHandDelta: item.onHand, reason: "RESTOCK" })) });
    }
  });
}
