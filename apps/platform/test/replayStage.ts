/**
 * Replays a Dockerfile stage into a plain folder, where no container engine
 * runs: the folder stands for the stage's WORKDIR, the machine's Node for the
 * base image. COPY from the context copies the checkout through .dockerignore;
 * COPY --from=<stage> copies from the checkout as it is, node_modules and
 * generated clients included, because the checkout is what the build stage
 * produces (`npm ci` and `npm run generate` on these sources). RUN runs in the
 * folder with the stage's ENV and a fresh HOME, as in a fresh container. ENV,
 * USER, EXPOSE, HEALTHCHECK and CMD are returned for the caller to run the
 * image's processes as the image would. Any other instruction is refused, so
 * the replay breaks when the Dockerfile grows something it does not model.
 */
import { spawn } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, posix, relative } from "node:path";
import { envPairs, execForm, healthcheckOf, type Dockerfile, type Stage } from "./dockerfile.ts";

export interface ReplayOptions {
  dockerfile: Dockerfile;
  stage: Stage;
  /** The build context, which is also the other stages' result: the checkout. */
  context: string;
  /** An empty folder that becomes the stage's WORKDIR. */
  into: string;
  /** An empty folder, HOME for the RUN instructions (npm's cache lands there). */
  home: string;
}

export interface ReplayedStage {
  /** The WORKDIR the folder stands for, e.g. `/app`. */
  workdir: string;
  /** Every ENV of the stage, in effect for its processes. */
  env: Record<string, string>;
  user: string | undefined;
  expose: string[];
  healthcheck: { options: Record<string, string>; command: string[] | undefined } | undefined;
  cmd: string[] | undefined;
}

export async function replayStage({ dockerfile, stage, context, into, home }: ReplayOptions): Promise<ReplayedStage> {
  const replayed: ReplayedStage = { workdir: "", env: {}, user: undefined, expose: [], healthcheck: undefined, cmd: undefined };
  const ignored = dockerignore(context);
  /** A path in the stage's filesystem, as a path in the folder. */
  const local = (path: string): string => {
    const absolute = posix.resolve(replayed.workdir, path);
    if (absolute !== replayed.workdir && !absolute.startsWith(`${replayed.workdir}/`)) throw new Error(`${path} is outside WORKDIR ${replayed.workdir}: the replay maps WORKDIR only`);
    return join(into, posix.relative(replayed.workdir, absolute));
  };
  for (const { keyword, flags, args, line } of stage.instructions) {
    const at = `Dockerfile line ${line}`;
    const unknownFlags = Object.keys(flags).filter((flag) => !(keyword === "COPY" && flag === "from") && !(keyword === "HEALTHCHECK" && ["interval", "timeout", "start-period", "start-interval", "retries"].includes(flag)));
    if (unknownFlags.length > 0) throw new Error(`${at}: the replay does not model ${keyword} --${unknownFlags.join(", --")}`);
    if (keyword !== "WORKDIR" && !replayed.workdir) throw new Error(`${at}: ${keyword} before WORKDIR`);
    switch (keyword) {
      case "WORKDIR":
        if (replayed.workdir) throw new Error(`${at}: a second WORKDIR; the replay maps one folder`);
        if (!args.startsWith("/")) throw new Error(`${at}: WORKDIR must be absolute`);
        replayed.workdir = posix.normalize(args);
        break;
      case "ENV":
        Object.assign(replayed.env, envPairs(args));
        break;
      case "COPY": {
        const paths = execForm(args) ?? args.split(/\s+/);
        const destination = paths.pop()!;
        if (paths.length === 0) throw new Error(`${at}: COPY wants a source and a destination`);
        for (const source of paths) {
          if (flags.from === undefined) copyFromContext(context, source, local(destination), destination.endsWith("/") || paths.length > 1, ignored);
          else copyFromStage(dockerfile.stage(flags.from), context, source, local(destination), destination.endsWith("/") || paths.length > 1);
        }
        break;
      }
      case "RUN":
        await run(execForm(args) ?? ["/bin/sh", "-c", args], { cwd: into, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ...replayed.env } }, at);
        break;
      case "USER":
        replayed.user = args;
        break;
      case "EXPOSE":
        replayed.expose.push(...args.split(/\s+/));
        break;
      case "HEALTHCHECK":
        replayed.healthcheck = healthcheckOf({ keyword, flags, args, line });
        break;
      case "CMD":
        replayed.cmd = execForm(args) ?? ["/bin/sh", "-c", args];
        break;
      default:
        throw new Error(`${at}: the replay does not model ${keyword}`);
    }
  }
  return replayed;
}

/** COPY --from=<stage>: the stage's WORKDIR is the checkout; copied as it is. */
function copyFromStage(from: Stage, checkout: string, source: string, destination: string, intoDirectory: boolean): void {
  const workdir = from.instructions.find((i) => i.keyword === "WORKDIR")?.args;
  if (!workdir || !source.startsWith(`${workdir}/`)) throw new Error(`COPY --from=${from.name} ${source}: the replay maps paths under that stage's WORKDIR (${workdir}) only`);
  const path = join(checkout, source.slice(workdir.length + 1));
  if (!existsSync(path)) throw new Error(`COPY --from=${from.name} ${source}: ${path} does not exist (has the build step, e.g. npm run generate, run in the checkout?)`);
  const target = statSync(path).isDirectory() || !intoDirectory ? destination : join(destination, basename(path));
  cpSync(path, target, { recursive: true, verbatimSymlinks: true });
}

/** COPY from the context: the checkout, less what .dockerignore excludes. */
function copyFromContext(context: string, source: string, destination: string, intoDirectory: boolean, ignored: (path: string) => boolean): void {
  const path = join(context, source);
  const relativePath = posix.normalize(relative(context, path).split("\\").join("/"));
  if (relativePath.startsWith("..")) throw new Error(`COPY ${source}: outside the context`);
  if (!statSync(path).isDirectory()) {
    if (ignored(relativePath)) throw new Error(`COPY ${source}: excluded by .dockerignore`);
    const target = intoDirectory ? join(destination, basename(path)) : destination;
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(path, target);
    return;
  }
  const walk = (dir: string, into: string) => {
    mkdirSync(into, { recursive: true });
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const from = join(dir, entry.name);
      const inContext = relative(context, from).split("\\").join("/");
      if (ignored(inContext)) continue;
      if (entry.isDirectory()) walk(from, join(into, entry.name));
      else copyFileSync(from, join(into, entry.name));
    }
  };
  walk(path, destination);
}

/**
 * The context's .dockerignore as a predicate on context-relative paths, with
 * Docker's rules: `*` and `?` stop at `/`, `**` spans folders, a pattern
 * matches a path or any folder above it.
 */
export function dockerignore(context: string): (path: string) => boolean {
  const file = join(context, ".dockerignore");
  const patterns = (existsSync(file) ? readFileSync(file, "utf8") : "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      // A `!` exception can re-include a file under an excluded folder, which the copy prunes whole.
      if (l.startsWith("!")) throw new Error(`.dockerignore: the replay does not model exceptions (${l})`);
      return globToRegex(posix.normalize(l.replace(/^\/+/, "")));
    });
  return (path) => {
    const parts = path.split("/");
    return patterns.some((regex) => parts.some((_, i) => regex.test(parts.slice(0, i + 1).join("/"))));
  };
}

function globToRegex(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "*" && pattern[i + 1] === "*") {
      // `**/` is any number of leading folders, none included; `**` elsewhere anything.
      if (pattern[i + 2] === "/") {
        source += "(?:.*/)?";
        i += 2;
      } else {
        source += ".*";
        i += 1;
      }
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

function run(argv: string[], options: { cwd: string; env: Record<string, string> }, at: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${at}: RUN ${argv.join(" ")} failed (${signal ?? `exit ${code}`}):\n${output.slice(-4000)}`));
    });
  });
}
