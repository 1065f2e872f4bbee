import type { EntityClass, FilterQuery, QueryOrderMap } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Loads and locks rows with `FOR NO KEY UPDATE`, the lock an UPDATE that changes no key takes.
 * Unlike `FOR UPDATE` (MikroORM's PESSIMISTIC_WRITE) it does not block the KEY SHARE lock
 * PostgreSQL takes on a parent row whenever a child row referencing it is inserted — so locking a
 * shop, product, variant, checkout or order never deadlocks against another transaction that is
 * inserting stock movements, orders or events that point at it.
 */
export async function lockRows<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  where: FilterQuery<T>,
  options: { orderBy?: QueryOrderMap<T>; limit?: number; skipLocked?: boolean } = {},
): Promise<T[]> {
  const qb = em.createQueryBuilder(entity, 'e').select('*').where(where);
  if (options.orderBy) qb.orderBy(options.orderBy);
  if (options.limit) qb.limit(options.limit);
  const query = qb.getKnexQuery().forNoKeyUpdate();
  if (options.skipLocked) query.skipLocked();
  const rows = await em.execute<Record<string, unknown>[]>(query);
  return rows.map((row) => em.map(entity, row as never));
}

export async function lockRow<T extends object>(em: EntityManager, entity: EntityClass<T>, where: FilterQuery<T>): Promise<T | null> {
  return (await lockRows(em, entity, where, { limit: 1 }))[0] ?? null;
}
