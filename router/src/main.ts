import { parseArgs } from "node:util";
import { ConfigError, createLogger, onShutdown, startTracing, TracingConfigError, type Tracing } from "@store/kit";
import { loadRouterConfig, type RouterConfig } from "./config.ts";
import { createRouter } from "./createRouter.ts";

// Flags win over environment variables.
const { values } = parseArgs({ options: { supergraph: { type: "string" }, port: { type: "string" } }, allowPositionals: false });
const env = { ...process.env };
if (values.supergraph) {
  if (/^https?:\/\//.test(values.supergraph)) env.SUPERGRAPH_URL = values.supergraph;
  else env.SUPERGRAPH_PATH = values.supergraph;
}
if (values.port) env.PORT = values.port;

let config: RouterConfig;
let tracing: Tracing;
try {
  config = loadRouterConfig(env);
  // OTEL_* variables: off unless an exporter is configured; OTEL_SERVICE_NAME may rename "router".
  // The router hands every span's parent on explicitly (RouterContext.trace), so it
  // spares its requests AsyncLocalStorage's per-promise cost (see asyncContext).
  tracing = startTracing({ service: "router", env, asyncContext: false });
} catch (error) {
  if (error instanceof ConfigError || error instanceof TracingConfigError) {
    process.stderr.write(`router: ${error instanceof TracingConfigError ? `Invalid tracing configuration: ${error.message}` : error.message}\n`);
    process.exit(78);
  }
  throw error;
}
const logger = createLogger({ name: "router", level: config.LOG_LEVEL });
const router = createRouter({ config, logger, tracing });
await router.listen();
// Disposers run in reverse: the router stops (its last spans end), then the spans left are exported.
onShutdown([() => tracing.shutdown(), () => router.stop()], { logger });
