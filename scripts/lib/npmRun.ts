/**
 * For the scripts' tests: runs `npm run <script>` as an operator would, in the
 * repository, with only the variables given (plus PATH and HOME), so nothing
 * of the test runner's environment decides the outcome.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const repositoryRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface NpmRunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface NpmRunOptions {
  env?: Record<string, string>;
  /** Written to its stdin, which then ends. @default "" */
  input?: string;
  /**
   * Past this, the whole process group (npm, sh, tsx, node) is killed and the
   * result has code null: a command that should have exited but serves
   * instead must not outlive the test. @default 90000
   */
  timeoutMs?: number;
}

export function npmRun(script: string, args: readonly string[], { env = {}, input = "", timeoutMs = 90_000 }: NpmRunOptions = {}): Promise<NpmRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", script, "--", ...args], {
      cwd: repositoryRoot,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Gone already.
      }
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.stdin.end(input);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
