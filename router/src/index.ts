export * from "./config.ts";
export * from "./createRouter.ts";
export * from "./planning/supergraphSource.ts";
export * from "./closeCodes.ts";
export type { SubscriptionStats } from "./subscriptions/createSubscriptionEndpoint.ts";
