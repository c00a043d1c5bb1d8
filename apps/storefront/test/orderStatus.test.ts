import { describe, expect, it } from "vitest";
import { canCancel, laterStatus, stepsFor } from "../src/orderStatus.ts";

describe("order status", () => {
  it("allows a cancel only before payment", () => {
    expect(["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"].filter((status) => canCancel(status as never))).toEqual(["PENDING", "AWAITING_PAYMENT"]);
  });

  it("marks the steps done, current and to come", () => {
    expect(stepsFor("PAID").map(({ state }) => state)).toEqual(["done", "done", "current", "todo", "todo"]);
    expect(stepsFor("DELIVERED").at(-1)).toEqual({ step: "DELIVERED", state: "current" });
  });

  it("keeps the later of a live event and a fetched answer", () => {
    expect(laterStatus("PAID", "AWAITING_PAYMENT")).toBe("PAID");
    expect(laterStatus("AWAITING_PAYMENT", "SHIPPED")).toBe("SHIPPED");
    expect(laterStatus("AWAITING_PAYMENT", "CANCELLED")).toBe("CANCELLED");
  });
});
