import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "@store/kit";
import { eventually, staysAt } from "@store/testing";
import { fileSupergraphSource, SupergraphLoadError } from "../src/planning/supergraphSource.ts";
import { composeBookshop } from "./fixtures/bookshop.ts";

const dir = mkdtempSync(join(tmpdir(), "supergraph-source-"));
const GARBAGE = "this is not a supergraph";
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fileSupergraphSource", () => {
  it("reports a new valid file as changed, and an invalid one as rejected once per distinct text", async () => {
    const path = join(dir, "supergraph.graphql");
    const first = composeBookshop({ books: "http://books/graphql", reviews: "http://reviews/graphql" });
    writeFileSync(path, first);
    const source = fileSupergraphSource(path, silentLogger, 20);
    try {
      expect(await source.initial()).toBe(first);
      const changed: string[] = [];
      const rejected: SupergraphLoadError[] = [];
      source.watch({ changed: async (sdl) => void changed.push(sdl), rejected: (error) => void rejected.push(error) });

      // Replaced atomically (a reader never sees it half written), until
      // seen: the watcher takes its first look only after watch() returns.
      const replace = (text: string) => {
        writeFileSync(`${path}.next`, text);
        renameSync(`${path}.next`, path);
      };
      const written = (text: string, seen: () => boolean) => () => {
        replace(text);
        return seen();
      };
      await eventually(written(GARBAGE, () => rejected.length === 1), { what: "the garbage to be rejected", timeoutMs: 10_000 });
      expect(rejected[0]).toBeInstanceOf(SupergraphLoadError);
      expect(rejected[0]?.message).toMatch(/is not a valid supergraph/);
      // The same garbage written again is not news.
      replace(GARBAGE);
      await staysAt(() => rejected.length, 1, { what: "rejections", quietMs: 300 });

      const second = composeBookshop({ books: "http://books:4001/graphql", reviews: "http://reviews/graphql" });
      await eventually(written(second, () => changed.length === 1), { what: "the new supergraph to be reported", timeoutMs: 10_000 });
      expect(changed).toEqual([second]);
      expect(rejected).toHaveLength(1);
    } finally {
      source.stop();
    }
  });

  it("refuses to start on a file that is not a supergraph", async () => {
    const path = join(dir, "garbage.graphql");
    writeFileSync(path, "type Query { nope: String }");
    await expect(fileSupergraphSource(path, silentLogger).initial()).rejects.toBeInstanceOf(SupergraphLoadError);
  });
});
