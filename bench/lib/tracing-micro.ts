/**
 * `node --import tsx bench/lib/tracing-micro.ts`: the work tracing adds to a
 * request the sampler drops (the 99 in 100 at 1%), timed alone in a loop, so
 * that its share of a request's CPU can be read against bench:tracing's
 * figures even where the machine's noise hides it there. Per operation: the
 * operation span the sampler turns down, the trace context every subgraph
 * fetch carries (computed once per operation), naming and ending it; with
 * tracing off none of this runs (the handler checks `tracing.enabled`).
 * Prints `{"unsampledUs":n,"sampledUs":n}`: microseconds per operation.
 */
import "./no-phone-home.mjs";
import type { IncomingMessage } from "node:http";
import { startTracing } from "@store/kit";
import { startOperationTrace } from "../../router/src/tracing/OperationTrace.ts";

const req = { method: "POST", headers: { "content-type": "application/json" } } as unknown as IncomingMessage;
// A sink nothing listens on: spans are only batched here, never sent (the timed loop ends first).
const env = (ratio: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: ratio, OTEL_BSP_MAX_QUEUE_SIZE: "2048" });

function perOperation(ratio: string, iterations: number): number {
  const { tracer } = startTracing({ service: "router", asyncContext: false, env: env(ratio) });
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const trace = startOperationTrace(tracer, req, false);
      trace.carrierOf(undefined);
      trace.describe("query", "Shallow", "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
      trace.end(200);
    }
  };
  run(iterations / 10); // warm up
  const samples: number[] = [];
  for (let round = 0; round < 7; round++) {
    const started = process.cpuUsage();
    run(iterations);
    const used = process.cpuUsage(started);
    samples.push((used.user + used.system) / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[3]!;
}

const unsampledUs = perOperation("0", 200_000);
// A sampled operation's own span (its children aside): for scale only.
const sampledUs = perOperation("1", 20_000);
process.stdout.write(`${JSON.stringify({ unsampledUs, sampledUs })}\n`);
process.exit(0);
