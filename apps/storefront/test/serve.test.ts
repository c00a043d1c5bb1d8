import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStorefront, storefrontBuildState, type RunningStorefront } from "../serve.ts";

/** A stand-in router: echoes GraphQL POSTs with the headers it got, and echoes bytes on an upgraded socket. */
function fakeRouter(): Promise<{ server: Server; url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { echo: body } })));
  });
  server.on("upgrade", (req, socket) => {
    seen.push(req.headers);
    socket.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n");
    socket.pipe(socket);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` })));
}

describe("the storefront server", () => {
  let dist: string;
  let router: Awaited<ReturnType<typeof fakeRouter>>;
  let storefront: RunningStorefront;

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), "storefront-dist-"));
    mkdirSync(join(dist, "assets"));
    writeFileSync(join(dist, "index.html"), "<!doctype html><title>Store</title>");
    writeFileSync(join(dist, "assets", "index-abc.js"), "console.log(1)");
    writeFileSync(join(tmpdir(), "outside-the-dist.txt"), "secret");
    router = await fakeRouter();
    storefront = await startStorefront({ port: 0, routerUrl: router.url, distDir: dist });
  });

  afterAll(async () => {
    await storefront?.close();
    router?.server.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it("serves index.html at / without caching it, and hashed assets for good, with a same-origin CSP", async () => {
    const page = await fetch(storefront.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'self'.*connect-src 'self'/);
    expect(await page.text()).toContain("<title>Store</title>");
    const asset = await fetch(new URL("assets/index-abc.js", storefront.url));
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toContain("immutable");
  });

  it("refuses paths outside dist/ and files that do not exist", async () => {
    // Sent as they are (fetch would normalise the dots away before they reach the server).
    const rawGet = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        request(new URL(storefront.url), { path }, (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        })
          .once("error", reject)
          .end();
      });
    for (const path of ["/../outside-the-dist.txt", "/..%2Foutside-the-dist.txt", "/assets/..%2F..%2Foutside-the-dist.txt", "/assets/%00", "/%E0%A4%A", "/missing.js"]) {
      const answer = await rawGet(path);
      expect(answer.status, path).toBe(404);
      expect(answer.body).not.toContain("secret");
    }
    expect((await fetch(storefront.url, { method: "DELETE" })).status).toBe(405);
  });

  it("proxies /graphql to the router with its body, the token and where the request came from", async () => {
    const answer = await fetch(new URL("graphql", storefront.url), { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer t0ken" }, body: '{"query":"{ x }"}' });
    expect(await answer.json()).toEqual({ data: { echo: '{"query":"{ x }"}' } });
    const headers = router.seen.at(-1)!;
    expect(headers.authorization).toBe("Bearer t0ken");
    expect(headers.host).toBe(new URL(router.url).host);
    expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(headers["x-forwarded-host"]).toBe(new URL(storefront.url).host);
  });

  it("proxies the WebSocket upgrade on /graphql, both ways, and refuses it elsewhere", async () => {
    const upgrade = (path: string) =>
      new Promise<{ status: number; echo?: string }>((resolve, reject) => {
        const req = request(new URL(path, storefront.url), { headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-protocol": "graphql-transport-ws" } });
        req.once("upgrade", (res, socket) => {
          socket.once("data", (data: Buffer) => {
            resolve({ status: res.statusCode!, echo: data.toString() });
            socket.destroy();
          });
          socket.write("ping from the browser");
        });
        req.once("response", (res) => resolve({ status: res.statusCode! }));
        req.once("error", reject);
        req.end();
      });
    expect(await upgrade("graphql")).toEqual({ status: 101, echo: "ping from the browser" });
    expect(router.seen.at(-1)!["sec-websocket-protocol"]).toBe("graphql-transport-ws");
    expect((await upgrade("elsewhere")).status).toBe(404);
  });

  it("answers 502 with a GraphQL error when the router is down", async () => {
    const orphan = await startStorefront({ port: 0, routerUrl: "http://127.0.0.1:1/graphql", distDir: dist });
    try {
      const answer = await fetch(new URL("graphql", orphan.url), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(answer.status).toBe(502);
      expect((await answer.json()).errors[0].extensions.code).toBe("SUBGRAPH_UNAVAILABLE");
    } finally {
      await orphan.close();
    }
  });

  it("tells a missing or stale build from a current one", () => {
    expect(storefrontBuildState(join(dist, "nowhere"))).toBe("missing");
    // index.html written now is newer than every source of the app.
    expect(storefrontBuildState(dist)).toBe("current");
    writeFileSync(join(dist, "index.html"), "old");
    utimesSync(join(dist, "index.html"), new Date(0), new Date(0));
    expect(storefrontBuildState(dist)).toBe("stale");
  });
});
