/**
 * Reads a password the way a command should take one: from a variable (for
 * scripts) or one line of stdin; typed at a terminal, without echo and twice.
 * Never from the command line, where `ps` and shell history would keep it.
 */
import { CliError, EXIT } from "./cli.ts";

/** The first line of `input` (without its line break); undefined when it ends before giving any. */
export async function readLine(input: NodeJS.ReadableStream): Promise<string | undefined> {
  let text = "";
  input.setEncoding("utf8");
  // Stops at the first line break: a pipe that stays open must not keep the command waiting.
  for await (const chunk of input) {
    text += chunk as string;
    const end = text.indexOf("\n");
    if (end >= 0) return text.slice(0, end).replace(/\r$/, "");
  }
  return text === "" ? undefined : text.replace(/\r$/, "");
}

const CTRL_C = "\u0003";
const CTRL_D = "\u0004";
const BACKSPACE = new Set(["\u007f", "\b"]);

/** One line typed at the terminal, not echoed. Ctrl-C cancels (exit 130, as a shell reports SIGINT). */
export function readHidden(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const finish = (error?: Error) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      output.write("\n");
      if (error) reject(error);
      else resolve(typed.join(""));
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n" || char === CTRL_D) return finish();
        if (char === CTRL_C) return finish(new CliError("cancelled", 130));
        // By code point, so an erased emoji leaves no half behind.
        typed = BACKSPACE.has(char) ? typed.slice(0, -1) : [...typed, char];
      }
    };
    output.write(prompt);
    input.setEncoding("utf8");
    input.setRawMode(true);
    input.on("data", onData);
    input.resume();
  });
}

export interface ReadPasswordOptions {
  /** The variable scripts give it in, e.g. ADMIN_PASSWORD. */
  variable: string;
  env: Record<string, string | undefined>;
  input: NodeJS.ReadStream;
  /** Where a terminal's prompts go (stderr: stdout may be piped to something). */
  output: NodeJS.WritableStream;
}

/** The password from `variable` when set, else stdin; a terminal is asked twice, and two different answers are refused (65). */
export async function readPassword({ variable, env, input, output }: ReadPasswordOptions): Promise<string> {
  const fromEnv = env[variable];
  if (fromEnv) return fromEnv;
  if (!input.isTTY) {
    const line = await readLine(input);
    if (line === undefined) throw new CliError(`no password: give it as one line on stdin, or in ${variable}`, EXIT.DATA);
    return line;
  }
  const first = await readHidden(input, output, "Password: ");
  const again = await readHidden(input, output, "Password (again): ");
  if (first !== again) throw new CliError("the two passwords differ; nothing was changed", EXIT.DATA);
  return first;
}
