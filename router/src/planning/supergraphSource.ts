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

/** What a source reports after its first SDL. */
export interface SupergraphListener {
  /** A new valid SDL. */
  changed(sdl: string): Promise<void>;
  /** A new SDL that is not a valid supergraph (reported once per distinct text); the current one stays. */
  rejected(error: SupergraphLoadError): void;
}

export interface SupergraphSource {
  /** The first valid SDL; rejects when there is none. */
  initial(): Promise<string>;
  /** Reports every later SDL that differs from the last one. */
  watch(listener: SupergraphListener): void;
  stop(): void;
}

/**
 * What a source's SDLs mean: the first one must be valid; a later one is
 * nothing new (the current text, or the text rejected last), rejected, or a
 * change. Shared by the file and URL sources.
 */
function createChanges(origin: string) {
  let last = "";
  let lastRejected = "";
  let listener: SupergraphListener | undefined;
  return {
    first(sdl: string): string {
      validateSupergraph(sdl, origin);
      last = sdl;
      return sdl;
    },
    listen(to: SupergraphListener): void {
      listener = to;
    },
    async offer(sdl: string): Promise<void> {
      if (!listener || sdl === last || sdl === lastRejected) return;
      try {
        validateSupergraph(sdl, origin);
      } catch (error) {
        lastRejected = sdl;
        listener.rejected(error as SupergraphLoadError);
        return;
      }
      last = sdl;
      await listener.changed(sdl);
    },
  };
}

export function fileSupergraphSource(path: string, logger: Logger, intervalMs = 250): SupergraphSource {
  const changes = createChanges(path);
  return {
    async initial() {
      const sdl = await readFile(path, "utf8").catch((error: unknown) => {
        throw new SupergraphLoadError(`cannot read supergraph file ${path}: ${(error as Error).message}`);
      });
      return changes.first(sdl);
    },
    watch(listener) {
      changes.listen(listener);
      // watchFile polls stat(); unlike fs.watch it survives editors and deploy
      // tools that replace the file by rename.
      watchFile(path, { interval: intervalMs, persistent: false }, () => {
        void readFile(path, "utf8").then(
          (sdl) => changes.offer(sdl),
          (error: unknown) => logger.warn({ err: error, path }, "supergraph file unreadable; keeping the current one"),
        );
      });
    },
    stop() {
      unwatchFile(path);
    },
  };
}

export function urlSupergraphSource(url: string, logger: Logger, intervalMs: number): SupergraphSource {
  const changes = createChanges(url);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const fetchSdl = async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new SupergraphLoadError(`GET ${url} answered ${response.status}`);
    return response.text();
  };
  const schedule = () => {
    // A poll in flight when the source stops must not schedule the next one.
    if (stopped) return;
    timer = setTimeout(() => void poll(), intervalMs);
    timer.unref();
  };
  const poll = async () => {
    try {
      await changes.offer(await fetchSdl());
    } catch (error) {
      logger.warn({ err: error, url }, "supergraph poll failed; keeping the current one");
    }
    schedule();
  };
  return {
    async initial() {
      const sdl = await fetchSdl().catch((error: unknown) => {
        throw error instanceof SupergraphLoadError ? error : new SupergraphLoadError(`cannot fetch supergraph from ${url}: ${(error as Error).message}`);
      });
      return changes.first(sdl);
    },
    watch(listener) {
      changes.listen(listener);
      schedule();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
