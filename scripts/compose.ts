/**
 * `npm run compose`: supergraph.yaml -> supergraph.graphql.
 * Flags: --config <path> (default supergraph.yaml), --out <path> (default supergraph.graphql).
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SupergraphConfigError, composeSupergraph, readSupergraphConfig } from "@store/supergraph";

const { values } = parseArgs({
  options: { config: { type: "string", default: "supergraph.yaml" }, out: { type: "string", default: "supergraph.graphql" } },
});

try {
  const result = composeSupergraph(readSupergraphConfig(values.config));
  if (!result.ok) {
    process.stderr.write(`Composition failed with ${result.problems.length} error(s):\n`);
    for (const p of result.problems) {
      process.stderr.write(`\n  ${p.code} [${p.subgraphs.join(", ") || "supergraph"}]\n    ${p.message}\n`);
      for (const location of p.locations) process.stderr.write(`    at ${location}\n`);
    }
    process.exit(1);
  }
  writeFileSync(values.out, result.supergraphSdl.endsWith("\n") ? result.supergraphSdl : `${result.supergraphSdl}\n`);
  process.stdout.write(`Wrote ${values.out}${result.hints.length ? ` (${result.hints.length} composition hints)` : ""}\n`);
} catch (error) {
  if (error instanceof SupergraphConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
