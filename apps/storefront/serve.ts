/**
 * Serves the built storefront (dist/) and, on the same origin, proxies
 * /graphql to the router: HTTP requests and the WebSocket upgrade alike.
 *
 * Why a same-origin proxy rather than the router's CORS_ORIGINS: the app then
 * needs to know nothing of where the router listens (PORT=0 and the tests put
 * it on a free port), a browser sends no preflight before each request that
 * carries a token, and a production host does the same with one proxy rule
 * (`location /graphql { proxy_pass ...; }`). The router's WebSocket endpoint
 * checks no Origin anyway (the token travels in connectionParams), and its
 * HTTP edge treats a same-origin request as any other.
 *
 * Plain node:http on purpose: a few static files and one proxied path do not
 * need a server framework (no new dependency).
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const APP_DIR = fileURLToPath(new URL(".", import.meta.url));
/** Where `npm run build:storefront` puts the app. */
export const STOREFRONT_DIST = join(APP_DIR, "dist");
/** What the build is made from: the app and the typed documents it imports. */
const SOURCES = [join(APP_DIR, "index.html"), join(APP_DIR, "vite.config.ts"), join(APP_DIR, "package.json"), join(APP_DIR, "src"), join(APP_DIR, "../../packages/client/src")];

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Same-origin everything: no script, style, font or connection leaves the
 * app's own origin ('self' covers the same-origin WebSocket).
 */
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function newestMtime(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Whether dist/ holds a build of the current sources: "missing", "stale" (a source is newer) or "current". */
export function storefrontBuildState(distDir = STOREFRONT_DIST): "missing" | "stale" | "current" {
  const built = statSync(join(distDir, "index.html"), { throwIfNoEntry: false });
  if (!built) return "missing";
  return Math.max(...SOURCES.map(newestMtime)) > built.mtimeMs ? "stale" : "current";
}

/**
 * `vite build` in a child process: Vite and its bundler stay out of the
 * process that serves (and out of `npm start`'s own bundle).
 */
export function buildStorefront(): Promise<void> {
  const vite = join(dirname(createRequire(import.meta.url).resolve("vite/package.json")), "bin", "vite.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, "build", "--logLevel", "warn"], { cwd: APP_DIR, stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}: ${stderr.trim().slice(-2000)}`))));
  });
}

/** Builds the app unless dist/ is current; says whether it built. */
export async function ensureStorefrontBuild(): Promise<{ built: boolean; reason: "missing" | "stale" | "current" }> {
  const reason = storefrontBuildState();
  if (reason !== "current") await buildStorefront();
  return { built: reason !== "current", reason };
}

export interface StorefrontServerOptions {
  /** The router's GraphQL URL (http://127.0.0.1:4000/graphql): /graphql is proxied there. */
  routerUrl: string;
  /** The built app. @default apps/storefront/dist */
  distDir?: string;
}

/** The static files and the /graphql proxy, as a server that does not listen yet. */
export function createStorefrontServer({ routerUrl, distDir = STOREFRONT_DIST }: StorefrontServerOptions): Server {
  const router = new URL(routerUrl);
  const server = createServer((req, res) => {
    const path = pathOf(req);
    if (path === router.pathname) return proxyRequest(router, req, res);
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "Method Not Allowed", { allow: "GET, HEAD" });
    serveFile(distDir, path, req, res).catch(() => send(res, 500, "Internal Server Error"));
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(req) === router.pathname) proxyUpgrade(router, req, socket, head);
    else refuse(socket, 404, "Not Found");
  });
  return server;
}

export interface RunningStorefront {
  url: string;
  close(): Promise<void>;
}

/** Serves the app on `port` (0: a free one) at `host`. */
export async function startStorefront(options: StorefrontServerOptions & { port: number; host?: string }): Promise<RunningStorefront> {
  const host = options.host ?? "127.0.0.1";
  const server = createStorefrontServer(options);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Proxied WebSockets and keep-alive connections would hold close() open.
        server.closeAllConnections();
      }),
  };
}

function pathOf(req: IncomingMessage): string {
  try {
    return decodeURIComponent(new URL(req.url ?? "/", "http://storefront").pathname);
  } catch {
    return "/\0";
  }
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS, ...headers }).end(text);
}

async function serveFile(distDir: string, path: string, req: IncomingMessage, res: ServerResponse) {
  const file = normalize(join(distDir, path === "/" ? "index.html" : path));
  // No way out of dist/ ("/../", an encoded NUL).
  if (!file.startsWith(distDir + sep) || file.includes("\0")) return send(res, 404, "Not Found");
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) return send(res, 404, existsSync(join(distDir, "index.html")) ? "Not Found" : "The storefront is not built: run npm run build:storefront");
  const body = await readFile(file);
  res.writeHead(200, {
    "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    "content-length": String(body.length),
    // Vite names assets by their content hash: they never change; index.html names them.
    "cache-control": path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
    ...SECURITY_HEADERS,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

/** The headers to pass on, with the router's host and where the request came from. */
function forwardedHeaders(router: URL, req: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = value;
  const previous = req.headers["x-forwarded-for"];
  headers["x-forwarded-for"] = [previous, req.socket.remoteAddress].filter(Boolean).join(", ");
  headers["x-forwarded-host"] = req.headers.host ?? "";
  headers["x-forwarded-proto"] = "http";
  headers.host = router.host;
  return headers;
}

function proxyRequest(router: URL, req: IncomingMessage, res: ServerResponse) {
  const upstream = request({ host: router.hostname, port: router.port, method: req.method, path: req.url, headers: forwardedHeaders(router, req) }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.once("error", () => {
    if (!res.headersSent) send(res, 502, JSON.stringify({ errors: [{ message: "The router could not be reached", extensions: { code: "SUBGRAPH_UNAVAILABLE" } }] }), { "content-type": "application/json" });
    else res.destroy();
  });
  // A browser that goes away aborts the router's work too.
  res.once("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

function proxyUpgrade(router: URL, req: IncomingMessage, socket: Duplex, head: Buffer) {
  socket.once("error", () => socket.destroy());
  const upstream = request({ host: router.hostname, port: router.port, method: req.method, path: req.url, headers: forwardedHeaders(router, req) });
  upstream.once("upgrade", (answer, routerSocket, routerHead) => {
    routerSocket.once("error", () => socket.destroy());
    socket.once("close", () => routerSocket.destroy());
    routerSocket.once("close", () => socket.destroy());
    const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}`];
    for (let i = 0; i < answer.rawHeaders.length; i += 2) lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
    socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (routerHead.length > 0) socket.write(routerHead);
    if (head.length > 0) routerSocket.write(head);
    routerSocket.pipe(socket).pipe(routerSocket);
  });
  // The router refused the upgrade (503 while stopping, say): pass its answer on.
  upstream.once("response", (answer) => {
    refuse(socket, answer.statusCode ?? 502, answer.statusMessage ?? "Bad Gateway");
    answer.resume();
  });
  upstream.once("error", () => refuse(socket, 502, "Bad Gateway"));
  upstream.end();
}

function refuse(socket: Duplex, status: number, text: string) {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}
