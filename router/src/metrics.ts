import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The `operation_name` of anonymous operations (and of requests that named none). */
export const ANONYMOUS_OPERATION = "~anonymous";
/** The `operation_name` of every name past the cap, and of a name that picked no operation of its document. */
export const OTHER_OPERATIONS = "~other";

export interface RouterMetrics {
  registry: Registry;
  requests: Counter<"operation_type" | "operation_name" | "status">;
  requestDuration: Histogram<"operation_type" | "operation_name">;
  errors: Counter<"code" | "subgraph">;
  subgraphFetch: Histogram<"subgraph" | "outcome">;
  subgraphFetchesShared: Counter<"subgraph">;
  supergraphReloads: Counter<"outcome">;
  wsConnections: Gauge;
  subscriptionsActive: Gauge;
  upstreamSubscriptions: Gauge<"subgraph">;
  subscriptionEvents: Counter<"outcome">;
  wsDisconnects: Counter<"reason">;
  /**
   * The `operation_name` label of a request: its operation's name, or
   * ANONYMOUS_OPERATION; OTHER_OPERATIONS once the cap is reached, and for a
   * request whose name picked no operation (it never enters the cap).
   * `operation` is the operation the request runs, when one was resolved;
   * `requested` the name the request gave.
   */
  operationName(operation: { readonly name?: { readonly value: string } | undefined } | null | undefined, requested?: string | null): string;
}

export interface MetricsOptions {
  /**
   * Distinct `operation_name` values kept (the first names seen, for the
   * router's life); later names count as OTHER_OPERATIONS. Clients choose
   * operation names, and each name is a series per label combination.
   * @default 200
   */
  maxOperationNames?: number;
}

/** A registry per router, so two routers in one process (tests) do not collide. */
export function createMetrics({ maxOperationNames = 200 }: MetricsOptions = {}): RouterMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "router_" });
  const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const names = new Set<string>();
  return {
    registry,
    requests: new Counter({ name: "router_graphql_requests_total", help: "GraphQL requests by operation type, operation name and outcome", labelNames: ["operation_type", "operation_name", "status"], registers: [registry] }),
    requestDuration: new Histogram({ name: "router_graphql_request_duration_seconds", help: "GraphQL request latency by operation type and operation name", labelNames: ["operation_type", "operation_name"], buckets, registers: [registry] }),
    errors: new Counter({ name: "router_graphql_errors_total", help: "GraphQL errors returned to clients, by code and subgraph", labelNames: ["code", "subgraph"], registers: [registry] }),
    subgraphFetch: new Histogram({ name: "router_subgraph_fetch_duration_seconds", help: "Latency of fetches to subgraphs", labelNames: ["subgraph", "outcome"], buckets, registers: [registry] }),
    subgraphFetchesShared: new Counter({ name: "router_subgraph_fetches_shared_total", help: "Subgraph fetches not sent because an identical one (same identity) was in flight", labelNames: ["subgraph"], registers: [registry] }),
    supergraphReloads: new Counter({ name: "router_supergraph_reloads_total", help: "Supergraph (re)loads by outcome", labelNames: ["outcome"], registers: [registry] }),
    wsConnections: new Gauge({ name: "router_ws_connections", help: "Client WebSocket connections open", registers: [registry] }),
    subscriptionsActive: new Gauge({ name: "router_subscriptions_active", help: "Client subscriptions running", registers: [registry] }),
    upstreamSubscriptions: new Gauge({ name: "router_upstream_subscriptions", help: "Subscriptions open to subgraphs (each shared by every identical client subscription)", labelNames: ["subgraph"], registers: [registry] }),
    subscriptionEvents: new Counter({ name: "router_subscription_events_total", help: "Subscription payloads sent to clients, by outcome", labelNames: ["outcome"], registers: [registry] }),
    wsDisconnects: new Counter({ name: "router_ws_disconnects_total", help: "Client WebSocket connections the router closed, by reason", labelNames: ["reason"], registers: [registry] }),
    operationName(operation, requested) {
      // Only a parsed operation's own name is admitted: a GraphQL name, as
      // long as the token limit lets it be. A requested name that picked
      // nothing could be any string.
      if (!operation) return requested ? OTHER_OPERATIONS : ANONYMOUS_OPERATION;
      const name = operation.name?.value;
      if (!name) return ANONYMOUS_OPERATION;
      if (names.has(name)) return name;
      if (names.size >= maxOperationNames) return OTHER_OPERATIONS;
      names.add(name);
      return name;
    },
  };
}
