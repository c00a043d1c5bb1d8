import { describe, expect, it } from "vitest";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "../src/passwords.ts";

describe("passwords", () => {
  it("stores scrypt hashes that describe themselves: scrypt$N$r$p$salt$hash", async () => {
    const stored = await hashPassword("correct horse battery staple");
    const [scheme, N, r, p, salt, hash, ...rest] = stored.split("$");
    expect(rest).toEqual([]);
    expect(scheme).toBe("scrypt");
    expect([Number(N), Number(r), Number(p)]).toEqual([16384, 8, 1]);
    expect(Buffer.from(salt!, "base64")).toHaveLength(16);
    expect(Buffer.from(hash!, "base64")).toHaveLength(64);
    expect(stored).not.toContain("correct horse");
  });

  it("verifies the right password and rejects a wrong one", async () => {
    const stored = await hashPassword("storefront-demo-1");
    expect(await verifyPassword("storefront-demo-1", stored)).toBe(true);
    expect(await verifyPassword("storefront-demo-2", stored)).toBe(false);
    expect(await verifyPassword("Storefront-demo-1", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts every hash, so the same password hashes differently each time", async () => {
    const [a, b] = await Promise.all([hashPassword("same password"), hashPassword("same password")]);
    expect(a).not.toBe(b);
    expect(a.split("$")[4]).not.toBe(b.split("$")[4]);
    expect(await verifyPassword("same password", a)).toBe(true);
    expect(await verifyPassword("same password", b)).toBe(true);
  });

  it("verifies with the parameters a hash was stored with, not the current defaults", async () => {
    // A hash made at a lower cost must keep working after the defaults are raised.
    const { scryptSync, randomBytes } = await import("node:crypto");
    const salt = randomBytes(16);
    const key = scryptSync("older password", salt, 32, { N: 1024, r: 4, p: 2 });
    const stored = `scrypt$1024$4$2$${salt.toString("base64")}$${key.toString("base64")}`;
    expect(await verifyPassword("older password", stored)).toBe(true);
    expect(await verifyPassword("other password", stored)).toBe(false);
  });

  it("treats unreadable or abusive stored hashes as a mismatch rather than throwing", async () => {
    const good = await hashPassword("whatever-password");
    const [, , , , salt, hash] = good.split("$");
    for (const stored of [
      "",
      "plain-text",
      `bcrypt$16384$8$1$${salt}$${hash}`,
      `scrypt$16384$8$1$${salt}`,
      `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${hash}`, // would need gigabytes of memory
      `scrypt$16384$0$1$${salt}$${hash}`,
      `scrypt$16384$8$1$$${hash}`, // no salt
    ]) {
      expect(await verifyPassword("whatever-password", stored), stored).toBe(false);
    }
  });

  it("has a readable dummy hash that matches no likely password", async () => {
    expect(DUMMY_PASSWORD_HASH).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$/);
    expect(await verifyPassword("", DUMMY_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword("storefront-demo-1", DUMMY_PASSWORD_HASH)).toBe(false);
  });

  it("treats differently normalised Unicode of the same password as equal", async () => {
    const stored = await hashPassword("Crème brûlée 2026");
    expect(await verifyPassword("Cre\u0300me bru\u0302le\u0301e 2026", stored)).toBe(true);
  });
});
