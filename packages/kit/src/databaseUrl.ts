/**
 * A DATABASE_URL as the pg driver takes it. Two of its parameters are
 * Prisma's conventions, not PostgreSQL's, and are taken out (pg ignores
 * them silently: a `schema` would land every query in `public`):
 *
 * - `connection_limit`: the size of the service's pool;
 * - `schema`: the schema the service's tables are in, as with Prisma's CLI.
 *   The Prisma client qualifies its tables with it, and every connection gets
 *   it as its `search_path` (a startup option, like `psql -c`), so the
 *   migrator, raw SQL and the outbox land in it too. Without it: `public`.
 *
 * Embedded `npm start` gives each service a schema of one shared database.
 */
export interface PgConnection {
  /** What a pg Client or Pool is given: the URL without Prisma's parameters, and the startup `options` (search_path for the schema, after any the URL had). */
  client: { connectionString: string; options?: string };
  /** The schema the URL names, if any. */
  schema?: string;
  /** The pool size the URL names, if any. */
  connectionLimit?: number;
}

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function pgConnection(databaseUrl: string): PgConnection {
  const url = new URL(databaseUrl);
  const limit = url.searchParams.get("connection_limit");
  const schema = url.searchParams.get("schema") ?? undefined;
  const options = url.searchParams.get("options") ?? undefined;
  url.searchParams.delete("connection_limit");
  url.searchParams.delete("schema");
  url.searchParams.delete("options");
  if (schema !== undefined && !PLAIN_IDENTIFIER.test(schema)) {
    throw new Error(`DATABASE_URL: schema=${JSON.stringify(schema)} is not a plain identifier (a letter or underscore, then letters, digits or underscores)`);
  }
  return {
    client: {
      connectionString: url.toString(),
      ...((schema !== undefined || options !== undefined) && { options: [options, schema && `-c search_path=${schema}`].filter(Boolean).join(" ") }),
    },
    ...(schema !== undefined && { schema }),
    ...(limit !== null && { connectionLimit: Number(limit) }),
  };
}
