// Counts the HTTP requests a subgraph process serves, per subgraph, for
// bench/run.mjs's "subgraph fetches per request": every POST that reaches a
// subgraph's server is one fetch a gateway sent (requests it shared or
// de-duplicated never arrive). Answers that are not 2xx (a refused signature,
// a replay) are counted apart: the bench fails on any.
//
// Counted from node:http's diagnostics channels, so the same code counts the
// bench's bare synthetic servers and the kit's servers, which the bench does
// not own. The counts are served as JSON by a server of their own (GET any path).
import diagnosticsChannel from "node:diagnostics_channel";
import { createServer } from "node:http";

/**
 * Starts counting. `subgraphOf(port)` names the subgraph a server's local
 * port belongs to (undefined: not a subgraph, not counted).
 * Returns `{ counts(), listen() }`; listen() resolves to the stats URL.
 */
export function countSubgraphFetches(subgraphOf) {
  const fetches = {};
  const refused = {};
  const portOf = (server) => {
    const address = server?.address();
    return typeof address === "object" && address ? address.port : undefined;
  };
  diagnosticsChannel.subscribe("http.server.request.start", ({ request, server }) => {
    const name = subgraphOf(portOf(server));
    if (name !== undefined && request.method === "POST") fetches[name] = (fetches[name] ?? 0) + 1;
  });
  diagnosticsChannel.subscribe("http.server.response.finish", ({ request, response, server }) => {
    const name = subgraphOf(portOf(server));
    if (name !== undefined && request.method === "POST" && (response.statusCode < 200 || response.statusCode >= 300)) refused[name] = (refused[name] ?? 0) + 1;
  });
  const counts = () => ({ fetches: { ...fetches }, refused: { ...refused } });
  return {
    counts,
    listen: () =>
      new Promise((resolve, reject) => {
        const stats = createServer((req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(counts())));
        stats.once("error", reject);
        stats.listen(0, "127.0.0.1", () => {
          // Never keeps the process alive on its own.
          stats.unref();
          resolve(`http://127.0.0.1:${stats.address().port}/`);
        });
      }),
  };
}

/** The counts of every stats URL, merged: `{ fetches: { subgraph: n }, refused: { subgraph: n } }`. */
export async function readFetchCounts(statsUrls) {
  const merged = { fetches: {}, refused: {} };
  for (const url of statsUrls) {
    if (!url) throw new Error("a subgraph process reported no stats URL: fetches cannot be counted");
    const counts = await (await fetch(url)).json();
    Object.assign(merged.fetches, counts.fetches);
    Object.assign(merged.refused, counts.refused);
  }
  return merged;
}

/** What the subgraphs served between two readings: `total`, `bySubgraph`, `refused`. */
export function fetchesBetween(before, after) {
  const bySubgraph = {};
  for (const [name, n] of Object.entries(after.fetches)) if (n - (before.fetches[name] ?? 0) > 0) bySubgraph[name] = n - (before.fetches[name] ?? 0);
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  return { total: sum(bySubgraph), bySubgraph, refused: sum(after.refused) - sum(before.refused) };
}
