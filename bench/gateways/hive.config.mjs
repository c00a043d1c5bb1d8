// Hive Gateway config, used as `hive-gateway supergraph <file> -c bench/gateways/hive.config.mjs`:
// defaults, plus the router signature our kit subgraphs require (per request),
// for the bench's identity (BENCH_IDENTITY; anonymous when unset).
// BENCH_HIVE_DEDUPE=false turns off Hive's own de-duplication of identical
// in-flight subgraph requests (on by default), as SUBGRAPH_DEDUPLICATE=false
// does for our router.
import "../lib/no-phone-home.mjs";
import { readFileSync } from "node:fs";
import { defineConfig } from "@graphql-hive/gateway";
import { benchIdentity, signRequest, subgraphNamesByUrl } from "../lib/sign.mjs";

const secret = process.env.ROUTER_SIGNING_SECRET;
const identity = benchIdentity();
// The signature names the target subgraph; onFetch sees only its URL. The
// supergraph is the argument after `supergraph` on the command line.
const names = subgraphNamesByUrl(readFileSync(process.argv[process.argv.indexOf("supergraph") + 1], "utf8"));
export const gatewayConfig = defineConfig({
  logging: "warn",
  ...(process.env.BENCH_HIVE_DEDUPE === "false" ? { transportEntries: { "*.http": { options: { deduplicateInflightRequests: false } } } } : {}),
  plugins: () => [
    {
      // Signing here does not keep Hive from sharing identical fetches: its
      // HTTP executor (@graphql-tools/executor-http, buildHTTPExecutor) keys
      // in-flight queries by URL, method, body and the headers it built itself,
      // before it calls fetch; onFetch runs inside that one fetch. So identical
      // fetches share one call here, one signature, one HTTP request (the
      // bench's fetch counts show it), and each request actually sent carries
      // a fresh nonce, as our router's do.
      // The HTTP executor hands fetch the serialized body (a string): signed as sent.
      // Hive's own plugins' onFetch hooks run before this one: its request-id
      // plugin (on by default) has added `x-request-id`, which the signature
      // must cover, as our router's does (a header the signature does not
      // cover is refused: a subgraph logs the request id as vouched for).
      onFetch({ url, options, setOptions, executionRequest }) {
        const subgraph = executionRequest?.subgraphName ?? names.get(String(url));
        if (typeof options.body !== "string" && options.body != null) throw new Error(`cannot sign a non-string body for ${url}`);
        const headers = options.headers instanceof Headers ? Object.fromEntries(options.headers) : { ...(options.headers ?? {}) };
        const signed = signRequest(secret, { method: options.method ?? "POST", subgraph, body: options.body ?? "", identity, requestId: headers["x-request-id"] ?? "", traceparent: headers.traceparent ?? "" });
        setOptions({ ...options, headers: { ...headers, ...signed } });
      },
    },
  ],
});
