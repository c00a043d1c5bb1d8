export * from "./embedded.ts";
export * from "./services.ts";
export * from "./startPlatform.ts";
