import { describe, expect, it } from "vitest";
import { OrderStatus } from "../src/generated/prisma/enums.ts";
import { ORDER_TRANSITIONS, allowedSources, canTransition, isTerminal, lifecyclePath } from "../src/orderStatus.ts";

const all = Object.values(OrderStatus);

describe("order lifecycle", () => {
  it("allows exactly the forward steps and cancelling before payment", () => {
    const allowed = all.flatMap((from) => all.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`));
    expect(allowed.sort()).toEqual(
      [
        "PENDING→AWAITING_PAYMENT",
        "AWAITING_PAYMENT→PAID",
        "PAID→SHIPPED",
        "SHIPPED→DELIVERED",
        "PENDING→CANCELLED",
        "AWAITING_PAYMENT→CANCELLED",
      ].sort(),
    );
  });

  it("never allows staying put, going back or skipping a step", () => {
    for (const status of all) expect(canTransition(status, status)).toBe(false);
    expect(canTransition("PAID", "PENDING")).toBe(false);
    expect(canTransition("PENDING", "PAID")).toBe(false);
    expect(canTransition("SHIPPED", "CANCELLED")).toBe(false);
    expect(canTransition("CANCELLED", "PENDING")).toBe(false);
  });

  it("knows the terminal statuses and where each status can be reached from", () => {
    expect(all.filter(isTerminal).sort()).toEqual(["CANCELLED", "DELIVERED"]);
    expect(allowedSources("CANCELLED").sort()).toEqual(["AWAITING_PAYMENT", "PENDING"]);
    expect(allowedSources("PAID")).toEqual(["AWAITING_PAYMENT"]);
    expect(allowedSources("PENDING")).toEqual([]);
  });

  it("walks from PENDING to any status", () => {
    expect(lifecyclePath("PENDING")).toEqual(["PENDING"]);
    expect(lifecyclePath("PAID")).toEqual(["PENDING", "AWAITING_PAYMENT", "PAID"]);
    expect(lifecyclePath("DELIVERED")).toEqual(["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED"]);
    expect(lifecyclePath("CANCELLED")).toEqual(["PENDING", "CANCELLED"]);
    for (const target of all) {
      const path = lifecyclePath(target);
      for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
    }
  });

  it("has no cycles, which the compare-and-set retry relies on to terminate", () => {
    const visiting = new Set<OrderStatus>();
    const acyclicFrom = (status: OrderStatus): boolean => {
      if (visiting.has(status)) return false;
      visiting.add(status);
      const ok = ORDER_TRANSITIONS[status].every(acyclicFrom);
      visiting.delete(status);
      return ok;
    };
    expect(all.every(acyclicFrom)).toBe(true);
  });
});
