import { z } from "zod";
import { cursorTimestamp, decodeCursor, encodeCursor, fields, parseInput, toConnection, type Connection } from "@store/kit";
import type { Prisma, Shipment } from "../generated/prisma/client.ts";
import type { Db } from "../types.ts";
import type { ShipmentStatus } from "../generated/graphql.ts";

const listArgs = z.object({
  status: z.enum(["PENDING", "DISPATCHED", "DELIVERED"]).nullish(),
  first: fields.first(100),
  after: z.string().max(512).nullish(),
});

const cursorSchema = z.object({ createdAt: cursorTimestamp, id: z.uuid() });

export interface ListShipmentsArgs {
  status?: ShipmentStatus | null;
  first?: number | null;
  after?: string | null;
}

/**
 * Newest first, keyset-paginated over (createdAt, id): stable while new
 * shipments arrive at the top, unlike OFFSET.
 */
export async function listShipments(prisma: Db, rawArgs: ListShipmentsArgs): Promise<Connection<Shipment>> {
  const args = parseInput(listArgs, { ...rawArgs, first: rawArgs.first ?? 20 });
  const filter: Prisma.ShipmentWhereInput = args.status ? { status: args.status } : {};
  let where = filter;
  if (args.after) {
    const cursor = decodeCursor(cursorSchema, args.after);
    const createdAt = new Date(cursor.createdAt);
    where = { AND: [filter, { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: cursor.id } }] }] };
  }
  const [rows, totalCount] = await Promise.all([
    prisma.shipment.findMany({ where, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: args.first + 1 }),
    prisma.shipment.count({ where: filter }),
  ]);
  return toConnection(rows, args.first, (s) => encodeCursor({ createdAt: s.createdAt.toISOString(), id: s.id }), totalCount, Boolean(args.after));
}
