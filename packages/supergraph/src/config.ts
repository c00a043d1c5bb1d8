import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** The part of rover's supergraph config format that we read. */
const supergraphConfigSchema = z.object({
  federation_version: z.union([z.string(), z.number()]).optional(),
  subgraphs: z.record(
    z.string().regex(/^[a-z][a-z0-9_-]*$/, "subgraph names are lower-case identifiers"),
    z.object({
      routing_url: z.url(),
      schema: z.object({ file: z.string().min(1) }),
    }),
  ),
});

export interface SubgraphSource {
  name: string;
  url: string;
  /** Absolute path of the SDL file. */
  file: string;
  sdl: string;
}

export class SupergraphConfigError extends Error {
  override readonly name = "SupergraphConfigError";
  readonly code = "INVALID_SUPERGRAPH_CONFIG";
}

/** Reads a file by path; the default reads the working tree, a git reader reads a commit. */
export type FileReader = (path: string) => string;
const readWorkingTree: FileReader = (path) => readFileSync(path, "utf8");

/** Parses supergraph.yaml and reads every subgraph's SDL (from disk, or through `read`). */
export function readSupergraphConfig(path: string, read: FileReader = readWorkingTree): SubgraphSource[] {
  let raw: unknown;
  try {
    raw = parseYaml(read(path));
  } catch (error) {
    throw new SupergraphConfigError(`${path}: ${(error as Error).message}`);
  }
  const parsed = supergraphConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SupergraphConfigError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const base = dirname(resolve(path));
  return Object.entries(parsed.data.subgraphs).map(([name, subgraph]) => {
    const file = resolve(base, subgraph.schema.file);
    let sdl: string;
    try {
      sdl = read(file);
    } catch {
      throw new SupergraphConfigError(`${path}: subgraph ${name}: cannot read schema file ${subgraph.schema.file}`);
    }
    return { name, url: subgraph.routing_url, file, sdl };
  });
}
