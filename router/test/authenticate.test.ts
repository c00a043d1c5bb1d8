import { describe, expect, it } from "vitest";
import { HttpError, issueAccessToken, Role } from "@store/kit";
import { authenticate, bearerToken, expiryOf } from "../src/edge/authenticate.ts";

const JWT = "jwt-secret-for-router-tests-0123456789abcdef";
const ada = { userId: "u-ada", roles: [Role.Customer] };

/** The 401 `authenticate` throws, as { status, code, message }. */
async function refusal(value: unknown, secret = JWT) {
  const error = await authenticate(secret, value, "Authorization header").then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HttpError);
  const { status, code, message } = error as HttpError;
  return { status, code, message };
}

describe("bearerToken", () => {
  it("reads the token of 'Bearer <token>' in any case, and nothing else", () => {
    expect(bearerToken("Bearer abc.def.ghi")).toBe("abc.def.ghi");
    expect(bearerToken("bearer   abc")).toBe("abc");
    expect(bearerToken("Token abc")).toBeUndefined();
    expect(bearerToken("Bearer a b")).toBeUndefined();
    expect(bearerToken(42)).toBeUndefined();
  });
});

describe("authenticate", () => {
  it("is nobody without a value", async () => {
    for (const value of [undefined, null, ""]) expect(await authenticate(JWT, value, "Authorization header")).toBeNull();
  });

  it("is the token's identity when the access token is valid", async () => {
    const { accessToken } = await issueAccessToken(JWT, ada);
    expect(await authenticate(JWT, `Bearer ${accessToken}`, "Authorization header")).toEqual(ada);
  });

  it("refuses a value that is not 'Bearer <token>', naming where it came from", async () => {
    expect(await refusal("Token abc")).toEqual({ status: 401, code: "UNAUTHENTICATED", message: "Authorization header must be 'Bearer <token>'" });
    expect((await authenticate(JWT, { not: "a string" }, "connectionParams.authorization").catch((error: Error) => error.message))).toBe("connectionParams.authorization must be 'Bearer <token>'");
  });

  it("refuses a token that is not one of ours, or expired, with 401 UNAUTHENTICATED", async () => {
    expect(await refusal("Bearer not-a-jwt")).toEqual({ status: 401, code: "UNAUTHENTICATED", message: "Access token is invalid" });
    const { accessToken } = await issueAccessToken(JWT, ada);
    expect(await refusal(`Bearer ${accessToken}`, "another-secret-of-thirty-two-characters!")).toMatchObject({ message: "Access token is invalid" });
    const expired = await issueAccessToken(JWT, ada, 60, Date.now() - 3_600_000);
    expect(await refusal(`Bearer ${expired.accessToken}`)).toEqual({ status: 401, code: "UNAUTHENTICATED", message: "Access token has expired" });
  });
});

describe("expiryOf", () => {
  it("is the token's exp, in seconds", async () => {
    const { accessToken, expiresAt } = await issueAccessToken(JWT, ada, 600);
    expect(expiryOf(accessToken)).toBe(expiresAt.getTime() / 1000);
  });
});
