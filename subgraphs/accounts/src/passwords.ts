import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Password hashing with scrypt from node:crypto. A stored hash names its own
 * parameters (`scrypt$N$r$p$saltB64$hashB64`), so the cost can be raised later
 * without invalidating hashes already in the database.
 */
export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1, keylen: 64, saltBytes: 16 } as const;

const PREFIX = "scrypt";

// Bounds on what a stored hash may ask for: a corrupt or hostile row must not
// make one sign-in burn gigabytes of memory or minutes of CPU.
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string, salt: Buffer, keylen: number, options: ScryptOptions & { N: number; r: number; p: number }): Promise<Buffer> {
  // scrypt needs about 128 * N * r bytes; the default 32 MiB cap would refuse the upper bounds above.
  const maxmem = 256 * options.N * options.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    // NFKC: the same password typed on another keyboard or OS may arrive in a different Unicode form.
    scrypt(password.normalize("NFKC"), salt, keylen, { ...options, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keylen, saltBytes } = SCRYPT_PARAMS;
  const salt = randomBytes(saltBytes);
  const hash = await derive(password, salt, keylen, { N, r, p });
  return [PREFIX, N, r, p, salt.toString("base64"), hash.toString("base64")].join("$");
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== PREFIX) return null;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^\d{1,8}$/.test(part) ? Number(part) : NaN)) as [number, number, number];
  const isPowerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (!isPowerOfTwo || N > 2 ** MAX_LOG2_N) return null;
  if (!Number.isInteger(r) || r < 1 || r > MAX_R || !Number.isInteger(p) || p < 1 || p > MAX_P) return null;
  const salt = Buffer.from(parts[4]!, "base64");
  const hash = Buffer.from(parts[5]!, "base64");
  if (salt.length < 8 || hash.length < 16 || hash.length > 256) return null;
  return { N, r, p, salt, hash };
}

/** True when `password` matches `stored`; false for a mismatch or a hash this module cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.hash.length, { N: parsed.N, r: parsed.r, p: parsed.p });
  // Same length by construction (keylen is taken from the stored hash), as timingSafeEqual requires.
  return timingSafeEqual(candidate, parsed.hash);
}

/**
 * A valid hash of a random password that was thrown away. Sign-in verifies
 * against it when the email is unknown, so both failures cost one scrypt run
 * and response time does not reveal which accounts exist.
 */
export const DUMMY_PASSWORD_HASH =
  "scrypt$16384$8$1$FyU62XFyZW35mRnIv7IHXg==$E6PlVTysKPAT7lvW3shHGnOKAeHECnIHEk07QB9xYKpddjrXuA2XEFWA+IL24ZWZlbGYZRwKDTNPY8H/9BkjGw==";
