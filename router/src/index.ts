export * from "./config.ts";
export * from "./createRouter.ts";
export * from "./supergraphSource.ts";
export * from "./closeCodes.ts";
export type { SubscriptionStats } from "./subscriptions/createSubscriptionServer.ts";
