import { z } from "zod";
import { loadConfig } from "@store/kit";

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().min(1).max(600_000);

export const routerConfigSchema = z
  .object({
    PORT: port.default(4000),
    HOST: z.string().default("127.0.0.1"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Path of the supergraph SDL; watched and reloaded on change. */
    SUPERGRAPH_PATH: z.string().default("supergraph.graphql"),
    /** Alternatively, a URL polled for the supergraph SDL. */
    SUPERGRAPH_URL: z.url().optional(),
    SUPERGRAPH_POLL_INTERVAL_MS: positiveMs.default(10_000),
    ROUTER_SIGNING_SECRET: z.string().min(32, "must be at least 32 characters"),
    JWT_SECRET: z.string().min(32, "must be at least 32 characters"),
    SUBGRAPH_TIMEOUT_MS: positiveMs.default(10_000),
    /** Comma-separated origins allowed by CORS; empty allows none but same-origin. */
    CORS_ORIGINS: z.string().default(""),
  });

export type RouterConfig = z.output<typeof routerConfigSchema> & {
  /** Routing URL overrides from SUBGRAPH_<NAME>_URL, keyed by subgraph name. */
  subgraphUrls: Record<string, string>;
};

/** Parses the router's environment; SUBGRAPH_<NAME>_URL variables override routing URLs. */
export function loadRouterConfig(env: Record<string, string | undefined> = process.env): RouterConfig {
  const parsed = loadConfig(routerConfigSchema, env);
  const subgraphUrls: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^SUBGRAPH_([A-Z0-9_]+)_URL$/.exec(key);
    if (match?.[1] && value) subgraphUrls[match[1].toLowerCase()] = value;
  }
  return { ...parsed, subgraphUrls };
}
