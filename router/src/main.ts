import { parseArgs } from "node:util";
import { ConfigError, createLogger, onShutdown } from "@store/kit";
import { loadRouterConfig } from "./config.ts";
import { createRouter } from "./createRouter.ts";

// Flags win over environment variables.
const { values } = parseArgs({ options: { supergraph: { type: "string" }, port: { type: "string" } }, allowPositionals: false });
const env = { ...process.env };
if (values.supergraph) {
  if (/^https?:\/\//.test(values.supergraph)) env.SUPERGRAPH_URL = values.supergraph;
  else env.SUPERGRAPH_PATH = values.supergraph;
}
if (values.port) env.PORT = values.port;

let config;
try {
  config = loadRouterConfig(env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`router: ${error.message}\n`);
    process.exit(78);
  }
  throw error;
}
const logger = createLogger({ name: "router", level: config.LOG_LEVEL });
const router = createRouter({ config, logger });
await router.listen();
onShutdown([() => router.stop()], { logger });
