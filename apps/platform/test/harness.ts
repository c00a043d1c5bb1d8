import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createLogger, silentLogger } from "@store/kit";
import { createTestDatabase } from "@store/testing";
import { startPlatform, type Platform, type StartPlatformOptions } from "../src/index.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));

export const TEST_SECRETS = {
  routerSigningSecret: "e2e-router-signing-secret-0123456789abcdef",
  jwtSecret: "e2e-jwt-signing-secret-0123456789abcdefghij",
};

/**
 * The pause between checks that cost a request through the router or a new
 * database connection: a few a second, so that polling beside a busy saga is
 * not what slows it down (the `eventually` default of 20 ms is for checks of
 * this process's own state).
 */
export const PLATFORM_POLL_MS = 250;

/** The platform on throwaway PostgreSQL databases (one per subgraph), on free ports. */
export function startTestPlatform(overrides: Partial<StartPlatformOptions> = {}): Promise<Platform> {
  return startPlatform({
    database: async (service) => {
      const db = await createTestDatabase({ prismaDir: service.prismaDir, label: `e2e_${service.name}` });
      return { url: db.url, close: db.drop };
    },
    ports: "ephemeral",
    secrets: TEST_SECRETS,
    seed: true,
    supergraphPath: `${root}supergraph.graphql`,
    // TEST_LOG_LEVEL=warn shows what the services log while a test runs.
    logger: process.env.TEST_LOG_LEVEL ? createLogger({ name: "e2e", level: process.env.TEST_LOG_LEVEL as "warn" }) : silentLogger,
    poolSize: 5,
    // Generous: 50 concurrent orders on a loaded 2-core CI machine queue on a pool of 5.
    routerEnv: { SUBGRAPH_TIMEOUT_MS: "15000" },
    ...overrides,
  });
}

/** A registered operation from operations/<area>/<Name>.graphql, as clients send it. */
export function operation(path: string): string {
  return readFileSync(`${root}operations/${path}.graphql`, "utf8");
}

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** POSTs one operation to the router over real HTTP, as a client app does. */
export async function request<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, "status">;
  return { status: response.status, ...body };
}
