export * from "./database.ts";
export * from "./identities.ts";
export * from "./queries.ts";
export * from "./subscriptions.ts";
export * from "./eventually.ts";
