import { connectTestClient } from "@store/testing";

/**
 * Columns the platform updates by itself while nothing else happens: the
 * outbox relay marks events published (and counts its attempts) and renews
 * its lease. Every other column of every other table is part of the checksum.
 */
const BOOKKEEPING_COLUMNS = ["publishedAt", "attempts", "lastError"];
/** Tables of bookkeeping alone: the outbox relay renews its lease on every round. */
const BOOKKEEPING_TABLES = ["OutboxLease"];

/** `<service>.<table>` → `<row count>:<md5 of the rows>`, for every table of every service's database. */
export type RowSnapshot = Record<string, string>;

/**
 * Counts and checksums the rows of every table (migrations' own table aside)
 * in each database: two equal snapshots mean no row was added, removed or
 * changed in between.
 */
export async function snapshotRows(databaseUrls: Record<string, string>): Promise<RowSnapshot> {
  const snapshot: RowSnapshot = {};
  // One database at a time: one connection, not seven, beside the platform's pools.
  for (const [service, url] of Object.entries(databaseUrls)) {
    const client = await connectTestClient(url);
    try {
      const tables = await client.query<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations' ORDER BY 1",
      );
      for (const { name } of tables.rows) {
        if (BOOKKEEPING_TABLES.includes(name)) continue;
        const row = `(to_jsonb(t) - ${BOOKKEEPING_COLUMNS.map((c) => client.escapeLiteral(c)).join(" - ")})::text`;
        const result = await client.query<{ n: number; sum: string }>(`SELECT count(*)::int AS n, md5(coalesce(string_agg(${row}, ',' ORDER BY ${row}), '')) AS sum FROM ${client.escapeIdentifier(name)} t`);
        snapshot[`${service}.${name}`] = `${result.rows[0]!.n}:${result.rows[0]!.sum}`;
      }
    } finally {
      await client.end();
    }
  }
  return snapshot;
}

/** The tables whose rows differ between two snapshots, with both figures. */
export function changedTables(before: RowSnapshot, after: RowSnapshot): Record<string, { before: string | undefined; after: string | undefined }> {
  const changed: Record<string, { before: string | undefined; after: string | undefined }> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[table] !== after[table]) changed[table] = { before: before[table], after: after[table] };
  }
  return changed;
}

/** Unpublished outbox events over all services: the platform is quiet once they are all out and consumed. */
export async function unpublishedEvents(databaseUrls: Record<string, string>): Promise<number> {
  let total = 0;
  for (const url of Object.values(databaseUrls)) {
    const client = await connectTestClient(url);
    try {
      const exists = await client.query("SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'OutboxEvent'");
      if (exists.rowCount) total += (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM "OutboxEvent" WHERE "publishedAt" IS NULL')).rows[0]!.n;
    } finally {
      await client.end();
    }
  }
  return total;
}
