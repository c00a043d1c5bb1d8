export * from "./bus.ts";
export * from "./catalogue.ts";
export * from "./envelope.ts";
export * from "./inbox.ts";
export * from "./inProcessBus.ts";
export * from "./metrics.ts";
export * from "./natsBus.ts";
export * from "./outbox.ts";
export * from "./partitions.ts";
export * from "./runtime.ts";
export * from "./sql.ts";
// The span helpers stay internal: a service gets them through createServiceEvents({ tracer }).
export { failSpan, isTraceparent, isTracestate, MAX_TRACESTATE_LENGTH, orderIdOf, traceContextOf, type TraceContext } from "./tracing.ts";
