// Load generator, in its own process: `node bench/lib/load.mjs '<json options>'`.
// Prints one JSON line with autocannon's figures.
//
// With `statsUrls` and `window` ([from, to] in seconds into the run), it also
// reads the subgraphs' request counts (bench/lib/fetchCounter.mjs) at both
// moments and counts the responses in between: subgraph fetches per response
// in steady state. Counted over the whole run instead, the requests still in
// flight when the run stops (up to one per connection, whose fetches the
// subgraphs see but whose responses autocannon does not count) would inflate
// the ratio, the more so for a slow gateway.
import autocannon from "autocannon";
import { fetchesBetween, readFetchCounts } from "./fetchCounter.mjs";

const o = JSON.parse(process.argv[2]);
const instance = autocannon({
  url: o.url,
  method: "POST",
  headers: { "content-type": "application/json", ...(o.headers ?? {}) },
  body: o.body,
  connections: o.connections,
  duration: o.duration,
  // Every response must be byte-identical to the one verified before the run.
  ...(o.expectBody ? { expectBody: o.expectBody } : {}),
});
let responses = 0;
instance.on("response", () => responses++);

const mark = async () => {
  const at = { responses, ms: performance.now() };
  return { ...at, counts: await readFetchCounts(o.statsUrls) };
};
const marks = o.statsUrls && o.window ? o.window.map((s) => new Promise((resolve, reject) => setTimeout(() => mark().then(resolve, reject), s * 1000))) : [];

const result = await instance;
let fetchWindow;
if (marks.length === 2) {
  const [from, to] = await Promise.all(marks);
  const fetched = fetchesBetween(from.counts, to.counts);
  fetchWindow = { seconds: (to.ms - from.ms) / 1000, responses: to.responses - from.responses, fetches: fetched.total, bySubgraph: fetched.bySubgraph };
}
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
    ...(fetchWindow ? { fetchWindow } : {}),
  })}\n`,
);
