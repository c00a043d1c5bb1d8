// Hive Gateway config, used as `hive-gateway supergraph <file> -c bench/gateways/hive.config.mjs`:
// defaults, plus the router signature our kit subgraphs require (per request),
// for the bench's identity (BENCH_IDENTITY; anonymous when unset).
import "../lib/no-phone-home.mjs";
import { defineConfig } from "@graphql-hive/gateway";
import { benchIdentity, signIdentity } from "../lib/sign.mjs";

const secret = process.env.ROUTER_SIGNING_SECRET;
const identity = benchIdentity();
export const gatewayConfig = defineConfig({
  logging: "warn",
  plugins: () => [
    {
      onFetch({ options, setOptions }) {
        setOptions({ ...options, headers: { ...(options.headers ?? {}), ...signIdentity(secret, identity) } });
      },
    },
  ],
});
