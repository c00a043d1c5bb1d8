import { ERRORS } from "@store/kit";
import { OrderStatus } from "./generated/prisma/enums.ts";
import type { Order, OrderStatusChange, Prisma } from "./generated/prisma/client.ts";

/**
 * The order lifecycle: PENDING → AWAITING_PAYMENT → PAID → SHIPPED → DELIVERED,
 * and CANCELLED while nothing has been paid. It has no cycles, which the
 * retry in transitionOrder and the (orderId, toStatus) unique key rely on.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: [OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED],
  AWAITING_PAYMENT: [OrderStatus.PAID, OrderStatus.CANCELLED],
  PAID: [OrderStatus.SHIPPED],
  SHIPPED: [OrderStatus.DELIVERED],
  DELIVERED: [],
  CANCELLED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

export function isTerminal(status: OrderStatus): boolean {
  return ORDER_TRANSITIONS[status].length === 0;
}

/** The statuses an order may be in for a move to `to` to be allowed. */
export function allowedSources(to: OrderStatus): OrderStatus[] {
  return (Object.keys(ORDER_TRANSITIONS) as OrderStatus[]).filter((from) => canTransition(from, to));
}

/**
 * The statuses a newly placed order walks through to reach `target`, PENDING
 * first (e.g. PAID → [PENDING, AWAITING_PAYMENT, PAID]). The seed replays it.
 */
export function lifecyclePath(target: OrderStatus): OrderStatus[] {
  const path: OrderStatus[] = [OrderStatus.PENDING];
  while (path.at(-1) !== target) {
    const current = path.at(-1)!;
    // Prefer the step that stays on the main line; CANCELLED is a side exit.
    const next = ORDER_TRANSITIONS[current].find((s) => s === target) ?? ORDER_TRANSITIONS[current].find((s) => s !== OrderStatus.CANCELLED);
    if (next === undefined) throw new Error(`${target} is not reachable from ${OrderStatus.PENDING}`);
    path.push(next);
  }
  return path;
}

export interface Transition {
  order: Order;
  change: OrderStatusChange;
}

/**
 * Moves an order to `to` and records why, inside the caller's transaction.
 * The write is a compare-and-set on the status just read, so two concurrent
 * transitions cannot both win: the loser re-reads and is judged against the
 * status the winner left. Each retry means the order moved forward in an
 * acyclic lifecycle, so the loop ends after a few rounds at most.
 *
 * Throws NOT_FOUND for an unknown order and INVALID_STATE (naming the current
 * status) when the lifecycle does not allow the move.
 */
export async function transitionOrder(tx: Prisma.TransactionClient, orderId: string, to: OrderStatus, reason: string): Promise<Transition> {
  for (;;) {
    const current = await tx.order.findUnique({ where: { id: orderId }, select: { status: true } });
    if (!current) throw ERRORS.NOT_FOUND.err(`Order ${orderId} does not exist`, { field: "orderId" });
    if (!canTransition(current.status, to)) {
      throw ERRORS.INVALID_STATE.err(`Order ${orderId} is ${current.status} and cannot become ${to}`, { status: current.status, to });
    }
    const [order] = await tx.order.updateManyAndReturn({
      where: { id: orderId, status: current.status },
      data: { status: to, ...(to === OrderStatus.CANCELLED ? { cancelReason: reason } : {}) },
    });
    if (!order) continue;
    const change = await tx.orderStatusChange.create({ data: { orderId, fromStatus: current.status, toStatus: to, reason } });
    return { order, change };
  }
}
