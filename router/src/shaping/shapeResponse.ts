/**
 * The client's response from a plan's merged data: one shaper for queries,
 * mutations and every subscription event (compiled once per operation by
 * compileShaper), and one place for each kind of error.
 *
 * Where value-completion errors go (a non-null field missing or null, a leaf
 * of the wrong type, an unknown `__typename`: INVALID_GRAPHQL): under
 * `extensions.valueCompletion`, never in `errors`, and only when every fetch
 * succeeded. That is what @apollo/gateway (executeQueryPlan) and Apollo's
 * Router do, so a client sees the same response from `QUERY_EXECUTOR=router`
 * and `gateway`, over HTTP and WebSocket: the equivalence test holds us to
 * it. Why not `errors`: a failed fetch leaves its fields missing, and shaping
 * would report each non-null one a second time with a worse message
 * (federation issue 981); and with clean fetches, the gateway's clients have
 * long relied on a nulled field not failing the response. The fields are
 * still nulled up to the nearest nullable parent either way.
 */
import { GraphQLError } from "../graphql.ts";
import type { ResponseShaper, Variables } from "./compileShaper.ts";

type JsonObject = Record<string, unknown>;

/** A response as the router answers it: `errors` (fetches, and refusals), `data`, and value-completion errors apart. */
export interface ShapedResult {
  data?: JsonObject | null;
  errors?: readonly GraphQLError[];
  extensions?: { valueCompletion: readonly GraphQLError[] };
}

/**
 * Shapes `data` (what the plan's fetches merged) to the operation's
 * selection, and places the errors: `fetchErrors` (subgraphs', labelled) in
 * `errors`; value-completion errors under `extensions.valueCompletion` when
 * there are no fetch errors (see above). Data that contradicts the schema
 * beyond nulling (an object where a list belongs) fails the whole response
 * with that error, as the gateway's post-processing does.
 */
export function shapeResponse(shaper: ResponseShaper, data: JsonObject, variables: Variables, fetchErrors: readonly GraphQLError[]): ShapedResult {
  let shaped;
  try {
    shaped = shaper.shape(data, variables);
  } catch (error) {
    return { errors: [error instanceof GraphQLError ? error : new GraphQLError((error as Error).message)] };
  }
  // Fields the plan cannot resolve are the client's to know, like a failed fetch.
  const errors = shaped.fieldErrors.length > 0 ? [...fetchErrors, ...shaped.fieldErrors] : fetchErrors;
  if (errors.length > 0) return { errors, data: shaped.data };
  if (shaped.errors.length > 0) return { data: shaped.data, extensions: { valueCompletion: shaped.errors } };
  return { data: shaped.data };
}
