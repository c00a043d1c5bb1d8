// Hive Gateway config, used as `hive-gateway supergraph <file> -c bench/gateways/hive.config.mjs`:
// defaults, plus the router signature our kit subgraphs require (per request).
import { defineConfig } from "@graphql-hive/gateway";
import { signAnonymous } from "../lib/sign.mjs";

const secret = process.env.ROUTER_SIGNING_SECRET;
export const gatewayConfig = defineConfig({
  logging: "warn",
  plugins: () => [
    {
      onFetch({ options, setOptions }) {
        setOptions({ ...options, headers: { ...(options.headers ?? {}), ...signAnonymous(secret) } });
      },
    },
  ],
});
