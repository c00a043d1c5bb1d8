// Imported first by every bench entry point and gateway: the switches that
// keep dependencies from calling home (Apollo's gateway telemetry and its
// cloud metadata probes, Prisma's update checkpoint, DO_NOT_TRACK tools), set
// in this process and so inherited by every gateway and subgraph it starts.
// The same values as @store/kit's NO_PHONE_HOME_ENV (the bench resolves no
// workspace packages from plain .mjs).
Object.assign(process.env, {
  APOLLO_TELEMETRY_DISABLED: "true",
  CHECKPOINT_DISABLE: "1",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  DO_NOT_TRACK: "1",
});
