import { type EntityClass, type EntityMetadata, ReferenceKind } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Managed entities from hand-written SQL. Building a query through MikroORM's query builder costs
 * about 0.6 ms of CPU (a `findOne` 0.75 ms against 0.13 ms for the same statement sent as SQL), so
 * the paths every request takes (the session lookup, the DataLoaders, checkout and payment) write
 * their SQL and let `em.map` hydrate the rows into the identity map, where they behave like any
 * other loaded entity (changes are flushed, relations are references).
 *
 * Unlike `em.find`, `em.map` refreshes an entity the identity map already holds: its unflushed
 * changes are overwritten by the row. Select an entity here before changing it, never after.
 * Raw rows also carry timestamptz values as strings (MikroORM turns pg's date parsing off); only
 * `em.map` converts them, so compare times in SQL.
 */

const lists = new WeakMap<EntityMetadata, Map<string, string>>();

function metaOf<T extends object>(em: EntityManager, entity: EntityClass<T>): EntityMetadata<T> {
  return em.getMetadata().get<T>(entity.name);
}

/** The entity's table, quoted. */
export function tableOf<T extends object>(em: EntityManager, entity: EntityClass<T>): string {
  return `"${metaOf(em, entity).tableName}"`;
}

/**
 * The columns `em.map` needs for `entity`, prefixed with `alias`: every stored scalar and owning
 * reference, without lazy columns (e.g. the products' search vector).
 */
export function columnsOf<T extends object>(em: EntityManager, entity: EntityClass<T>, alias: string): string {
  const meta = metaOf(em, entity);
  let byAlias = lists.get(meta);
  if (!byAlias) lists.set(meta, (byAlias = new Map()));
  let list = byAlias.get(alias);
  if (list === undefined) {
    list = meta.props
      .filter((p) => !p.lazy && p.persist !== false && (p.kind === ReferenceKind.SCALAR || p.kind === ReferenceKind.MANY_TO_ONE || (p.kind === ReferenceKind.ONE_TO_ONE && p.owner)))
      .flatMap((p) => p.fieldNames)
      .map((f) => `${alias}."${f}"`)
      .join(', ');
    byAlias.set(alias, list);
  }
  return list;
}

/** Runs `sql` (which selects `columnsOf(entity)`) and hydrates each row as a managed entity. */
export async function selectEntities<T extends object>(em: EntityManager, entity: EntityClass<T>, sql: string, params: unknown[] = []): Promise<T[]> {
  const rows = await em.execute<Record<string, unknown>[]>(sql, params);
  return rows.map((row) => em.map(entity, row as never));
}

export async function selectEntity<T extends object>(em: EntityManager, entity: EntityClass<T>, sql: string, params: unknown[] = []): Promise<T | null> {
  return (await selectEntities(em, entity, sql, params))[0] ?? null;
}

/** Entities by primary key, in no particular order. */
export function entitiesByIds<T extends object>(em: EntityManager, entity: EntityClass<T>, ids: readonly string[]): Promise<T[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return selectEntities(em, entity, `select ${columnsOf(em, entity, 'e')} from ${tableOf(em, entity)} e where e.id in (?)`, [[...ids]]);
}

/**
 * Entities whose `column` is one of `keys`, ordered by `orderBy` (SQL over alias `e`): the rows of a
 * one-to-many DataLoader.
 */
export function entitiesWhereIn<T extends object>(em: EntityManager, entity: EntityClass<T>, column: string, keys: readonly string[], orderBy: string, extra = ''): Promise<T[]> {
  if (keys.length === 0) return Promise.resolve([]);
  return selectEntities(em, entity, `select ${columnsOf(em, entity, 'e')} from ${tableOf(em, entity)} e where e."${column}" in (?) ${extra} order by ${orderBy}`, [[...keys]]);
}

/** One row by primary key, locked `FOR NO KEY UPDATE` (see `lockRows`). */
export function lockById<T extends object>(em: EntityManager, entity: EntityClass<T>, id: string): Promise<T | null> {
  return selectEntity(em, entity, `select ${columnsOf(em, entity, 'e')} from ${tableOf(em, entity)} e where e.id = ? for no key update`, [id]);
}

/** `columnsOf` for a join: each column named "<alias>.<column>", to be picked back by `mapAliased`. */
export function aliasedColumnsOf<T extends object>(em: EntityManager, entity: EntityClass<T>, alias: string): string {
  return columnsOf(em, entity, alias)
    .split(', ')
    .map((c) => `${c} as "${alias}.${c.slice(alias.length + 2, -1)}"`)
    .join(', ');
}

/** Hydrates the `alias` part of a joined row selected with `aliasedColumnsOf`. */
export function mapAliased<T extends object>(em: EntityManager, entity: EntityClass<T>, row: Record<string, unknown>, alias: string): T {
  const prefix = `${alias}.`;
  const data: Record<string, unknown> = {};
  for (const key in row) if (key.startsWith(prefix)) data[key.slice(prefix.length)] = row[key];
  return em.map(entity, data as never);
}
