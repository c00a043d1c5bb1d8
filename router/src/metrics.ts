import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface RouterMetrics {
  registry: Registry;
  requests: Counter<"operation_type" | "status">;
  requestDuration: Histogram<"operation_type">;
  errors: Counter<"code" | "subgraph">;
  subgraphFetch: Histogram<"subgraph" | "outcome">;
  subgraphFetchesShared: Counter<"subgraph">;
  supergraphReloads: Counter<"outcome">;
  wsConnections: Gauge;
  subscriptionsActive: Gauge;
  upstreamSubscriptions: Gauge<"subgraph">;
  subscriptionEvents: Counter<"outcome">;
  wsDisconnects: Counter<"reason">;
}

/** A registry per router, so two routers in one process (tests) do not collide. */
export function createMetrics(): RouterMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "router_" });
  const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    requests: new Counter({ name: "router_graphql_requests_total", help: "GraphQL requests by operation type and outcome", labelNames: ["operation_type", "status"], registers: [registry] }),
    requestDuration: new Histogram({ name: "router_graphql_request_duration_seconds", help: "GraphQL request latency", labelNames: ["operation_type"], buckets, registers: [registry] }),
    errors: new Counter({ name: "router_graphql_errors_total", help: "GraphQL errors returned to clients, by code and subgraph", labelNames: ["code", "subgraph"], registers: [registry] }),
    subgraphFetch: new Histogram({ name: "router_subgraph_fetch_duration_seconds", help: "Latency of fetches to subgraphs", labelNames: ["subgraph", "outcome"], buckets, registers: [registry] }),
    subgraphFetchesShared: new Counter({ name: "router_subgraph_fetches_shared_total", help: "Subgraph fetches not sent because an identical one (same identity) was in flight", labelNames: ["subgraph"], registers: [registry] }),
    supergraphReloads: new Counter({ name: "router_supergraph_reloads_total", help: "Supergraph (re)loads by outcome", labelNames: ["outcome"], registers: [registry] }),
    wsConnections: new Gauge({ name: "router_ws_connections", help: "Client WebSocket connections open", registers: [registry] }),
    subscriptionsActive: new Gauge({ name: "router_subscriptions_active", help: "Client subscriptions running", registers: [registry] }),
    upstreamSubscriptions: new Gauge({ name: "router_upstream_subscriptions", help: "Subscriptions open to subgraphs (each shared by every identical client subscription)", labelNames: ["subgraph"], registers: [registry] }),
    subscriptionEvents: new Counter({ name: "router_subscription_events_total", help: "Subscription payloads sent to clients, by outcome", labelNames: ["outcome"], registers: [registry] }),
    wsDisconnects: new Counter({ name: "router_ws_disconnects_total", help: "Client WebSocket connections the router closed, by reason", labelNames: ["reason"], registers: [registry] }),
  };
}
