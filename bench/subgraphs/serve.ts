/**
 * One synthetic subgraph in its own process: `node --import tsx bench/subgraphs/serve.ts <name>`.
 * Prints `{"name","url","statsUrl"}` once listening: statsUrl answers the
 * requests this subgraph served so far (bench/lib/fetchCounter.mjs).
 *
 * By default it is a deliberately cheap subgraph, so that a benchmark measures
 * the gateway in front of it: a bare node:http server that checks the router
 * signature on every request (as every kit subgraph does: bound to this
 * subgraph's name, the body and a replay guard), executes a request
 * body it has not seen with graphql-js against the subgraph schema, and answers
 * a body it has seen from memory. The data is immutable, so the memo answers
 * exactly what execution would. BENCH_SUBGRAPH_MEMO=0 executes every request;
 * BENCH_SUBGRAPH_KIT=1 serves the subgraph with the kit (Apollo Server) instead.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { acceptRouterRequest, createMemoryReplayGuard } from "@store/kit";
import { createSyntheticSubgraph, syntheticSchema } from "./synthetic.ts";
import { countSubgraphFetches } from "../lib/fetchCounter.mjs";

// graphql from the root install (bench/node_modules has its own copy, for Hive Gateway).
const graphql = createRequire(new URL("../../package.json", import.meta.url))("graphql") as typeof import("graphql");

const name = process.argv[2] ?? "";
const secret = process.env.ROUTER_SIGNING_SECRET ?? "";
const memoize = process.env.BENCH_SUBGRAPH_MEMO !== "0";
const MEMO_MAX = 10_000;

let url: string;
let stop: () => Promise<void>;
if (process.env.BENCH_SUBGRAPH_KIT === "1") {
  const subgraph = createSyntheticSubgraph(name);
  url = (await subgraph.listen({ port: 0, host: "127.0.0.1", routerSigningSecret: secret })).url;
  stop = () => subgraph.stop();
} else {
  const schema = syntheticSchema(name);
  const memo = new Map<string, string>();
  const answer = async (body: string): Promise<string> => {
    const hit = memo.get(body);
    if (hit !== undefined) return hit;
    const { query, variables, operationName } = JSON.parse(body) as { query: string; variables?: Record<string, unknown>; operationName?: string };
    const result = await graphql.execute({ schema, document: graphql.parse(query), variableValues: variables ?? {}, operationName, contextValue: {} });
    const text = JSON.stringify(result);
    if (memoize && memo.size < MEMO_MAX) memo.set(body, text);
    return text;
  };
  const replayGuard = createMemoryReplayGuard();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      // The signature covers the body: checked once it is all here.
      const body = Buffer.concat(chunks);
      acceptRouterRequest(secret, replayGuard, { method: req.method ?? "POST", subgraph: name, body, headers: req.headers })
        .then((checked) => {
          if (!checked.ok) {
            res.writeHead(checked.unavailable ? 503 : 401, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ message: checked.reason, extensions: { code: "INVALID_ROUTER_SIGNATURE" } }] }));
            return;
          }
          return answer(body.toString("utf8")).then((text) => res.writeHead(200, { "content-type": "application/json" }).end(text));
        })
        .catch((error: unknown) => res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ message: String(error) }] })));
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  stop = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
const port = Number(new URL(url).port);
const statsUrl: string = await countSubgraphFetches((at: number | undefined) => (at === port ? name : undefined)).listen();
process.stdout.write(`${JSON.stringify({ name, url, statsUrl })}\n`);
const shutdown = () => void stop().finally(() => process.exit(0));
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
