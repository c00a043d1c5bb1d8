export * from "./check.ts";
export * from "./compose.ts";
export * from "./config.ts";
export * from "./operations.ts";
