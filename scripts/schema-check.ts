/**
 * `npm run schema:check`: the subgraphs must compose, and the committed
 * supergraph.graphql must be what they compose to.
 */
import { readFileSync } from "node:fs";
import { composeSupergraph, readSupergraphConfig } from "@store/supergraph";

const result = composeSupergraph(readSupergraphConfig("supergraph.yaml"));
if (!result.ok) {
  for (const p of result.problems) process.stderr.write(`✗ ${p.code} [${p.subgraphs.join(", ")}] ${p.message}\n${p.locations.map((l) => `    at ${l}\n`).join("")}`);
  process.exit(1);
}
const committed = readFileSync("supergraph.graphql", "utf8");
const fresh = result.supergraphSdl.endsWith("\n") ? result.supergraphSdl : `${result.supergraphSdl}\n`;
if (committed !== fresh) {
  process.stderr.write("✗ supergraph.graphql is stale: run `npm run compose` and commit the result.\n");
  process.exit(1);
}
process.stdout.write("✓ subgraphs compose, supergraph.graphql is up to date\n");
