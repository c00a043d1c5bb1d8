import { demoOrders, demoOrderTotalCents } from "@store/demo-data";
import type { Db } from "./types.ts";
import { TEST_TOKENS } from "./processor.ts";

/** Every demo order was paid: one captured payment each. Rows that exist are left as they are, so seeding twice is harmless. */
export async function seedPayments(prisma: Db): Promise<void> {
  await prisma.payment.createMany({
    data: demoOrders.map((order) => ({
      id: order.paymentId,
      orderId: order.id,
      customerId: order.customerId,
      amountCents: demoOrderTotalCents(order),
      // Every demo product is priced in USD.
      currency: "USD",
      status: "CAPTURED" as const,
      paymentToken: TEST_TOKENS.visa,
      attempts: 1,
      createdAt: new Date(order.placedAt),
      updatedAt: new Date(order.placedAt),
    })),
    skipDuplicates: true,
  });
}
