import { z } from "zod";
import { ERRORS } from "./errors.ts";
import { findUnsafeStrings } from "./useSafeStrings.ts";

/**
 * Opaque Relay cursors: base64url of a small JSON value. Clients must not
 * build them; a cursor that does not decode is BAD_USER_INPUT, not a crash.
 */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/**
 * An ISO date-time a cursor may carry: one PostgreSQL's timestamp can hold.
 * JavaScript and zod know a year 0; PostgreSQL refuses it (and years past
 * 9999 in this format), which would surface as an internal error.
 */
export const cursorTimestamp = z.iso.datetime().refine((text) => {
  const year = new Date(text).getUTCFullYear();
  return year >= 1 && year <= 9999;
}, "outside PostgreSQL's timestamp range");

export function decodeCursor<T extends z.ZodType>(schema: T, cursor: string, argument = "after"): z.output<T> {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    // A cursor's values go into SQL: one made up with a NUL in it must not reach the driver.
    if (findUnsafeStrings(value, argument).length > 0) throw new Error("unsafe string in cursor");
    return schema.parse(value);
  } catch {
    throw ERRORS.BAD_USER_INPUT.err(`${argument} is not a valid cursor`, { extensions: { issues: [{ field: argument, message: "not a valid cursor" }] } });
  }
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  totalCount: number;
}

/**
 * Builds a connection from `first + 1` fetched rows: the extra row only tells
 * whether there is a next page.
 */
export function toConnection<T>(rows: readonly T[], first: number, cursorOf: (row: T) => string, totalCount: number, hasPreviousPage: boolean): Connection<T> {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
