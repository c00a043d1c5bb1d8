/** Types of pgliteFront.mjs (plain JavaScript: it runs in the database's worker thread). */
import type { PGlite } from "@electric-sql/pglite";

export declare function searchPathOf(options: string | undefined): string | undefined;
export declare function servePglite(opening: Promise<PGlite>, options?: { host?: string; port?: number }): Promise<{ port: number; close: () => Promise<void> }>;
