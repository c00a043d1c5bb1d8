import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import type { RouterMetrics } from "../metrics.ts";

/**
 * Apollo Server plugin: counts each request it answers by operation type,
 * operation name (bounded: RouterMetrics.operationName) and outcome, and
 * times it. The fast path counts its own requests the same way.
 */
export function useMetrics<TContext extends BaseContext>(metrics: RouterMetrics): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operation, request, errors, response }) {
          const type = operation?.operation ?? "unknown";
          const name = metrics.operationName(operation, request.operationName);
          const failed = Boolean(errors?.length) || (response.body.kind === "single" && Boolean(response.body.singleResult.errors?.length));
          metrics.requests.inc({ operation_type: type, operation_name: name, status: failed ? "error" : "ok" });
          metrics.requestDuration.observe({ operation_type: type, operation_name: name }, (performance.now() - started) / 1000);
        },
      };
    },
  };
}
