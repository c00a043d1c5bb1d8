import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountsService } from "@store/accounts";
import { connectTestClient, createTestDatabase, type TestDatabase } from "@store/testing";
import { verifyPassword } from "../subgraphs/accounts/src/passwords.ts";
import { npmRun } from "./lib/npmRun.ts";

/**
 * `npm run admin:create` as an operator runs it, on a migrated accounts
 * database holding the demo users (seeded with `npm run seed -- accounts`):
 * what it makes, what it refuses, and the exit code of each.
 */

let db: TestDatabase;
const PASSWORD = "first-admin-password-1";

const adminCreate = (args: string[], { input = "", env = {} }: { input?: string; env?: Record<string, string> } = {}) =>
  npmRun("admin:create", args, { input, env: { DATABASE_URL: db.url, ...env } });

async function userByEmail(email: string) {
  const client = await connectTestClient(db.url);
  try {
    const { rows } = await client.query<{ id: string; role: string; name: string; passwordHash: string }>(`SELECT id, role, name, "passwordHash" FROM "User" WHERE email = $1`, [email]);
    return rows[0];
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir: accountsService.prismaDir, label: "admin_cli" });
  const seeded = await npmRun("seed", ["accounts"], { env: { DATABASE_URL: db.url } });
  expect(seeded.code, seeded.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await db?.drop();
});

describe("npm run admin:create", { timeout: 120_000 }, () => {
  it("creates an admin with the password from stdin, hashed as accounts hashes passwords, and announces it", async () => {
    const result = await adminCreate(["--email", " Ops@Example.COM ", "--name", "Store Ops"], { input: `${PASSWORD}\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^created admin ops@example\.com \(/);
    const user = await userByEmail("ops@example.com");
    expect(user).toMatchObject({ role: "ADMIN", name: "Store Ops" });
    expect(user!.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword(PASSWORD, user!.passwordHash)).toBe(true);
    const client = await connectTestClient(db.url);
    try {
      const { rows } = await client.query<{ type: string; envelope: { payload: { userId: string } } }>(`SELECT type, envelope FROM "OutboxEvent"`);
      expect(rows).toEqual([expect.objectContaining({ type: "UserRegistered", envelope: expect.objectContaining({ payload: expect.objectContaining({ userId: user!.id }) }) })]);
    } finally {
      await client.end();
    }
  });

  it("leaves an existing admin as it is, password included, and says so (exit 0)", async () => {
    const before = await userByEmail("ops@example.com");
    const result = await adminCreate(["--email", "ops@example.com"], { env: { ADMIN_PASSWORD: "another-password-123" } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("exists already");
    expect(await userByEmail("ops@example.com")).toEqual(before);
  });

  it("never promotes a customer (exit 73)", async () => {
    const result = await adminCreate(["--email", "ada@example.com"], { input: `${PASSWORD}\n` });
    expect(result.code).toBe(73);
    expect(result.stderr).toContain("ada@example.com belongs to an account that is no admin");
    expect((await userByEmail("ada@example.com"))!.role).toBe("CUSTOMER");
  });

  it("refuses bad input with exit 65: signUp's rules, and no password at all", async () => {
    const weak = await adminCreate(["--email", "weak@example.com"], { input: "short\n" });
    expect([weak.code, weak.stderr.trim()]).toEqual([65, "admin:create: password: password must be at least 10 characters"]);
    const badEmail = await adminCreate(["--email", "not-an-email"], { input: `${PASSWORD}\n` });
    expect([badEmail.code, badEmail.stderr.trim()]).toEqual([65, "admin:create: --email: email must be a valid email address"]);
    const emptyName = await adminCreate(["--email", "named@example.com", "--name", "  "], { input: `${PASSWORD}\n` });
    expect([emptyName.code, emptyName.stderr.trim()]).toEqual([65, "admin:create: --name: must not be empty"]);
    const none = await adminCreate(["--email", "none@example.com"]);
    expect([none.code, none.stderr.trim()]).toEqual([65, "admin:create: no password: give it as one line on stdin, or in ADMIN_PASSWORD"]);
    for (const email of ["weak@example.com", "named@example.com", "none@example.com"]) expect(await userByEmail(email)).toBeUndefined();
  });

  it("refuses a wrong command line with exit 64, a password on it included", async () => {
    const missing = await adminCreate([]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain("--email is required");
    const onArgv = await adminCreate(["--email", "argv@example.com", "--password", PASSWORD]);
    expect(onArgv.code).toBe(64);
    expect(onArgv.stderr).toContain("never taken from the command line");
    const positional = await adminCreate(["--email", "argv@example.com", "extra"]);
    expect(positional.code).toBe(64);
    expect(await userByEmail("argv@example.com")).toBeUndefined();
  });

  it("names the missing configuration (78) and the unreachable database (69)", async () => {
    const unset = await npmRun("admin:create", ["--email", "cfg@example.com"], { input: `${PASSWORD}\n` });
    expect(unset.code).toBe(78);
    expect(unset.stderr).toContain("DATABASE_URL: is required, or DATABASE_SERVER_URL");
    const unreachable = await adminCreate(["--email", "cfg@example.com"], { input: `${PASSWORD}\n`, env: { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/accounts" } });
    expect(unreachable.code).toBe(69);
    expect(unreachable.stderr).toContain("cannot use the database");
  });
});
