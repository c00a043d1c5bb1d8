/** The part of a Prisma client built with `log: [{ emit: "event", level: "query" }]` that we listen to. */
export interface QueryEventSource {
  $on(event: "query", listener: (event: { query: string }) => void): void;
}

export interface QueryCounter {
  /** SQL statements since the last reset, transaction control (BEGIN/COMMIT...) excluded. */
  readonly count: number;
  readonly statements: readonly string[];
  reset(): void;
}

const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET TRANSACTION)\b/i;

/** Counts the SQL a Prisma client sends: the N+1 guard in subgraph tests. */
export function countQueries(prisma: QueryEventSource): QueryCounter {
  let statements: string[] = [];
  prisma.$on("query", ({ query }) => {
    if (!TRANSACTION_CONTROL.test(query)) statements.push(query);
  });
  return {
    get count() {
      return statements.length;
    },
    get statements() {
      return statements;
    },
    reset() {
      statements = [];
    },
  };
}
