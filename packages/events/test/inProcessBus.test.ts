import { createInProcessBus } from "../src/index.ts";
import { busContract } from "./bus.contract.ts";
import { logger } from "./buses.ts";

busContract("in-process", async () => {
  const bus = createInProcessBus({ logger, delay: () => 10 });
  return Object.assign(bus, {
    deadLetterCount: async () => bus.deadLetters.length,
    dispose: () => bus.close(),
  });
});
