import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import type { GraphQLFormattedError } from "graphql";
import { ERRORS, type ErrorDefinition } from "./errors.ts";

/**
 * Seconds a client is told to wait after SERVICE_OVERLOADED from the
 * database: a pooled connection frees up within a query's time, and a longer
 * wait would only idle the pool once the burst has passed.
 */
export const OVERLOAD_RETRY_AFTER_SECONDS = 1;

/** The codes that mean "not now, later": the first one present decides the status. */
const RETRYABLE: readonly ErrorDefinition[] = [ERRORS.SERVICE_OVERLOADED, ERRORS.RATE_LIMITED];

export interface RetryAnswer {
  status: number;
  /** Whole seconds, at least 1: the largest `extensions.retryAfterSeconds` among the errors. */
  retryAfterSeconds: number;
}

/** The HTTP status and Retry-After for a refused request's errors, or undefined when none is retryable. */
export function retryAnswerFor(errors: readonly GraphQLFormattedError[]): RetryAnswer | undefined {
  const entry = RETRYABLE.find((candidate) => errors.some((error) => error.extensions?.code === candidate.code));
  if (!entry) return undefined;
  let seconds = 1;
  for (const error of errors) {
    const given = error.extensions?.retryAfterSeconds;
    if (typeof given === "number" && Number.isFinite(given)) seconds = Math.max(seconds, Math.ceil(given));
  }
  return { status: entry.httpStatus, retryAfterSeconds: seconds };
}

/**
 * Gives a request that was refused as a whole (no `data`) because of a
 * retryable error its HTTP status (503 SERVICE_OVERLOADED, 429 RATE_LIMITED)
 * and a `Retry-After` header, so a client or proxy that never reads the body
 * still backs off. A partial result (some `data`) stays 200, as
 * GraphQL-over-HTTP wants: the codes are in its errors.
 */
export function useRetryAfter<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          const { data, errors } = response.body.singleResult;
          if (data != null || !errors?.length) return;
          const answer = retryAnswerFor(errors);
          if (!answer) return;
          response.http.status = answer.status;
          response.http.headers.set("retry-after", String(answer.retryAfterSeconds));
        },
      };
    },
  };
}
