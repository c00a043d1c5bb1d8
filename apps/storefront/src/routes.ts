/**
 * Hash routes (`#/products/<id>`): a static host serves index.html for every
 * page without a rewrite rule, and the app needs no router dependency.
 */
import type { ProductSort } from "@store/client";

export const SORTS = {
  featured: { label: "Newest first", sort: { field: "CREATED_AT", direction: "DESC" } },
  "name-asc": { label: "Name, A to Z", sort: { field: "NAME", direction: "ASC" } },
  "price-asc": { label: "Price, low to high", sort: { field: "PRICE", direction: "ASC" } },
  "price-desc": { label: "Price, high to low", sort: { field: "PRICE", direction: "DESC" } },
} as const satisfies Record<string, { label: string; sort: ProductSort }>;

export type SortKey = keyof typeof SORTS;

export interface BrowseQuery {
  search: string;
  category: string;
  sort: SortKey;
}

export type Route =
  | ({ page: "browse" } & BrowseQuery)
  | { page: "product"; id: string }
  | { page: "cart" }
  | { page: "checkout" }
  | { page: "orders" }
  | { page: "order"; id: string }
  | { page: "sign-in"; next: string }
  | { page: "sign-up"; next: string }
  | { page: "admin" }
  | { page: "not-found"; path: string };

const isSortKey = (value: string | null): value is SortKey => value !== null && Object.hasOwn(SORTS, value);

/** The route a location hash names ("#/orders/42?x=1"); anything unknown is "not-found". */
export function parseRoute(hash: string): Route {
  const [rawPath = "", rawQuery = ""] = hash.replace(/^#/, "").split("?", 2);
  const segments = rawPath.split("/").filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(rawQuery);
  const next = query.get("next") ?? "";
  const [first, second, ...rest] = segments;
  if (rest.length > 0) return { page: "not-found", path: rawPath };
  switch (first) {
    case undefined: {
      const sort = query.get("sort");
      return { page: "browse", search: query.get("q") ?? "", category: query.get("category") ?? "", sort: isSortKey(sort) ? sort : "featured" };
    }
    case "products":
      return second ? { page: "product", id: second } : { page: "not-found", path: rawPath };
    case "orders":
      return second ? { page: "order", id: second } : { page: "orders" };
    case "cart":
    case "checkout":
    case "admin":
      return second ? { page: "not-found", path: rawPath } : { page: first };
    case "sign-in":
    case "sign-up":
      return second ? { page: "not-found", path: rawPath } : { page: first, next };
    default:
      return { page: "not-found", path: rawPath };
  }
}

/** The hash of a route: parseRoute(hrefFor(route)) gives the route back. */
export function hrefFor(route: Route): string {
  switch (route.page) {
    case "browse": {
      const query = new URLSearchParams();
      if (route.search) query.set("q", route.search);
      if (route.category) query.set("category", route.category);
      if (route.sort !== "featured") query.set("sort", route.sort);
      const text = query.toString();
      return text ? `#/?${text}` : "#/";
    }
    case "product":
      return `#/products/${encodeURIComponent(route.id)}`;
    case "order":
      return `#/orders/${encodeURIComponent(route.id)}`;
    case "sign-in":
    case "sign-up":
      return route.next ? `#/${route.page}?${new URLSearchParams({ next: route.next })}` : `#/${route.page}`;
    case "not-found":
      return `#/${route.path.replace(/^\//, "")}`;
    default:
      return `#/${route.page}`;
  }
}

/** Where to go after signing in: only a hash of this app, never another site. */
export function safeNext(next: string): string {
  return next.startsWith("#/") ? next : "#/";
}
