/** Types of bundle.mjs (plain JavaScript: it runs before any TypeScript loader). */
export declare const BUNDLES: string;
export declare function ensureBundle(name: string, entry: string): Promise<{ file: string; made: boolean }>;
export declare function runBundle(file: string, options?: { cacheEvent?: string }): "accepted" | "none" | "rejected";
