import type { OrderStatus } from "@store/client";

/** The happy path an order walks (README "The order saga"); CANCELLED leaves it. */
export const ORDER_STEPS: readonly OrderStatus[] = ["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED"];

/** The platform allows a cancel only before payment (INVALID_STATE after). */
export function canCancel(status: OrderStatus): boolean {
  return status === "PENDING" || status === "AWAITING_PAYMENT";
}

/** Each step with whether it is done, the current one, or still to come. */
export function stepsFor(status: OrderStatus): { step: OrderStatus; state: "done" | "current" | "todo" }[] {
  const at = ORDER_STEPS.indexOf(status);
  return ORDER_STEPS.map((step, index) => ({ step, state: at < 0 ? "todo" : index < at ? "done" : index === at ? "current" : "todo" }));
}

/** Of two statuses of one order, the later: orders only move forward, and CANCELLED and DELIVERED are final. */
export function laterStatus(a: OrderStatus, b: OrderStatus): OrderStatus {
  const rank = (status: OrderStatus) => (status === "CANCELLED" ? ORDER_STEPS.length : ORDER_STEPS.indexOf(status));
  return rank(a) >= rank(b) ? a : b;
}
