// Closed-loop load in its own process, bounded in count and in time:
//   node bench/lib/fixed-load.mjs '<json options>'
// Options: url, body (the request's JSON text), headers, connections,
// requests, maxSeconds, expectBody (every answer must be byte-identical).
// `connections` workers each keep one request in flight on a keep-alive
// connection until `requests` were sent or `maxSeconds` passed. Prints one
// JSON line: responses, seconds, rps, p50/p99 ms and the failures counted.
//
// Only node:http, so that the bench needs nothing beyond the root install
// (autocannon lives in bench/node_modules, which only bench:throughput installs).
import http from "node:http";

const o = JSON.parse(process.argv[2]);
const url = new URL(o.url);
const body = Buffer.from(o.body);
const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections });
const headers = { "content-type": "application/json", "content-length": String(body.length), ...(o.headers ?? {}) };
const latencies = new Float64Array(o.requests);
let sent = 0;
let answered = 0;
let non200 = 0;
let mismatches = 0;
let errors = 0;
let firstProblem;

function once() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => {
        latencies[answered++] = performance.now() - t0;
        const text = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode !== 200) {
          non200++;
          firstProblem ??= `HTTP ${res.statusCode}: ${text.slice(0, 300)}`;
        } else if (o.expectBody !== undefined && text !== o.expectBody) {
          mismatches++;
          firstProblem ??= `body differs: ${text.slice(0, 300)}`;
        }
        resolve();
      });
    });
    req.on("error", (error) => {
      errors++;
      firstProblem ??= String(error);
      resolve();
    });
    req.end(body);
  });
}

const started = performance.now();
const deadline = started + o.maxSeconds * 1000;
async function worker() {
  while (sent < o.requests && performance.now() < deadline) {
    sent++;
    await once();
  }
}
await Promise.all(Array.from({ length: o.connections }, worker));
const seconds = (performance.now() - started) / 1000;
agent.destroy();

const sorted = latencies.subarray(0, answered).sort();
// Nearest rank.
const percentile = (p) => (answered ? sorted[Math.min(answered - 1, Math.ceil((p / 100) * answered) - 1)] : null);
const round = (x) => (x === null ? null : Math.round(x * 100) / 100);
process.stdout.write(
  `${JSON.stringify({
    sent,
    responses: answered,
    seconds,
    rps: answered / seconds,
    p50Ms: round(percentile(50)),
    p99Ms: round(percentile(99)),
    non200,
    mismatches,
    errors,
    stoppedByTime: sent < o.requests,
    ...(firstProblem ? { firstProblem } : {}),
  })}\n`,
);
