/**
 * `npm run admin:create -- --email <email> [--name <name>]`: creates an ADMIN
 * account in the accounts database (DATABASE_URL, or `accounts` on
 * DATABASE_SERVER_URL). The only way an admin is made: no API grants the role.
 * The password comes from ADMIN_PASSWORD or one line of stdin (typed at a
 * terminal: hidden, asked twice), never from the command line; it must pass
 * signUp's rules and is hashed as signUp hashes it.
 *
 * Exit codes:
 *   0  created; or the email is an admin's already (nothing changed, its password neither)
 *   64 usage          65 bad input (email, name, password)
 *   69 database out of reach, or missing
 *   73 the email belongs to an account that is no admin (it is not promoted)
 *   78 configuration (DATABASE_URL / DATABASE_SERVER_URL)
 */
import { parseArgs } from "node:util";
import { accountsService } from "@store/accounts";
import { adminInput, createAdmin } from "@store/accounts/createAdmin";
import { CliError, EXIT, runCli } from "./lib/cli.ts";
import { databaseUrlOf, redactUrl } from "./lib/databases.ts";
import { readPassword } from "./lib/readPassword.ts";

const USAGE = "usage: npm run admin:create -- --email <email> [--name <name>]   (the password on stdin, or in ADMIN_PASSWORD)";
const DEFAULT_NAME = "Administrator";

function parseCommandLine(args: string[]): { email: string; name: string } {
  let values: { email?: string; name?: string };
  try {
    ({ values } = parseArgs({ args, options: { email: { type: "string" }, name: { type: "string" } }, strict: true, allowPositionals: false }));
  } catch (error) {
    const hint = args.some((arg) => arg.startsWith("--password")) ? " (a password is never taken from the command line, where ps and shell history keep it)" : "";
    throw new CliError(`${(error as Error).message}${hint}\n${USAGE}`, EXIT.USAGE);
  }
  if (values.email === undefined) throw new CliError(`--email is required\n${USAGE}`, EXIT.USAGE);
  return { email: values.email, name: values.name ?? DEFAULT_NAME };
}

/** Each problem on a line of its own, named as the command line names it. */
const describe = (problems: { field: string; message: string }[]) => problems.map((p) => `${p.field === "password" ? "password" : `--${p.field}`}: ${p.message}`).join("\n");

await runCli("admin:create", async () => {
  const { email, name } = parseCommandLine(process.argv.slice(2));
  // Configuration and the email and name first: nobody types a password for a command that cannot succeed.
  const databaseUrl = databaseUrlOf("accounts", process.env);
  const identity = adminInput.pick({ email: true, name: true }).safeParse({ email, name });
  if (!identity.success) throw new CliError(describe(identity.error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message }))), EXIT.DATA);
  const password = await readPassword({ variable: "ADMIN_PASSWORD", env: process.env, input: process.stdin, output: process.stderr });
  const prisma = accountsService.createPrisma({ url: databaseUrl, poolSize: 1 });
  try {
    const result = await createAdmin(prisma, { email, name, password });
    switch (result.outcome) {
      case "invalid":
        throw new CliError(describe(result.problems), EXIT.DATA);
      case "exists":
        if (result.role !== "ADMIN") throw new CliError(`${result.email} belongs to an account that is no admin; it is left as it is (an admin is made only with a new email)`, EXIT.CANT_CREATE);
        process.stdout.write(`admin ${result.email} exists already (${result.userId}); nothing changed, its password neither\n`);
        return EXIT.OK;
      case "created":
        process.stdout.write(`created admin ${result.email} (${result.userId}) in ${redactUrl(databaseUrl)}\n`);
        return EXIT.OK;
    }
  } finally {
    await prisma.$disconnect();
  }
});
