import type { Identity, Logger } from "@store/kit";
import type { ClientKey } from "./edge/clientAddress.ts";
import type { RequestDeadline } from "./execution/RequestDeadline.ts";
import type { OperationTrace } from "./tracing/OperationTrace.ts";

export interface RouterContext {
  identity: Identity | null;
  requestId: string;
  logger: Logger;
  /** Whose budget the request spends (rate limits): the user, else the client's address. */
  clientKey?: ClientKey;
  /** The client's address as the router sees it (forwarded to subgraphs, signed). */
  clientIp?: string;
  /** Aborted when the request's deadline passes or its client goes away: fetches in flight stop. */
  signal?: RequestDeadline;
  /** The operation's trace, when tracing is on: parent of the spans of its parse, validation, plan, fetches and shaping. */
  trace?: OperationTrace;
}
