export { startTracing, asyncContextInstalled, disabledTracing, inSpan, otlpTracesUrl, type Tracing, type TracingOptions } from "./startTracing.ts";
export { samplerFromEnv, SAMPLER_NAMES, TracingConfigError, type SamplerName } from "./sampler.ts";
export { createSpanStore, spanStoreProcessor, toStoredSpan, type SpanStore, type StoredSpan } from "./spanStore.ts";
export { traceCarrier, currentTraceparent, contextFrom, logIds, type TraceCarrier } from "./propagation.ts";
export { failSpan } from "@store/events";
