import { z } from "zod";
import { cursorTimestamp, decodeCursor, encodeCursor, parseInput, fields, toConnection, type Connection } from "@store/kit";
import type { Order, Prisma } from "../generated/prisma/client.ts";
import type { Db } from "../types.ts";

const listArgs = z.object({
  first: fields.first(50),
  after: z.string().max(512).nullish(),
});

const cursorSchema = z.object({ v: cursorTimestamp, id: z.uuid() });

export interface ListOrdersArgs {
  first?: number | null;
  after?: string | null;
}

/**
 * A customer's orders, newest first. Keyset pagination over (placedAt desc,
 * id desc), which the (customerId, placedAt desc, id desc) index serves
 * directly; a cursor stays valid while new orders arrive.
 */
export async function listOrders(prisma: Db, customerId: string, rawArgs: ListOrdersArgs): Promise<Connection<Order>> {
  const args = parseInput(listArgs, { ...rawArgs, first: rawArgs.first ?? 10 });
  const scope: Prisma.OrderWhereInput = { customerId };
  let where = scope;
  if (args.after) {
    const cursor = decodeCursor(cursorSchema, args.after);
    const placedAt = new Date(cursor.v);
    where = { AND: [scope, { OR: [{ placedAt: { lt: placedAt } }, { placedAt, id: { lt: cursor.id } }] }] };
  }
  const [rows, totalCount] = await Promise.all([
    prisma.order.findMany({ where, orderBy: [{ placedAt: "desc" }, { id: "desc" }], take: args.first + 1 }),
    prisma.order.count({ where: scope }),
  ]);
  return toConnection(rows, args.first, (o) => encodeCursor({ v: o.placedAt.toISOString(), id: o.id }), totalCount, Boolean(args.after));
}
