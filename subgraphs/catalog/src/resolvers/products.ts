import { z } from "zod";
import { createBatchLoader, cursorTimestamp, decodeCursor, encodeCursor, fields, parseInput, toConnection, type Connection } from "@store/kit";
import { Prisma, type Product } from "../generated/prisma/client.ts";
import type { Db } from "../types.ts";
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

/**
 * What a cursor's value must be for the sort it continues. A cursor made up
 * by hand (or taken from another sort) is BAD_USER_INPUT here, instead of a
 * comparison PostgreSQL refuses ("invalid input syntax", "out of range").
 */
const cursorValue = {
  name: z.string().max(1000),
  // PostgreSQL `integer`.
  priceCents: z.number().int().min(-2_147_483_648).max(2_147_483_647),
  // As sortValue writes it; PostgreSQL knows no year 0, JavaScript does.
  createdAt: cursorTimestamp.transform((text) => new Date(text)),
} satisfies Record<SortColumn, z.ZodType>;

function cursorSchemaFor(column: SortColumn) {
  return z.object({ v: cursorValue[column], id: z.uuid() });
}

/** `contains` goes to ILIKE as it is: escaped, `%`, `_` and `\` (PostgreSQL's LIKE escape) match themselves. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, "\\$&");
}

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

/** One page's arguments, validated: the cursor is decoded and checked against the sort column. */
interface Page {
  first: number;
  column: SortColumn;
  direction: "asc" | "desc";
  after: { v: string | number | Date; id: string } | undefined;
}

function parsePage(args: Pick<z.output<typeof listArgs>, "first" | "after" | "sort">): Page {
  const column = sortColumn[args.sort?.field ?? "NAME"];
  return {
    first: args.first,
    column,
    direction: args.sort?.direction === "DESC" ? "desc" : "asc",
    after: args.after ? decodeCursor(cursorSchemaFor(column), args.after) : undefined,
  };
}

const cursorOf = (column: SortColumn) => (product: Product) => encodeCursor({ v: sortValue(product, column), id: product.id });

/**
 * Keyset pagination over (sort column, id): stable under concurrent inserts,
 * unlike OFFSET, and a cursor stays valid while the rows around it change.
 */
export async function listProducts(prisma: Db, rawArgs: ListProductsArgs): Promise<Connection<Product>> {
  const args = parseInput(listArgs, { ...rawArgs, first: rawArgs.first ?? 20 });
  const page = parsePage(args);
  const { column, direction } = page;
  const filter: Prisma.ProductWhereInput = {
    ...(args.filter?.categoryId ? { categoryId: args.filter.categoryId } : {}),
    ...(args.filter?.categorySlug ? { category: { slug: args.filter.categorySlug } } : {}),
    ...(args.filter?.search ? { name: { contains: escapeLike(args.filter.search), mode: "insensitive" as const } } : {}),
  };
  let where: Prisma.ProductWhereInput = filter;
  if (page.after) {
    const { v: value, id } = page.after;
    const beyond = direction === "asc" ? "gt" : "lt";
    where = {
      AND: [filter, { OR: [{ [column]: { [beyond]: value } }, { [column]: value, id: { [beyond]: id } }] }],
    };
  }
  const [rows, totalCount] = await Promise.all([
    prisma.product.findMany({ where, orderBy: [{ [column]: direction }, { id: direction }], take: page.first + 1 }),
    prisma.product.count({ where: filter }),
  ]);
  return toConnection(rows, page.first, cursorOf(column), totalCount, Boolean(page.after));
}

export type CategoryProductsArgs = Omit<ListProductsArgs, "filter">;

/** Column names for raw SQL: only ever these literals, never client text. */
const sqlColumn: Record<SortColumn, Prisma.Sql> = { name: Prisma.raw(`"name"`), priceCents: Prisma.raw(`"priceCents"`), createdAt: Prisma.raw(`"createdAt"`) };
const sqlCast: Record<SortColumn, Prisma.Sql> = { name: Prisma.raw("text"), priceCents: Prisma.raw("integer"), createdAt: Prisma.raw("timestamptz") };

type CategoryPageRow = Omit<Product, "id"> & { id: string | null; totalCount: number };

/**
 * The same page of products (and count) for every category in `categoryIds`,
 * in one SQL statement: a LATERAL subquery per category runs the keyset page
 * listProducts would run for it alone (the (categoryId, priceCents) index
 * serves the price sort). What keeps `categories { products }` at one query
 * however many categories there are.
 */
async function categoryPages(prisma: Db, categoryIds: readonly string[], page: Page): Promise<{ categoryId: string; connection: Connection<Product> }[]> {
  const column = sqlColumn[page.column];
  const direction = Prisma.raw(page.direction === "asc" ? "ASC" : "DESC");
  const beyond = page.after
    ? Prisma.sql`AND (p.${column}, p."id") ${Prisma.raw(page.direction === "asc" ? ">" : "<")} (${page.after.v}::${sqlCast[page.column]}, ${page.after.id}::uuid)`
    : Prisma.empty;
  const rows = await prisma.$queryRaw<CategoryPageRow[]>`
    SELECT c."categoryId", t."totalCount",
           p."id", p."sku", p."name", p."description", p."priceCents", p."currency", p."createdAt", p."updatedAt"
    FROM unnest(${[...categoryIds]}::uuid[]) AS c("categoryId")
    CROSS JOIN LATERAL (SELECT count(*)::integer AS "totalCount" FROM "Product" WHERE "categoryId" = c."categoryId") t
    LEFT JOIN LATERAL (
      SELECT * FROM "Product" p
      WHERE p."categoryId" = c."categoryId" ${beyond}
      ORDER BY p.${column} ${direction}, p."id" ${direction}
      LIMIT ${page.first + 1}
    ) p ON true
    ORDER BY c."categoryId", p.${column} ${direction}, p."id" ${direction}`;
  const byCategory = new Map<string, { products: Product[]; totalCount: number }>();
  for (const { totalCount, ...row } of rows) {
    const entry = byCategory.get(row.categoryId) ?? { products: [], totalCount };
    byCategory.set(row.categoryId, entry);
    // The LEFT JOIN gives a category without products one row of NULLs.
    if (row.id !== null) entry.products.push(row as Product);
  }
  return [...byCategory].map(([categoryId, { products, totalCount }]) => ({
    categoryId,
    connection: toConnection(products, page.first, cursorOf(page.column), totalCount, Boolean(page.after)),
  }));
}

/**
 * Category.products through per-request loaders, one per distinct page
 * arguments (aliases may ask for different pages): each batches every
 * category asked for in a tick into one categoryPages query.
 */
export function createCategoryProductsLoader(prisma: Db) {
  const loaderFor = (page: Page) => createBatchLoader((ids) => categoryPages(prisma, ids, page), (result) => result.categoryId);
  const loaders = new Map<string, ReturnType<typeof loaderFor>>();
  return async (categoryId: string, rawArgs: CategoryProductsArgs): Promise<Connection<Product>> => {
    // Validated per field, before batching: a bad cursor fails its own field only.
    const args = parseInput(listArgs, { ...rawArgs, filter: null, first: rawArgs.first ?? 20 });
    const page = parsePage(args);
    const key = JSON.stringify([args.first, args.after ?? null, page.column, page.direction]);
    let loader = loaders.get(key);
    if (!loader) {
      loader = loaderFor(page);
      loaders.set(key, loader);
    }
    const result = await loader.load(categoryId);
    // A category id comes from a row this request read; unnest() answers every id, so a miss is a bug.
    if (!result) throw new Error(`no product page for category ${categoryId}`);
    return result.connection;
  };
}
