/**
 * Switches that keep dependencies from calling home. Nothing this project
 * starts may open a connection outside loopback unless an operator configured
 * it, and several dependencies do so by default:
 * - `@apollo/gateway` (2.14) starts a usage-telemetry exporter in its
 *   constructor, whose cloud resource detectors probe 169.254.169.254 and
 *   100.100.100.200 and resolve outside names, unless
 *   `APOLLO_TELEMETRY_DISABLED` is `true` or `1`;
 * - the Prisma CLI sends an update "checkpoint" unless `CHECKPOINT_DISABLE`
 *   is set, and prints update notices unless `PRISMA_HIDE_UPDATE_MESSAGE` is;
 * - tools that follow the consoledonottrack convention read `DO_NOT_TRACK`.
 */
export const NO_PHONE_HOME_ENV: Readonly<Record<string, string>> = {
  APOLLO_TELEMETRY_DISABLED: "true",
  CHECKPOINT_DISABLE: "1",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  DO_NOT_TRACK: "1",
};

/**
 * Sets {@link NO_PHONE_HOME_ENV} in this process's environment (inherited by
 * the child processes it starts), whatever the caller's environment says.
 * Call it before constructing `ApolloGateway` or spawning the Prisma CLI.
 */
export function disableDependencyTelemetry(env: NodeJS.ProcessEnv = process.env): void {
  Object.assign(env, NO_PHONE_HOME_ENV);
}
