import { AsyncLocalStorage } from 'node:async_hooks';

export interface QueryCount {
  count: number;
  /** When present, the statements themselves are kept too (tests read their plans). */
  statements?: { sql: string; params: readonly unknown[] }[];
  /** An enclosing scope (a test around an HTTP request) counts the same statements. */
  readonly parent?: QueryCount;
}

const storage = new AsyncLocalStorage<QueryCount>();

/**
 * MikroORM's `onQuery` hook: counts every SQL statement the ORM sends within the current async
 * scope (one HTTP request, one test operation). It runs synchronously in the caller's async
 * context, so the count is exact per scope even with concurrent requests. Transaction control
 * statements (begin/commit) are not counted.
 */
export function countQuery(sql: string, params: readonly unknown[] = []): string {
  for (let scope = storage.getStore(); scope; scope = scope.parent) {
    scope.count += 1;
    scope.statements?.push({ sql, params });
  }
  return sql;
}

/** Runs `fn` in a new counting scope, nested in the current one, and hands it the live counter. */
export function runCountingQueries<T>(fn: (scope: QueryCount) => T, keepStatements = false): T {
  const scope: QueryCount = { count: 0, parent: storage.getStore(), ...(keepStatements ? { statements: [] } : {}) };
  return storage.run(scope, () => fn(scope));
}

export async function withQueryCount<T>(fn: () => Promise<T>, keepStatements = false): Promise<{ result: T; queries: number; statements: { sql: string; params: readonly unknown[] }[] }> {
  let counter: QueryCount | undefined;
  const result = await runCountingQueries((scope) => {
    counter = scope;
    return fn();
  }, keepStatements);
  return { result, queries: counter!.count, statements: counter!.statements ?? [] };
}
