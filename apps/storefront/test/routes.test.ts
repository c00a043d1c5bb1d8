import { describe, expect, it } from "vitest";
import { hrefFor, parseRoute, safeNext, type Route } from "../src/routes.ts";

describe("routes", () => {
  it.each<[string, Route]>([
    ["", { page: "browse", search: "", category: "", sort: "featured" }],
    ["#/", { page: "browse", search: "", category: "", sort: "featured" }],
    ["#/?q=lamp%20shade&category=home-office&sort=price-desc", { page: "browse", search: "lamp shade", category: "home-office", sort: "price-desc" }],
    ["#/?sort=nonsense", { page: "browse", search: "", category: "", sort: "featured" }],
    ["#/products/abc-1", { page: "product", id: "abc-1" }],
    ["#/orders", { page: "orders" }],
    ["#/orders/o%2F1", { page: "order", id: "o/1" }],
    ["#/cart", { page: "cart" }],
    ["#/checkout", { page: "checkout" }],
    ["#/admin", { page: "admin" }],
    ["#/sign-in?next=%23%2Fcart", { page: "sign-in", next: "#/cart" }],
    ["#/sign-up", { page: "sign-up", next: "" }],
    ["#/nowhere", { page: "not-found", path: "/nowhere" }],
    ["#/cart/extra", { page: "not-found", path: "/cart/extra" }],
    ["#/products", { page: "not-found", path: "/products" }],
  ])("reads %j", (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
    // Every route survives a round trip through its href.
    expect(parseRoute(hrefFor(route))).toEqual(route);
  });

  it("leaves defaults out of the browse href", () => {
    expect(hrefFor({ page: "browse", search: "", category: "", sort: "featured" })).toBe("#/");
    expect(hrefFor({ page: "browse", search: "mug", category: "", sort: "name-asc" })).toBe("#/?q=mug&sort=name-asc");
  });

  it("returns after sign-in only to a page of this app", () => {
    expect(safeNext("#/cart")).toBe("#/cart");
    expect(safeNext("https://evil.example/")).toBe("#/");
    expect(safeNext("")).toBe("#/");
  });
});
