import { readFile } from "node:fs/promises";
import { unwatchFile, watchFile } from "node:fs";
import { Supergraph } from "@apollo/federation-internals";
import type { Logger } from "@store/kit";

export class SupergraphLoadError extends Error {
  override readonly name = "SupergraphLoadError";
  readonly code = "INVALID_SUPERGRAPH";
}

/** Throws SupergraphLoadError unless `sdl` is a valid Federation 2 supergraph. */
export function validateSupergraph(sdl: string, origin: string): void {
  try {
    Supergraph.build(sdl);
  } catch (error) {
    throw new SupergraphLoadError(`${origin} is not a valid supergraph: ${(error as Error).message}`);
  }
}

export interface SupergraphSource {
  /** The first valid SDL; rejects when there is none. */
  initial(): Promise<string>;
  /** Calls `onChange` with every later valid SDL; invalid ones are logged and skipped. */
  watch(onChange: (sdl: string) => Promise<void>): void;
  stop(): void;
}

export function fileSupergraphSource(path: string, logger: Logger, intervalMs = 250): SupergraphSource {
  let last = "";
  return {
    async initial() {
      let sdl: string;
      try {
        sdl = await readFile(path, "utf8");
      } catch (error) {
        throw new SupergraphLoadError(`cannot read supergraph file ${path}: ${(error as Error).message}`);
      }
      validateSupergraph(sdl, path);
      last = sdl;
      return sdl;
    },
    watch(onChange) {
      // watchFile polls stat(); unlike fs.watch it survives editors and deploy
      // tools that replace the file by rename.
      watchFile(path, { interval: intervalMs, persistent: false }, () => {
        void (async () => {
          let sdl: string;
          try {
            sdl = await readFile(path, "utf8");
          } catch (error) {
            logger.warn({ err: error, path }, "supergraph file unreadable; keeping the current one");
            return;
          }
          if (sdl === last) return;
          try {
            validateSupergraph(sdl, path);
          } catch (error) {
            logger.error({ err: error, path }, "new supergraph rejected; keeping the current one");
            return;
          }
          last = sdl;
          await onChange(sdl);
        })();
      });
    },
    stop() {
      unwatchFile(path);
    },
  };
}

export function urlSupergraphSource(url: string, logger: Logger, intervalMs: number): SupergraphSource {
  let last = "";
  let timer: NodeJS.Timeout | undefined;
  const fetchSdl = async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new SupergraphLoadError(`GET ${url} answered ${response.status}`);
    return response.text();
  };
  return {
    async initial() {
      const sdl = await fetchSdl().catch((error: unknown) => {
        throw error instanceof SupergraphLoadError ? error : new SupergraphLoadError(`cannot fetch supergraph from ${url}: ${(error as Error).message}`);
      });
      validateSupergraph(sdl, url);
      last = sdl;
      return sdl;
    },
    watch(onChange) {
      const poll = async () => {
        try {
          const sdl = await fetchSdl();
          if (sdl !== last) {
            validateSupergraph(sdl, url);
            last = sdl;
            await onChange(sdl);
          }
        } catch (error) {
          logger.warn({ err: error, url }, "supergraph poll failed; keeping the current one");
        }
        timer = setTimeout(() => void poll(), intervalMs);
        timer.unref();
      };
      timer = setTimeout(() => void poll(), intervalMs);
      timer.unref();
    },
    stop() {
      clearTimeout(timer);
    },
  };
}
