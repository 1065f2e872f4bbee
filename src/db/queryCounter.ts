import { AsyncLocalStorage } from 'node:async_hooks';
import type { MikroORM } from '@mikro-orm/postgresql';

interface QueryCount {
  count: number;
}

const storage = new AsyncLocalStorage<QueryCount>();

/**
 * Counts every SQL statement sent through the ORM's connection pool within the current async
 * scope (one HTTP request, one test operation). Knex emits `query` synchronously in the caller's
 * async context, so the count is exact per scope even with concurrent requests.
 */
export function attachQueryCounter(orm: MikroORM): void {
  orm.em.getKnex().on('query', () => {
    const scope = storage.getStore();
    if (scope) scope.count += 1;
  });
}

export async function withQueryCount<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const scope: QueryCount = { count: 0 };
  const result = await storage.run(scope, fn);
  return { result, queries: scope.count };
}

/** Runs `fn` in a counting scope and hands the live counter to the caller (for per-request metrics). */
export function runCountingQueries<T>(fn: (scope: QueryCount) => T): T {
  const scope: QueryCount = { count: 0 };
  return storage.run(scope, () => fn(scope));
}
