import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import type { KeyValueCache } from "@apollo/utils.keyvaluecache";
import { ERRORS } from "@store/kit";
import { loadOperations, trustedDocumentManifest } from "@store/supergraph";

export interface TrustedDocuments {
  /** How many registered operations the router accepts. */
  readonly size: number;
  /** Whether the document of this sha256 (of its printed text) is registered. */
  has(documentId: string): boolean;
  /**
   * Apollo Server's persisted-query cache, read-only, answering from the
   * registry: a client sends `extensions.persistedQuery.sha256Hash` (Apollo's
   * APQ protocol) without the query text. Registration by clients is refused.
   */
  readonly cache: KeyValueCache<string>;
}

/**
 * The registry of trusted documents: the operations in operations/ (what
 * the storefront and back office ship), each by the sha256 of its printed
 * form (see documentIdOf in @store/supergraph).
 */
export function createTrustedDocuments(operationsDir: string): TrustedDocuments {
  const manifest = trustedDocumentManifest(loadOperations(operationsDir));
  const PREFIX = "apq:";
  return {
    size: manifest.size,
    has: (documentId) => manifest.has(documentId),
    cache: {
      async get(key) {
        return manifest.get(key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key)?.query;
      },
      async set() {},
      async delete() {
        return false;
      },
    },
  };
}

/**
 * Apollo Server plugin: runs only registered operations, so a public
 * endpoint cannot be used to run arbitrary queries; anything else gets 400
 * TRUSTED_DOCUMENT_REQUIRED. The router sends every request through Apollo
 * Server while it is on (no fast path).
 */
export function useTrustedDocuments<TContext extends BaseContext>(trusted: TrustedDocuments): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        // didResolveOperation is where Apollo Server turns a thrown
        // GraphQLError into a client error with its status (an error from
        // didResolveSource would be a 500); no subgraph is called before it.
        async didResolveOperation({ queryHash }) {
          if (trusted.has(queryHash)) return;
          throw ERRORS.TRUSTED_DOCUMENT_REQUIRED.err(
            "This router accepts only registered operations (trusted documents): send a registered operation's sha256 as extensions.persistedQuery.sha256Hash",
            { extensions: { http: { status: ERRORS.TRUSTED_DOCUMENT_REQUIRED.httpStatus } } },
          );
        },
      };
    },
  };
}
