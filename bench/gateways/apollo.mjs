// Stock @apollo/gateway 2.x behind @apollo/server 5 standalone, the documented
// way, plus the router signature our kit subgraphs require (per request), for
// the bench's identity (BENCH_IDENTITY; anonymous when unset).
// Resolved from the root install, not bench/node_modules.
import "../lib/no-phone-home.mjs";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { benchIdentity, signRequest } from "../lib/sign.mjs";

const root = createRequire(new URL("../../package.json", import.meta.url));
const load = (id) => import(pathToFileURL(root.resolve(id)).href);
const { ApolloGateway, RemoteGraphQLDataSource } = await load("@apollo/gateway");
const { ApolloServer } = await load("@apollo/server");
const { startStandaloneServer } = await load("@apollo/server/standalone");

const secret = process.env.ROUTER_SIGNING_SECRET;
const identity = benchIdentity();
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.env.SUPERGRAPH_PATH, "utf8"),
  buildService: ({ name, url }) => {
    const source = new RemoteGraphQLDataSource({ url });
    // Signed in the fetcher, around the gateway's own (make-fetch-happen): the
    // body is serialized by then, and the signature covers it exactly.
    const fetcher = source.fetcher;
    source.fetcher = (input, init) => fetcher(input, { ...init, headers: { ...init.headers, ...signRequest(secret, { method: init.method, subgraph: name, body: init.body, identity }) } });
    return source;
  },
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port: Number(process.env.PORT) } });
process.stdout.write(`apollo gateway at ${url}\n`);
const stop = () => void server.stop().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
