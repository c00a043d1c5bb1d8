export * from "./config.ts";
export * from "./createRouter.ts";
export * from "./supergraphSource.ts";
