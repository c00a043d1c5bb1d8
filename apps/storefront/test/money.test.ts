import { describe, expect, it } from "vitest";
import { formatMoney, parseAmount } from "../src/money.ts";

describe("money", () => {
  it("formats minor units by the currency's digits", () => {
    expect(formatMoney({ amount: 1999, currency: "USD" })).toBe("$19.99");
    expect(formatMoney({ amount: 13498, currency: "USD" })).toBe("$134.98");
    expect(formatMoney({ amount: 500, currency: "JPY" })).toBe("¥500");
  });

  it("parses an entered amount into minor units, or refuses it", () => {
    expect(parseAmount("19.99", "USD")).toBe(1999);
    expect(parseAmount(" 20 ", "USD")).toBe(2000);
    expect(parseAmount("20.5", "USD")).toBe(2050);
    expect(parseAmount("500", "JPY")).toBe(500);
    for (const bad of ["", "-1", "1.999", "abc", "1e3", "5.5"]) expect(parseAmount(bad, bad === "5.5" ? "JPY" : "USD")).toBeUndefined();
  });
});
