/**
 * How the operator commands (db:create, migrate, seed, admin:create) end: a
 * message naming what is wrong and a sysexits(3) code a script can act on,
 * never a stack trace for a mistake in their input or environment.
 */
import { ConfigError } from "@store/kit";

export const EXIT = {
  OK: 0,
  /** Anything else that failed (a migration that does not apply, say): the message says what. */
  FAILED: 1,
  /** Wrong arguments. */
  USAGE: 64,
  /** Bad input: a weak password, a malformed email. */
  DATA: 65,
  /** PostgreSQL cannot be reached, refuses the login, or lacks the database. */
  UNAVAILABLE: 69,
  /** What was asked for cannot be made: the email belongs to an account that is no admin. */
  CANT_CREATE: 73,
  /** Missing or bad configuration (environment variables), as everywhere else. */
  CONFIG: 78,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Connection failures and PostgreSQL's and Prisma's codes for "not reachable", "login refused" and "no such database". */
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "EAI_AGAIN", "28000", "28P01", "3D000", "P1000", "P1001", "P1003"]);

/** What to do about a code, where the message alone leaves it open. */
const HINTS: Record<string, string> = {
  "3D000": "npm run db:create creates it, npm run migrate then migrates it",
  P1003: "npm run db:create creates it, npm run migrate then migrates it",
  // A table that does not exist: the database was never migrated.
  P2021: "npm run migrate applies the migrations",
};

const codeOf = (error: Error): string | undefined => {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
};

/** An error's message for an operator: Prisma's last line (it puts a code frame before it), with a hint where one helps. */
function describeError(error: Error): string {
  const code = codeOf(error);
  const message = code?.startsWith("P") ? (error.message.trim().split("\n").at(-1)?.trim() ?? code) : error.message || (code ?? error.name);
  return code && HINTS[code] ? `${message} (${HINTS[code]})` : message;
}

/** Why the database is out of reach, when `error` (or an error it wraps) says it is. */
export function databaseUnavailable(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (UNAVAILABLE_CODES.has(codeOf(current) ?? "")) return describeError(current);
    if (current instanceof AggregateError) {
      const inner = current.errors.map(databaseUnavailable).find((reason) => reason !== undefined);
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * Runs a command's `main` and exits with its code: 0 when it returns, the
 * code of a CliError, 78 for a ConfigError, 69 when the database is out of
 * reach, 1 for anything else; each with its message on stderr.
 */
export async function runCli(name: string, main: () => Promise<number | void>): Promise<never> {
  let code: number;
  try {
    code = (await main()) ?? EXIT.OK;
  } catch (error) {
    const unavailable = databaseUnavailable(error);
    if (error instanceof CliError) code = error.exitCode;
    else if (error instanceof ConfigError) code = EXIT.CONFIG;
    else code = unavailable ? EXIT.UNAVAILABLE : EXIT.FAILED;
    const message = unavailable && !(error instanceof CliError) ? `cannot use the database: ${unavailable}` : error instanceof Error ? describeError(error) : String(error);
    process.stderr.write(`${name}: ${message}\n`);
  }
  process.exit(code);
}
