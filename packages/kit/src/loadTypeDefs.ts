import { readFileSync } from "node:fs";
import { parse, type DocumentNode } from "graphql";

/** Reads a subgraph's `schema.graphql` (next to its package.json) as a document. */
export function loadTypeDefs(url: URL): DocumentNode {
  return parse(readFileSync(url, "utf8"));
}
