/**
 * `node --import tsx bench/lib/tracing-routers.ts <supergraph> <otlp-url> <signing-secret> <jwt-secret>`:
 * three routers in ONE process over one supergraph, identical but for
 * tracing: off (nothing configured), sampled at 1% and at 100%, exporting
 * OTLP/HTTP to `otlp-url`, as `npm run start:router` sets it up (no async
 * context). One process, so that the comparison is not swamped by the
 * difference between two processes of one build (see bench/README.md).
 * Prints `{"off":port,"1%":port,"100%":port,"pid":n}` once all listen.
 */
import "./no-phone-home.mjs";
import { disabledTracing, silentLogger, startTracing, type Tracing } from "@store/kit";
import { createRouter, loadRouterConfig, type Router } from "@store/router";

const [supergraph, otlpUrl, signingSecret, jwtSecret] = process.argv.slice(2) as [string, string, string, string];
const exporting = (ratio: string) =>
  startTracing({
    service: "router",
    asyncContext: false,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: ratio, OTEL_BSP_SCHEDULE_DELAY: "200" },
  });
const modes: [string, Tracing][] = [
  ["off", disabledTracing("router")],
  ["1%", exporting("0.01")],
  ["100%", exporting("1")],
];
const routers: Router[] = [];
const ports: Record<string, number> = {};
for (const [mode, tracing] of modes) {
  const router = createRouter({
    config: loadRouterConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      SUPERGRAPH_PATH: supergraph,
      ROUTER_SIGNING_SECRET: signingSecret,
      JWT_SECRET: jwtSecret,
      NODE_ENV: "production",
      // The throughput bench's budgets (bench/run.mjs, ROUTER_BENCH_ENV).
      RATE_LIMIT_QUERY_POINTS: "100000000",
      ROUTER_MAX_COST: "1000000",
      // Three routers, one process: /metrics on a free port each.
      METRICS_PORT: "0",
    }),
    logger: silentLogger,
    tracing,
  });
  routers.push(router);
  ports[mode] = (await router.listen()).port;
}
process.stdout.write(`${JSON.stringify({ ...ports, pid: process.pid })}\n`);
const stop = async () => {
  for (const router of routers) await router.stop();
  for (const [, tracing] of modes) await tracing.shutdown();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
