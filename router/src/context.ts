import type { Identity, Logger } from "@store/kit";

export interface RouterContext {
  identity: Identity | null;
  requestId: string;
  logger: Logger;
}
