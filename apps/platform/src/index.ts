export * from "./embeddedDatabase.ts";
export * from "./services.ts";
export * from "./startPlatform.ts";
