import { ERRORS } from "@store/kit";
import { OrderStatus } from "./generated/prisma/enums.ts";
import type { EventEnvelope } from "@store/events";
import type { Order, OrderStatusChange } from "./generated/prisma/client.ts";
import { orderEvent, paymentRequested, type OrderEventSink } from "./orderEvents.ts";
import type { Tx } from "./types.ts";

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

export interface TransitionRequest {
  orderId: string;
  to: OrderStatus;
  reason: string;
  /**
   * The statuses this step may start from, when narrower than the lifecycle:
   * an event completes one particular step (PaymentFailed cancels an order
   * AWAITING_PAYMENT, never a PENDING one). @default every allowed source
   */
  from?: readonly OrderStatus[];
  /** The event this transition reacts to: its correlation id carries through. */
  causedBy?: EventEnvelope;
}

export type TransitionOutcome =
  | ({ ok: true } & Transition)
  | { ok: false; problem: "NOT_FOUND" }
  | { ok: false; problem: "NOT_ALLOWED"; status: OrderStatus };

/**
 * Moves an order to `to` and records why, inside the caller's transaction,
 * together with the events that describe the move: OrderStatusChanged for
 * every transition, PaymentRequested for the move to AWAITING_PAYMENT (the
 * one thing payments charges on) and OrderCancelled for a cancellation (the
 * compensation trigger). Writing them here means no caller can change a
 * status without telling the other services.
 *
 * The request and the cancellation share the order's row and its outbox, so
 * one of them commits first and they are published in that order: an order
 * cancelled before it awaited payment is never asked to be charged, and one
 * cancelled after is refunded once payments has charged it.
 *
 * The write is a compare-and-set on the status just read, so two concurrent
 * transitions cannot both win: the loser re-reads and is judged against the
 * status the winner left. Each retry means the order moved forward in an
 * acyclic lifecycle, so the loop ends after a few rounds at most.
 *
 * Reports an unknown order or a move the lifecycle (or `from`) does not allow
 * instead of throwing: for an event handler those are late or re-ordered
 * events to ignore, not failures.
 */
export async function attemptTransition(tx: Tx, events: OrderEventSink, request: TransitionRequest): Promise<TransitionOutcome> {
  const { orderId, to, reason, from, causedBy } = request;
  for (;;) {
    const current = await tx.order.findUnique({ where: { id: orderId }, select: { status: true } });
    if (!current) return { ok: false, problem: "NOT_FOUND" };
    if (!canTransition(current.status, to) || (from && !from.includes(current.status))) return { ok: false, problem: "NOT_ALLOWED", status: current.status };
    const [order] = await tx.order.updateManyAndReturn({
      where: { id: orderId, status: current.status },
      data: { status: to, ...(to === OrderStatus.CANCELLED ? { cancelReason: reason } : {}) },
    });
    if (!order) continue;
    const change = await tx.orderStatusChange.create({ data: { orderId, fromStatus: current.status, toStatus: to, reason } });
    const emitted: EventEnvelope[] = [orderEvent("OrderStatusChanged", { orderId, customerId: order.customerId, from: current.status, to, reason }, order, causedBy)];
    if (to === OrderStatus.AWAITING_PAYMENT) emitted.push(paymentRequested(order, causedBy));
    if (to === OrderStatus.CANCELLED) {
      emitted.push(orderEvent("OrderCancelled", { orderId, customerId: order.customerId, reason, previousStatus: current.status }, order, causedBy));
    }
    await events.emit(tx, ...emitted);
    return { ok: true, order, change };
  }
}

/**
 * attemptTransition for callers that answer a request (cancelOrder): throws
 * NOT_FOUND for an unknown order and INVALID_STATE (naming the current
 * status) when the move is not allowed.
 */
export async function transitionOrder(tx: Tx, events: OrderEventSink, request: TransitionRequest): Promise<Transition> {
  const outcome = await attemptTransition(tx, events, request);
  if (outcome.ok) return { order: outcome.order, change: outcome.change };
  const { orderId, to } = request;
  if (outcome.problem === "NOT_FOUND") throw ERRORS.NOT_FOUND.err(`Order ${orderId} does not exist`, { extensions: { field: "orderId" } });
  throw ERRORS.INVALID_STATE.err(`Order ${orderId} is ${outcome.status} and cannot become ${to}`, { extensions: { status: outcome.status, to } });
}
