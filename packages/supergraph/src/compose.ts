import { relative } from "node:path";
import { composeServices } from "@apollo/composition";
import { GraphQLError, Source, parse, type DocumentNode } from "graphql";
import type { SubgraphSource } from "./config.ts";

export interface CompositionProblem {
  code: string;
  message: string;
  /** Subgraphs the problem is located in, when composition can tell. */
  subgraphs: string[];
  /** `file:line:column` of each node the problem points at. */
  locations: string[];
}

export type CompositionResult =
  | { ok: true; supergraphSdl: string; hints: string[] }
  | { ok: false; problems: CompositionProblem[] };

function describe(error: GraphQLError, files: Map<string, string>, cwd: string): CompositionProblem {
  const locations = (error.nodes ?? []).flatMap((node) => {
    if (!node.loc) return [];
    const { line, column } = node.loc.source.locationOffset.line === 1 ? locate(node.loc.source.body, node.loc.start) : { line: 0, column: 0 };
    return [`${relative(cwd, node.loc.source.name)}:${line}:${column}`];
  });
  const subgraphs = new Set<string>();
  for (const node of error.nodes ?? []) {
    const name = node.loc ? files.get(node.loc.source.name) : undefined;
    if (name) subgraphs.add(name);
  }
  // Composition prefixes messages with [subgraph] even where it has no nodes.
  for (const match of error.message.matchAll(/\[([a-z][a-z0-9_-]*)\]/g)) if (match[1] && [...files.values()].includes(match[1])) subgraphs.add(match[1]);
  return { code: String(error.extensions?.code ?? "COMPOSITION_ERROR"), message: error.message, subgraphs: [...subgraphs].sort(), locations };
}

function locate(body: string, offset: number): { line: number; column: number } {
  const before = body.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/**
 * Composes subgraph SDL with @apollo/composition. Each SDL is parsed with its
 * file name as the source, so every problem can point at a file and line.
 */
export function composeSupergraph(subgraphs: readonly SubgraphSource[], cwd = process.cwd()): CompositionResult {
  const files = new Map(subgraphs.map((s) => [s.file, s.name]));
  const definitions: { name: string; url: string; typeDefs: DocumentNode }[] = [];
  const problems: CompositionProblem[] = [];
  for (const subgraph of subgraphs) {
    try {
      definitions.push({ name: subgraph.name, url: subgraph.url, typeDefs: parse(new Source(subgraph.sdl, subgraph.file)) });
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      problems.push({ ...describe(error, files, cwd), code: "INVALID_GRAPHQL", subgraphs: [subgraph.name], locations: (error.locations ?? []).map((l) => `${relative(cwd, subgraph.file)}:${l.line}:${l.column}`) });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const result = composeServices(definitions);
  if (result.errors) return { ok: false, problems: result.errors.map((e) => describe(e, files, cwd)) };
  return { ok: true, supergraphSdl: result.supergraphSdl, hints: result.hints.map((h) => h.toString()) };
}
