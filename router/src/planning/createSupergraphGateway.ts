import { ApolloGateway } from "@apollo/gateway";
import { disableDependencyTelemetry, type Logger } from "@store/kit";
import type { RouterConfig } from "../config.ts";
import { SubgraphDataSource } from "../execution/SubgraphDataSource.ts";
import type { RouterMetrics } from "../metrics.ts";
import { fileSupergraphSource, urlSupergraphSource, type SupergraphSource } from "./supergraphSource.ts";

export interface SupergraphGatewayOptions {
  config: Pick<RouterConfig, "SUPERGRAPH_URL" | "SUPERGRAPH_PATH" | "SUPERGRAPH_POLL_INTERVAL_MS" | "ROUTER_SIGNING_SECRET" | "SUBGRAPH_TIMEOUT_MS" | "subgraphUrls">;
  metrics: RouterMetrics;
  logger: Logger;
}

/**
 * @apollo/gateway on the router's supergraph source: it loads the supergraph,
 * validates every new one and hands Apollo Server its API schema (the router
 * plans on what it accepted: `onSchemaLoadOrUpdate`). Each load counts in
 * `router_supergraph_reloads_total` by outcome: `loaded`, `reloaded`, or
 * `rejected` (not a supergraph, or refused by the gateway; the current one
 * stays). With QUERY_EXECUTOR=gateway it also executes plans, through data
 * sources with the same signing, timeout and metrics as the router's own
 * fetchers.
 */
export function createSupergraphGateway({ config, metrics, logger }: SupergraphGatewayOptions): ApolloGateway {
  const source: SupergraphSource = config.SUPERGRAPH_URL
    ? urlSupergraphSource(config.SUPERGRAPH_URL, logger, config.SUPERGRAPH_POLL_INTERVAL_MS)
    : fileSupergraphSource(config.SUPERGRAPH_PATH, logger);
  const rejected = (error: unknown) => {
    metrics.supergraphReloads.inc({ outcome: "rejected" });
    logger.error({ err: error }, "new supergraph rejected; keeping the current one");
  };

  const dataSources = new Map<string, SubgraphDataSource>();
  const dataSourceFor = (name: string, url: string): SubgraphDataSource => {
    const key = `${name} ${url}`;
    let dataSource = dataSources.get(key);
    if (!dataSource) {
      dataSource = new SubgraphDataSource({ name, url, signingSecret: config.ROUTER_SIGNING_SECRET, timeoutMs: config.SUBGRAPH_TIMEOUT_MS, metrics, logger });
      dataSources.set(key, dataSource);
    }
    return dataSource;
  };

  // Before the gateway exists: its constructor starts Apollo's usage telemetry
  // (cloud metadata probes included) unless this is set.
  disableDependencyTelemetry();
  return new ApolloGateway({
    logger,
    async supergraphSdl({ update }) {
      const sdl = await source.initial();
      metrics.supergraphReloads.inc({ outcome: "loaded" });
      source.watch({
        async changed(next) {
          // The gateway swaps schema and plans atomically; requests already
          // executing finish on the supergraph they started with.
          try {
            update(next);
          } catch (error) {
            return rejected(error);
          }
          metrics.supergraphReloads.inc({ outcome: "reloaded" });
          logger.info("supergraph reloaded");
        },
        rejected,
      });
      return { supergraphSdl: sdl, cleanup: async () => source.stop() };
    },
    buildService: ({ name, url }) => dataSourceFor(name, config.subgraphUrls[name] ?? url ?? ""),
  });
}
