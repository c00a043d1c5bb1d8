// Load generator, in its own process: `node bench/lib/load.mjs '<json options>'`.
// Prints one JSON line with autocannon's figures.
import autocannon from "autocannon";

const o = JSON.parse(process.argv[2]);
const result = await autocannon({
  url: o.url,
  method: "POST",
  headers: { "content-type": "application/json", ...(o.headers ?? {}) },
  body: o.body,
  connections: o.connections,
  duration: o.duration,
  // Every response must be byte-identical to the one verified before the run.
  ...(o.expectBody ? { expectBody: o.expectBody } : {}),
});
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    non2xx: result.non2xx,
    durationS: result.duration,
  })}\n`,
);
