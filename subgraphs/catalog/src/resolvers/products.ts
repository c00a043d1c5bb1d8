import { z } from "zod";
import { decodeCursor, encodeCursor, fields, parseInput, toConnection, type Connection } from "@store/kit";
import type { Prisma, Product } from "../generated/prisma/client.ts";
import type { CatalogPrisma } from "../db.ts";
import type { ProductFilter, ProductSort } from "../generated/graphql.ts";

const sortColumn = { NAME: "name", PRICE: "priceCents", CREATED_AT: "createdAt" } as const;
type SortColumn = (typeof sortColumn)[keyof typeof sortColumn];

const listArgs = z.object({
  first: fields.first(100),
  after: z.string().max(512).nullish(),
  filter: z
    .object({
      categoryId: fields.id("filter.categoryId").nullish(),
      categorySlug: z.string().max(100).nullish(),
      search: z.string().trim().max(100, "search must be at most 100 characters").nullish(),
    })
    .nullish(),
  sort: z.object({ field: z.enum(["NAME", "PRICE", "CREATED_AT"]), direction: z.enum(["ASC", "DESC"]) }).nullish(),
});

const cursorSchema = z.object({ v: z.union([z.string(), z.number()]), id: z.uuid() });

function sortValue(product: Product, column: SortColumn): string | number {
  const value = product[column];
  return value instanceof Date ? value.toISOString() : value;
}

export interface ListProductsArgs {
  first?: number | null;
  after?: string | null;
  filter?: ProductFilter | null;
  sort?: ProductSort | null;
}

/**
 * Keyset pagination over (sort column, id): stable under concurrent inserts,
 * unlike OFFSET, and a cursor stays valid while the rows around it change.
 */
export async function listProducts(prisma: CatalogPrisma, rawArgs: ListProductsArgs, scope: Prisma.ProductWhereInput = {}): Promise<Connection<Product>> {
  const args = parseInput(listArgs, { ...rawArgs, first: rawArgs.first ?? 20 });
  const column = sortColumn[args.sort?.field ?? "NAME"];
  const direction = args.sort?.direction === "DESC" ? "desc" : "asc";
  const filter: Prisma.ProductWhereInput = {
    ...scope,
    ...(args.filter?.categoryId ? { categoryId: args.filter.categoryId } : {}),
    ...(args.filter?.categorySlug ? { category: { slug: args.filter.categorySlug } } : {}),
    ...(args.filter?.search ? { name: { contains: args.filter.search, mode: "insensitive" as const } } : {}),
  };
  let where: Prisma.ProductWhereInput = filter;
  if (args.after) {
    const cursor = decodeCursor(cursorSchema, args.after);
    const value = column === "createdAt" ? new Date(String(cursor.v)) : cursor.v;
    const beyond = direction === "asc" ? "gt" : "lt";
    where = {
      AND: [filter, { OR: [{ [column]: { [beyond]: value } }, { [column]: value, id: { [beyond]: cursor.id } }] }],
    };
  }
  const [rows, totalCount] = await Promise.all([
    prisma.product.findMany({ where, orderBy: [{ [column]: direction }, { id: direction }], take: args.first + 1 }),
    prisma.product.count({ where: filter }),
  ]);
  return toConnection(rows, args.first, (p) => encodeCursor({ v: sortValue(p, column), id: p.id }), totalCount, Boolean(args.after));
}
