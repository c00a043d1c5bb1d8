/** `node --import tsx bench/subgraphs/compose.ts <out-file> '<{"name":"url",...}>'`: composes the synthetic supergraph. */
import { writeFileSync } from "node:fs";
import { composeSupergraph } from "@store/supergraph";
import { sdl } from "./synthetic.ts";

const [out, urlsJson] = process.argv.slice(2);
const urls = JSON.parse(urlsJson ?? "{}") as Record<string, string>;
const result = composeSupergraph(Object.entries(sdl).map(([name, text]) => ({ name, url: urls[name]!, file: `${name}.graphql`, sdl: text })));
if (!result.ok) {
  process.stderr.write(result.problems.map((p) => p.message).join("\n") + "\n");
  process.exit(1);
}
writeFileSync(out!, result.supergraphSdl);
