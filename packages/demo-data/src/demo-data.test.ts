import { describe, it, expect } from "vitest";
import {
  demoCategories,
  demoProducts,
  demoUsers,
  demoOrders,
  demoProductById,
  demoOrderTotalCents,
} from "./index.ts";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function allIds(): string[] {
  return [
    ...demoCategories.map((c) => c.id),
    ...demoProducts.map((p) => p.id),
    ...demoUsers.flatMap((u) => [u.id, ...u.addresses.map((a) => a.id)]),
    ...demoOrders.flatMap((o) => [o.id, o.paymentId, o.shipmentId]),
  ];
}

describe("demo data", () => {
  it("has at least 6 categories with unique slugs", () => {
    expect(demoCategories.length).toBeGreaterThanOrEqual(6);
    expect(new Set(demoCategories.map((c) => c.slug)).size).toBe(demoCategories.length);
  });

  it("has at least 60 products, at least 11 per category, all in existing categories", () => {
    expect(demoProducts.length).toBeGreaterThanOrEqual(60);
    const categoryIds = new Set(demoCategories.map((c) => c.id));
    for (const p of demoProducts) expect(categoryIds.has(p.categoryId), p.sku).toBe(true);
    for (const c of demoCategories) {
      expect(demoProducts.filter((p) => p.categoryId === c.id).length, c.slug).toBeGreaterThanOrEqual(11);
    }
  });

  it("has unique SKUs and product names", () => {
    expect(new Set(demoProducts.map((p) => p.sku)).size).toBe(demoProducts.length);
    expect(new Set(demoProducts.map((p) => p.name)).size).toBe(demoProducts.length);
  });

  it("uses valid, unique, lowercase UUIDs for every id", () => {
    const ids = allIds();
    for (const id of ids) expect(id).toMatch(UUID_RE);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("has non-negative integer prices and stock in USD", () => {
    for (const p of demoProducts) {
      expect(Number.isInteger(p.priceCents), p.sku).toBe(true);
      expect(p.priceCents, p.sku).toBeGreaterThan(0);
      expect(Number.isInteger(p.stock), p.sku).toBe(true);
      expect(p.stock, p.sku).toBeGreaterThanOrEqual(0);
      expect(p.currency).toBe("USD");
    }
  });

  it("has exactly 3 out-of-stock products and some low-stock ones", () => {
    expect(demoProducts.filter((p) => p.stock === 0)).toHaveLength(3);
    expect(demoProducts.filter((p) => p.stock >= 1 && p.stock <= 3).length).toBeGreaterThanOrEqual(2);
  });

  it("has 4 customers and exactly one admin with unique lowercase emails", () => {
    const emails = demoUsers.map((u) => u.email);
    expect(new Set(emails).size).toBe(emails.length);
    for (const e of emails) expect(e).toBe(e.toLowerCase());
    expect(demoUsers.filter((u) => u.role === "ADMIN")).toHaveLength(1);
    expect(demoUsers.filter((u) => u.role === "CUSTOMER")).toHaveLength(4);
    for (const u of demoUsers) {
      expect(u.password.length, u.email).toBeGreaterThanOrEqual(12);
      if (u.role === "CUSTOMER") expect(u.addresses.length, u.email).toBeGreaterThanOrEqual(1);
      expect(u.addresses.length, u.email).toBeLessThanOrEqual(2);
      for (const a of u.addresses) expect(a.country).toMatch(/^[A-Z]{2}$/);
    }
  });

  it("has orders that reference existing customers, addresses and products", () => {
    expect(demoOrders).toHaveLength(3);
    for (const o of demoOrders) {
      const customer = demoUsers.find((u) => u.id === o.customerId);
      expect(customer?.role).toBe("CUSTOMER");
      expect(customer?.addresses.some((a) => a.id === o.shippingAddressId)).toBe(true);
      expect(o.lines.length).toBeGreaterThanOrEqual(2);
      expect(o.lines.length).toBeLessThanOrEqual(3);
      for (const line of o.lines) {
        expect(demoProductById(line.productId), line.productId).toBeDefined();
        expect(Number.isInteger(line.quantity) && line.quantity > 0).toBe(true);
      }
      expect(new Date(o.placedAt).toISOString()).toBe(o.placedAt);
      expect(o.placedAt.startsWith("2026-")).toBe(true);
    }
  });

  it("computes order totals from product prices", () => {
    const order = demoOrders[0];
    expect(order).toBeDefined();
    if (!order) return;
    const expected = order.lines.reduce((sum, l) => sum + l.quantity * (demoProductById(l.productId)?.priceCents ?? NaN), 0);
    expect(demoOrderTotalCents(order)).toBe(expected);
    expect(demoOrderTotalCents({ lines: [] })).toBe(0);
    expect(demoProductById("00000000-0000-4000-8000-000000000000")).toBeUndefined();
  });
});
