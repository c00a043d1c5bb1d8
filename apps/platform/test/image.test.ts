import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { demoCategories } from "@store/demo-data";
import { freePort } from "@store/kit";
import { readSupergraphConfig } from "@store/supergraph";
import { connectTestClient, DEFAULT_ADMIN_URL, eventually } from "@store/testing";
import { readDockerfile } from "./dockerfile.ts";
import { replayStage, type ReplayedStage } from "./replayStage.ts";

/**
 * Docker cannot run here, so the image is proven by replaying its runtime
 * stage from docker/Dockerfile into a fresh folder (replayStage.ts: COPY,
 * RUN `npm ci --omit=dev` from the registry, ENV, ...), then running what the
 * image runs from that folder: catalog with compose's command (migrations
 * included) and its demo data with compose's seed command, the router with
 * the image's CMD, against the shared PostgreSQL (a database of its own), and
 * the image's HEALTHCHECK against both. As root, the processes run as the
 * Dockerfile's USER when this machine has it, else as nobody: not as the
 * owner of the folder, which they must not need to write.
 */
const root = fileURLToPath(new URL("../../..", import.meta.url));
const SIGNING = "router-signing-secret-for-image-test-0123456789";
const hasStrace = spawnSync("strace", ["-V"]).status === 0;
const subgraphs = ["accounts", "catalog", "inventory", "cart", "orders", "payments", "shipping"];
const compose = parse(readFileSync(`${root}docker-compose.yml`, "utf8"), { merge: true }) as { services: Record<string, { command?: string[] }> };

/** A process of the image, as a container would run it: its env, the folder as WORKDIR. */
interface ImageProcess {
  child: ChildProcess;
  /** The node process itself (under strace, strace's child). */
  pid: () => number;
  exited: Promise<number | null>;
  output: () => string;
  /** Files it opened (under strace), else undefined. */
  opened: () => string[] | undefined;
}

let dir: string;
let app: string;
let image: ReplayedStage;
let runAs: { uid: number; gid: number } | undefined;
let database: { name: string; url: string } | undefined;
let catalog: ImageProcess | undefined;
let router: ImageProcess | undefined;
const ports = { catalog: 0, router: 0, metrics: 0, closed: 0 };

/** The environment of a container of the image: the stage's ENV, then the service's. */
function containerEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(dir, "home-run"), TMPDIR: join(dir, "tmp"), ...image.env, ...env };
}

function startImageProcess(name: string, command: string[], env: Record<string, string>): ImageProcess {
  const log = join(dir, "logs", `${name}.strace`);
  const argv = hasStrace ? ["strace", "-f", "-qq", "-e", "trace=open,openat", "-o", log, ...command] : command;
  const child = spawn(argv[0]!, argv.slice(1), { cwd: app, env: containerEnv(env), stdio: ["ignore", "pipe", "pipe"], ...runAs });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    pid: () => (hasStrace ? childOf(child.pid!) : child.pid!),
    exited,
    output: () => output,
    opened: () => (hasStrace ? [...readFileSync(log, "utf8").matchAll(/open(?:at)?\((?:AT_FDCWD|\d+), "([^"]+)"/g)].map((m) => m[1]!) : undefined),
  };
}

/** The process whose parent is `pid` (strace's tracee). */
function childOf(pid: number): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone since the listing
    }
    // Fields after the command name, which may hold spaces: state, ppid, ...
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === pid) return Number(entry);
  }
  throw new Error(`no child of ${pid}`);
}

async function waitReady(service: ImageProcess, port: number, what: string): Promise<void> {
  await eventually(
    async () => {
      if (service.child.exitCode !== null) throw new Error(`exited ${service.child.exitCode}`);
      return (await fetch(`http://127.0.0.1:${port}/ready`)).ok;
    },
    { what, timeoutMs: 180_000, intervalMs: 250 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${service.output().slice(-3000)}`);
  });
}

/** Stops like `docker stop`: SIGTERM to the node process; its exit code. */
async function stop(service: ImageProcess | undefined): Promise<number | null | undefined> {
  if (!service || service.child.exitCode !== null) return service?.child.exitCode;
  const pid = service.pid();
  process.kill(pid, "SIGTERM");
  // Node first: strace killed alone would leave it running, detached.
  const timer = setTimeout(() => {
    for (const stuck of [pid, service.child.pid!]) {
      try {
        process.kill(stuck, "SIGKILL");
      } catch {
        // gone already
      }
    }
  }, 20_000);
  const code = await service.exited;
  clearTimeout(timer);
  return code;
}

/** A one-shot command in a container of the image, e.g. `docker compose run`. */
function runImageCommand(command: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd: app, env: containerEnv(env), stdio: ["ignore", "pipe", "pipe"], ...runAs });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

function healthcheck(port: number): number | null {
  const [command, ...args] = image.healthcheck!.command!;
  return spawnSync(command!, args, { cwd: app, env: containerEnv({ PORT: String(port) }), timeout: 30_000, ...runAs }).status;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "store-image-"));
  app = join(dir, "app");
  for (const sub of ["app", "home-build", "home-run", "tmp", "logs"]) mkdirSync(join(dir, sub));
  const dockerfile = readDockerfile(`${root}docker/Dockerfile`);
  image = await replayStage({ dockerfile, stage: dockerfile.final, context: root, into: app, home: join(dir, "home-build") });

  if (process.getuid?.() === 0) {
    const user = readFileSync("/etc/passwd", "utf8").split("\n").map((line) => line.split(":")).find((fields) => fields[0] === image.user);
    runAs = user ? { uid: Number(user[2]), gid: Number(user[3]) } : { uid: 65534, gid: 65534 };
    // Readable by the image's user, writable only where a container's would be.
    chmodSync(dir, 0o755);
    for (const sub of ["home-run", "tmp", "logs"]) chmodSync(join(dir, sub), 0o1777);
  }

  const admin = await connectTestClient(process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL);
  const name = `test_${process.env.TEST_RUN_ID ?? "adhoc"}_image_catalog_${randomBytes(4).toString("hex")}`;
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL);
  url.pathname = `/${name}`;
  database = { name, url: url.toString() };

  for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
  // Compose's own command for catalog, migrations included.
  catalog = startImageProcess("catalog", compose.services.catalog!.command!, {
    PORT: String(ports.catalog),
    HOST: "127.0.0.1",
    DATABASE_URL: database.url,
    ROUTER_SIGNING_SECRET: SIGNING,
    LOG_LEVEL: "warn",
  });
  await waitReady(catalog, ports.catalog, "catalog, started from the image's folder, to be ready");

  // Only catalog runs: every other subgraph's URL is a port nobody listens on.
  const urls = Object.fromEntries(readSupergraphConfig(`${root}supergraph.yaml`).map(({ name }) => [`SUBGRAPH_${name.toUpperCase()}_URL`, `http://127.0.0.1:${name === "catalog" ? ports.catalog : ports.closed}/graphql`]));
  router = startImageProcess("router", image.cmd!, {
    ...urls,
    PORT: String(ports.router),
    HOST: "127.0.0.1",
    METRICS_PORT: String(ports.metrics),
    ROUTER_SIGNING_SECRET: SIGNING,
    JWT_SECRET: "jwt-secret-for-the-image-test-0123456789abcdef",
    LOG_LEVEL: "warn",
  });
  await waitReady(router, ports.router, "the router, started with the image's CMD, to be ready");
}, 600_000);

afterAll(async () => {
  await stop(router);
  await stop(catalog);
  if (database) {
    const admin = await connectTestClient(process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL);
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${database.name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe("the image (docker/Dockerfile's runtime stage, replayed)", () => {
  it("holds production dependencies only", () => {
    const installed = installedPackages(app);
    expect(["vitest", "typescript", "prisma", "@graphql-codegen/cli"].filter((tool) => installed.has(tool))).toEqual([]);
    // Every package the lockfile has only for development (dev), or only as an
    // optional peer of production packages that development installs (devOptional).
    const lock = JSON.parse(readFileSync(join(app, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([path, entry]) => path.includes("node_modules/") && (entry.dev || entry.devOptional));
    expect(devOnly.map(([path]) => path).filter((path) => existsSync(join(app, path)))).toEqual([]);
    expect(installed).toContain("tsx");
  });

  it("holds every subgraph's generated Prisma client", () => {
    for (const name of subgraphs) expect(existsSync(join(app, `subgraphs/${name}/src/generated/prisma/client.ts`)), name).toBe(true);
  });

  it("runs its processes with the Dockerfile's ENV and as its non-root user", () => {
    expect(image.user).toBeDefined();
    expect(image.user).not.toMatch(/^(root|0)(:|$)/);
    expect(image.env.NODE_ENV).toBe("production");
    for (const service of [catalog!, router!]) {
      const environ = readFileSync(`/proc/${service.pid()}/environ`, "utf8").split("\0");
      expect(environ).toContain("NODE_ENV=production");
      if (runAs) expect(readFileSync(`/proc/${service.pid()}/status`, "utf8")).toMatch(new RegExp(`^Uid:\\s+${runAs.uid}\\s`, "m"));
    }
  });

  it("passes its HEALTHCHECK on each service, and fails it where nothing listens", () => {
    expect(image.healthcheck?.command?.[0]).toBe("node");
    expect(healthcheck(ports.catalog)).toBe(0);
    expect(healthcheck(ports.router)).toBe(0);
    expect(healthcheck(ports.closed)).toBe(1);
  });

  it("seeds catalog with compose's seed command and serves its categories through the router", async () => {
    const seed = compose.services.seed!.command!;
    expect(seed.at(-1)).toBe("all");
    const seeded = await runImageCommand([...seed.slice(0, -1), "catalog"], { DATABASE_URL: database!.url });
    expect(seeded.code, seeded.output).toBe(0);
    const response = await fetch(`http://127.0.0.1:${ports.router}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ categories { slug name } }" }) });
    const body = (await response.json()) as { data?: { categories: { slug: string; name: string }[] }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.categories.map((c) => c.slug).sort()).toEqual(demoCategories.map((c) => c.slug).sort());
  }, 120_000);

  it.skipIf(!hasStrace && !process.env.CI)("loads only its own service's package in each process", () => {
    expect(hasStrace, "strace is needed for this test (apt-get install strace)").toBe(true);
    const others = subgraphs.filter((s) => s !== "catalog").join("|");
    const catalogFiles = catalog!.opened()!;
    expect(catalogFiles.some((path) => path.includes("/subgraphs/catalog/src/"))).toBe(true);
    expect(catalogFiles.filter((path) => new RegExp(`/(subgraphs|@store)/(${others})/|/router/|@store/router|/apps/`).test(path))).toEqual([]);
    const routerFiles = router!.opened()!;
    expect(routerFiles.some((path) => path.includes("/router/src/"))).toBe(true);
    expect(routerFiles.filter((path) => new RegExp(`/(subgraphs|@store)/(${subgraphs.join("|")})/|/apps/`).test(path))).toEqual([]);
  });

  it("stops each process with exit code 0 on SIGTERM, sent to node itself", async () => {
    expect(image.cmd?.[0]).toBe("node");
    expect(await stop(router)).toBe(0);
    expect(await stop(catalog)).toBe(0);
  }, 60_000);
});

/** Names of the packages installed anywhere in `app`'s node_modules trees (workspaces' own included). */
function installedPackages(app: string): Set<string> {
  const names = new Set<string>();
  const visit = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith(".")) continue;
      const scoped = entry.startsWith("@") ? readdirSync(join(modules, entry)).map((name) => `${entry}/${name}`) : [entry];
      for (const name of scoped) {
        names.add(name);
        visit(join(modules, name, "node_modules"));
      }
    }
  };
  visit(join(app, "node_modules"));
  for (const workspace of workspaceDirs(app)) visit(join(workspace, "node_modules"));
  return names;
}

function workspaceDirs(app: string): string[] {
  const { workspaces } = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as { workspaces: string[] };
  return workspaces.flatMap((pattern) => (pattern.endsWith("/*") ? readdirSync(join(app, pattern.slice(0, -2))).map((name) => join(app, pattern.slice(0, -2), name)) : [join(app, pattern)])).filter((d) => existsSync(join(d, "package.json")));
}
