import { CloseCode } from "graphql-ws";

/**
 * WebSocket close codes the router sends to its clients. The 44xx codes are
 * graphql-ws's own (graphql-transport-ws); the others are RFC 6455's, which
 * graphql-ws clients treat as retryable.
 */
export const RouterCloseCode = {
  /** A token in connectionParams that is malformed, invalid or expired. graphql-ws clients do not retry it. */
  Unauthorized: CloseCode.Unauthorized,
  /** graphql-ws's answer when onConnect refuses; the router refuses only with 4401. */
  Forbidden: CloseCode.Forbidden,
  /** The router is shutting down (RFC 6455 "going away"); reconnect to another instance. */
  GoingAway: 1001,
  /**
   * The client read its events slower than they arrived and its outgoing
   * queue overflowed (RFC 6455 "try again later"): it has missed events and
   * must resubscribe.
   */
  SlowConsumer: 1013,
} as const;
