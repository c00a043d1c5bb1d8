/**
 * What `npm start` needs before it loads the services: the embedded
 * databases and the services' names. Nothing here imports a service.
 */
export { embeddedClusterDir } from "./databaseWorker.mjs";
export * from "./embeddedDatabase.ts";
export * from "./seededTemplates.ts";
export * from "./serviceNames.ts";
