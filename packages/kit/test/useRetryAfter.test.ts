import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SIGNING_SECRET } from "@store/testing";
import {
  createSubgraph,
  encodeIdentity,
  ERRORS,
  gql,
  isClientSafe,
  isOverloadError,
  retryAnswerFor,
  signRouterRequest,
  silentLogger,
  type RequestContextBase,
  type RunningSubgraph,
  type Subgraph,
} from "../src/index.ts";

/** What Prisma throws, in shape: a message and a code. */
const prismaError = (code: string, message: string) => Object.assign(new Error(message), { code });
/** What pg-pool throws when no connection frees up within connectionTimeoutMillis; Prisma passes it on as it is. */
const poolTimeout = () => new Error("timeout exceeded when trying to connect");

describe("the error catalogue", () => {
  it("holds RATE_LIMITED (429) and SERVICE_OVERLOADED (503), both safe to show a client", () => {
    expect(ERRORS.RATE_LIMITED).toMatchObject({ code: "RATE_LIMITED", httpStatus: 429 });
    expect(ERRORS.SERVICE_OVERLOADED).toMatchObject({ code: "SERVICE_OVERLOADED", httpStatus: 503 });
    expect(isClientSafe(ERRORS.RATE_LIMITED.code)).toBe(true);
    expect(isClientSafe(ERRORS.SERVICE_OVERLOADED.code)).toBe(true);
  });
});

describe("isOverloadError", () => {
  it("knows a pool timeout, a transaction that could not start in time and PostgreSQL's too-many-connections", () => {
    expect(isOverloadError(poolTimeout())).toBe(true);
    expect(isOverloadError(prismaError("P2028", "Transaction API error: Unable to start a transaction in the given time."))).toBe(true);
    expect(isOverloadError(prismaError("P2037", "Too many database connections opened: sorry, too many clients already"))).toBe(true);
    expect(isOverloadError(new Error("wrapped", { cause: poolTimeout() }))).toBe(true);
  });

  it("leaves every other failure alone, other P2028s included: those are bugs", () => {
    expect(isOverloadError(prismaError("P2028", "Transaction API error: Transaction already closed: A query cannot be executed on an expired transaction."))).toBe(false);
    expect(isOverloadError(prismaError("P2002", "Unique constraint failed"))).toBe(false);
    expect(isOverloadError(new Error("invalid byte sequence for encoding \"UTF8\": 0x00"))).toBe(false);
    expect(isOverloadError("timeout exceeded when trying to connect")).toBe(false);
    expect(isOverloadError(undefined)).toBe(false);
  });
});

describe("retryAnswerFor", () => {
  it("picks the status of the retryable code and the longest wait, in whole seconds", () => {
    expect(retryAnswerFor([{ message: "x", extensions: { code: "RATE_LIMITED", retryAfterSeconds: 2.1 } }, { message: "y", extensions: { code: "RATE_LIMITED", retryAfterSeconds: 5 } }])).toEqual({ status: 429, retryAfterSeconds: 5 });
    expect(retryAnswerFor([{ message: "x", extensions: { code: "RATE_LIMITED", retryAfterSeconds: 2.1 } }])).toEqual({ status: 429, retryAfterSeconds: 3 });
    expect(retryAnswerFor([{ message: "x", extensions: { code: "SERVICE_OVERLOADED" } }])).toEqual({ status: 503, retryAfterSeconds: 1 });
    expect(retryAnswerFor([{ message: "x", extensions: { code: "BAD_USER_INPUT" } }])).toBeUndefined();
  });
});

describe("a kit subgraph under overload and throttling, over HTTP", () => {
  let subgraph: Subgraph<RequestContextBase>;
  let running: RunningSubgraph;

  beforeAll(async () => {
    subgraph = createSubgraph<RequestContextBase>({
      name: "toy",
      typeDefs: gql`
        type Query {
          fine: String
          poolTimeout: String!
          transactionWait: String!
          expiredTransaction: String!
          throttled: String!
          maybe: String
        }
      `,
      resolvers: {
        Query: {
          fine: () => "fine",
          poolTimeout: () => Promise.reject(poolTimeout()),
          transactionWait: () => Promise.reject(prismaError("P2028", "Transaction API error: Unable to start a transaction in the given time.")),
          expiredTransaction: () => Promise.reject(prismaError("P2028", "Transaction API error: Transaction already closed: A query cannot be executed on an expired transaction.")),
          throttled: () => Promise.reject(ERRORS.RATE_LIMITED.err("Too many attempts", { extensions: { retryAfterSeconds: 7.5 } })),
          maybe: () => Promise.reject(poolTimeout()),
        },
      },
      logger: silentLogger,
      createContext: (base) => base,
    });
    running = await subgraph.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
  });
  afterAll(() => subgraph.stop());

  type Result = { data?: Record<string, unknown> | null; errors?: { message: string; extensions: { code: string; retryAfterSeconds?: number } }[] };
  async function post(query: string) {
    const body = JSON.stringify({ query });
    const headers = signRouterRequest(TEST_SIGNING_SECRET, { method: "POST", subgraph: "toy", body, identity: encodeIdentity(null) });
    const response = await fetch(running.url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
    return { status: response.status, retryAfter: response.headers.get("retry-after"), result: (await response.json()) as Result };
  }

  it("answers a pool timeout and a late transaction start with 503 SERVICE_OVERLOADED and Retry-After", async () => {
    for (const field of ["poolTimeout", "transactionWait"]) {
      const { status, retryAfter, result } = await post(`{ ${field} }`);
      expect(status).toBe(503);
      expect(retryAfter).toBe("1");
      expect(result.data).toBeNull();
      expect(result.errors).toEqual([{ message: "The service is overloaded; try again shortly", path: [field], locations: expect.any(Array), extensions: { code: "SERVICE_OVERLOADED", retryAfterSeconds: 1 } }]);
    }
  });

  it("still hides a P2028 that is not about starting: a bug, 200 with INTERNAL_SERVER_ERROR", async () => {
    const { status, retryAfter, result } = await post(`{ expiredTransaction }`);
    expect(status).toBe(200);
    expect(retryAfter).toBeNull();
    expect(result.errors?.map((e) => [e.extensions.code, e.message])).toEqual([["INTERNAL_SERVER_ERROR", "Internal server error"]]);
  });

  it("answers RATE_LIMITED with 429 and the error's wait, rounded up", async () => {
    const { status, retryAfter, result } = await post(`{ throttled }`);
    expect(status).toBe(429);
    expect(retryAfter).toBe("8");
    expect(result.errors?.[0]?.extensions).toEqual({ code: "RATE_LIMITED", retryAfterSeconds: 7.5 });
  });

  it("keeps 200 for a partial result: the code is in the errors", async () => {
    const { status, retryAfter, result } = await post(`{ fine maybe }`);
    expect(status).toBe(200);
    expect(retryAfter).toBeNull();
    expect(result.data).toEqual({ fine: "fine", maybe: null });
    expect(result.errors?.map((e) => e.extensions.code)).toEqual(["SERVICE_OVERLOADED"]);
  });
});
