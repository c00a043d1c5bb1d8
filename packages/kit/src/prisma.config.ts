/**
 * The Prisma CLI's config for every subgraph: the CLI runs in the subgraph's
 * folder with `--config` pointing here (scripts/prisma-generate.mjs,
 * migrateDeploy, the subgraphs' `generate` and `migrate` scripts), so the
 * schema is the one under the working directory.
 */
import { resolve } from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
import { pgConnection } from "./databaseUrl.ts";
import { PatientPgPool } from "./patientPgPool.ts";
import { NameAsTextClient } from "./pgNameAsText.ts";

// The CLI reads `url = env("DATABASE_URL")` while loading the schema, even for
// `generate`, which never connects; when it cannot, it silently falls back to
// the native engine and tries to download it. A placeholder keeps `generate`
// offline; `migrate deploy` is always run with a real DATABASE_URL.
process.env.DATABASE_URL ??= "postgresql://127.0.0.1:5432/prisma_generate_only";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  // Absolute: a relative path would be read against this file's folder, not the subgraph's.
  schema: resolve("prisma/schema.prisma"),
  async adapter() {
    // Prisma's `schema` parameter is the adapter's schema and the connection's search_path, as in the services (databaseUrl.ts).
    const { client, schema } = pgConnection(process.env.DATABASE_URL!);
    // A full server is waited for (up to a minute) rather than failing the command (patientPgPool.ts).
    const pool = new PatientPgPool({ ...client, Client: NameAsTextClient, connectionTimeoutMillis: 60_000 });
    return new PrismaPg(pool, { schema, disposeExternalPool: true });
  },
});
