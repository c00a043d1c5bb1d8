/**
 * `npm run schema:check`: composition, a current supergraph.graphql, breaking /
 * dangerous / safe changes against a base, and every registered operation in
 * operations/ validated against the new schema. Exit 1 when the check fails.
 *
 *   --base <git-ref>            compare with the supergraph composed at a ref (default: committed supergraph.graphql)
 *   --subgraph <name> --schema <file>   a subgraph team's proposal against the others' current SDL
 *   --allow-unused-breaking     breaking changes that no registered operation uses do not fail
 *   --json                      the report as JSON
 */
import { parseArgs } from "node:util";
import { formatReport, runSchemaCheck } from "@store/supergraph";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    subgraph: { type: "string" },
    schema: { type: "string" },
    "allow-unused-breaking": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
if (Boolean(values.subgraph) !== Boolean(values.schema)) {
  process.stderr.write("--subgraph and --schema go together\n");
  process.exit(2);
}
try {
  const report = await runSchemaCheck({
    baseRef: values.base,
    proposal: values.subgraph && values.schema ? { subgraph: values.subgraph, schemaFile: values.schema } : undefined,
    allowUnusedBreaking: values["allow-unused-breaking"],
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  process.exit(report.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`schema check could not run: ${(error as Error).message}\n`);
  process.exit(2);
}
