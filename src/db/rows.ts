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

const fields = new WeakMap<EntityMetadata, string[]>();
const lists = new Map<string, string>();

function metaOf<T extends object>(em: EntityManager, entity: EntityClass<T>): EntityMetadata<T> {
  return em.getMetadata().get<T>(entity.name);
}

/** The entity's table, quoted. */
function tableOf<T extends object>(em: EntityManager, entity: EntityClass<T>): string {
  return `"${metaOf(em, entity).tableName}"`;
}

/** The columns `em.map` needs: every stored scalar and owning reference, without lazy ones (e.g. the products' search vector). */
function fieldNamesOf(meta: EntityMetadata): string[] {
  let names = fields.get(meta);
  if (!names) {
    names = meta.props
      .filter((p) => !p.lazy && p.persist !== false && (p.kind === ReferenceKind.SCALAR || p.kind === ReferenceKind.MANY_TO_ONE || (p.kind === ReferenceKind.ONE_TO_ONE && p.owner)))
      .flatMap((p) => p.fieldNames);
    fields.set(meta, names);
  }
  return names;
}

/**
 * The select list of `entity`'s columns over `alias`. With `aliased`, each column is named
 * "<alias>.<column>" so several entities can share a joined row (picked back by `mapAliased`).
 */
export function columnsOf<T extends object>(em: EntityManager, entity: EntityClass<T>, alias: string, aliased = false): string {
  const key = `${entity.name}|${alias}|${aliased}`;
  let list = lists.get(key);
  if (list === undefined) {
    list = fieldNamesOf(metaOf(em, entity))
      .map((f) => (aliased ? `${alias}."${f}" as "${alias}.${f}"` : `${alias}."${f}"`))
      .join(', ');
    lists.set(key, list);
  }
  return list;
}

/** Runs `sql` (which selects `columnsOf(entity)`) and hydrates each row as a managed entity. */
export async function selectEntities<T extends object>(em: EntityManager, entity: EntityClass<T>, sql: string, params: unknown[] = []): Promise<T[]> {
  const rows = await em.execute<Record<string, unknown>[]>(sql, params);
  return rows.map((row) => em.map(entity, row as never));
}

/**
 * The entities of `entity`'s table (alias `e`) matching `where`, SQL that may go on with `order by`,
 * `limit` or a locking clause.
 */
export function entitiesWhere<T extends object>(em: EntityManager, entity: EntityClass<T>, where: string, params: unknown[] = []): Promise<T[]> {
  return selectEntities(em, entity, `select ${columnsOf(em, entity, 'e')} from ${tableOf(em, entity)} e where ${where}`, params);
}

/** The first entity `entitiesWhere` finds, or null. */
export async function entityWhere<T extends object>(em: EntityManager, entity: EntityClass<T>, where: string, params: unknown[] = []): Promise<T | null> {
  return (await entitiesWhere(em, entity, where, params))[0] ?? null;
}

/** Entities by primary key, in no particular order. */
export function entitiesByIds<T extends object>(em: EntityManager, entity: EntityClass<T>, ids: readonly string[]): Promise<T[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return entitiesWhere(em, entity, 'e.id in (?)', [[...ids]]);
}

/**
 * Entities whose `column` is one of `keys`, ordered by `orderBy` (SQL over alias `e`): the rows of a
 * one-to-many DataLoader.
 */
export function entitiesWhereIn<T extends object>(em: EntityManager, entity: EntityClass<T>, column: string, keys: readonly string[], orderBy: string, extra = ''): Promise<T[]> {
  if (keys.length === 0) return Promise.resolve([]);
  return entitiesWhere(em, entity, `e."${column}" in (?) ${extra} order by ${orderBy}`, [[...keys]]);
}


/** How each selected column becomes a property of an unmanaged instance (see `unmanaged`). */
type Plan = { field: string; name: string; read: (value: unknown) => unknown }[];
const plans = new WeakMap<EntityMetadata, Plan>();

function planOf(em: EntityManager, meta: EntityMetadata): Plan {
  let plan = plans.get(meta);
  if (!plan) {
    const platform = em.getPlatform();
    const wanted = new Set(fieldNamesOf(meta));
    plan = meta.props
      .filter((p) => p.fieldNames?.length === 1 && wanted.has(p.fieldNames[0]))
      .map((p) => {
        const custom = p.customType;
        const read =
          p.kind === ReferenceKind.MANY_TO_ONE || p.kind === ReferenceKind.ONE_TO_ONE
            ? (v: unknown) => (v == null ? null : { id: String(v) })
            : p.primary
              ? (v: unknown) => String(v)
              : custom
                ? (v: unknown) => (v == null ? v : custom.convertToJSValue(v, platform))
                : p.runtimeType === 'Date'
                  ? (v: unknown) => (v == null ? v : new Date(v as string))
                  : (v: unknown) => v;
        return { field: p.fieldNames[0], name: p.name, read };
      });
    plans.set(meta, plan);
  }
  return plan;
}

/**
 * A row selected with `columnsOf(entity)` as an unmanaged instance of the entity's class, for read
 * paths that only render it: no identity map entry and no reference entities (a relation is a
 * bare `{ id }`), about ten times cheaper than `em.map` for a page of rows. Never flush or relate
 * it to managed entities; load the entity when it is to change.
 */
export function unmanaged<T extends object>(em: EntityManager, entity: EntityClass<T>, row: Record<string, unknown>): T {
  const instance = Object.create(entity.prototype) as Record<string, unknown>;
  for (const { field, name, read } of planOf(em, metaOf(em, entity))) instance[name] = read(row[field]);
  return instance as T;
}

/** Hydrates the `alias` part of a joined row selected with `columnsOf(…, alias, true)`. */
export function mapAliased<T extends object>(em: EntityManager, entity: EntityClass<T>, row: Record<string, unknown>, alias: string): T {
  const prefix = `${alias}.`;
  const data: Record<string, unknown> = {};
  for (const key in row) if (key.startsWith(prefix)) data[key.slice(prefix.length)] = row[key];
  return em.map(entity, data as never);
}

/**
 * Row locks. Every lock a service takes goes through these functions (a lint rule keeps
 * `LockMode` and hand-written locking clauses out of src/services).
 *
 * The default is `FOR NO KEY UPDATE`, the lock an UPDATE that changes no key takes. Unlike
 * `FOR UPDATE` (MikroORM's PESSIMISTIC_WRITE) it does not block the KEY SHARE lock PostgreSQL takes
 * on a parent row whenever a child row referencing it is inserted, so locking a shop, product,
 * variant, checkout or order never deadlocks against a transaction inserting stock movements,
 * orders or events that point at it. `share` lets readers that must see a row unchanged until
 * commit (a membership while acting for a shop) run side by side.
 */
export type RowLock = 'no key update' | 'update' | 'share' | 'key share';

export interface LockOptions {
  lock?: RowLock;
  /** Skip rows another transaction holds: how several workers share a queue of rows. */
  skipLocked?: boolean;
  /** SQL over alias `e`; multi-row locks should follow one order (the id) so they never deadlock. */
  orderBy?: string;
  limit?: number;
}

/** The locking clause of `options` (over the alias `of`), for a subquery that locks rows it picks (e.g. one free row of several, SKIP LOCKED). */
export function lockClause(options: Pick<LockOptions, 'lock' | 'skipLocked'>, of?: string): string {
  return `for ${options.lock ?? 'no key update'}${of ? ` of ${of}` : ''}${options.skipLocked ? ' skip locked' : ''}`;
}

/** The entities of `entity`'s table (alias `e`) matching the SQL condition `where`, locked. */
export function lockWhere<T extends object>(em: EntityManager, entity: EntityClass<T>, where: string, params: unknown[] = [], options: LockOptions = {}): Promise<T[]> {
  const order = options.orderBy ? ` order by ${options.orderBy}` : '';
  const limit = options.limit ? ` limit ${Math.trunc(options.limit)}` : '';
  return entitiesWhere(em, entity, `${where}${order}${limit} ${lockClause(options)}`, params);
}

/** The first entity `lockWhere` finds, or null. */
export async function lockOneWhere<T extends object>(em: EntityManager, entity: EntityClass<T>, where: string, params: unknown[] = [], options: LockOptions = {}): Promise<T | null> {
  return (await lockWhere(em, entity, where, params, { ...options, limit: 1 }))[0] ?? null;
}

/** One row by primary key, locked (`FOR NO KEY UPDATE` unless told otherwise). */
export function lockById<T extends object>(em: EntityManager, entity: EntityClass<T>, id: string, lock: RowLock = 'no key update'): Promise<T | null> {
  return lockOneWhere(em, entity, 'e.id = ?', [id], { lock });
}

/**
 * Locks the rows of `entity` whose id is in `ids`, or which `subquery` (SQL selecting ids) yields,
 * in id order, in a statement of its own, without loading them: the deadlock-free prelude of a
 * set-based UPDATE of several rows (concurrent transactions take them in the same order), placed
 * as late as possible so others wait on them for little of the transaction. Returns the ids locked.
 */
export async function lockKeys<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  ids: readonly string[] | { subquery: string; params: unknown[] },
  options: Pick<LockOptions, 'lock' | 'skipLocked'> = {},
): Promise<string[]> {
  const byList = Array.isArray(ids);
  if (byList && ids.length === 0) return [];
  const rows = await em.execute<{ id: string }[]>(
    `select e.id from ${tableOf(em, entity)} e where e.id in (${byList ? '?' : (ids as { subquery: string }).subquery}) order by e.id ${lockClause(options, 'e')}`,
    byList ? [[...ids]] : (ids as { params: unknown[] }).params,
  );
  return rows.map((r) => String(r.id));
}

/**
 * Plain rows of hand-written SQL, typed and converted by a shape declared once: `key` (a bigint
 * key, as a string), `int` and `number` (numbers, also from numeric/bigint text), `text`, `bool`,
 * `date` (a Date from timestamptz text), `json`; a trailing `?` allows null. Columns are picked by
 * their SQL names, so alias them to the names the code wants.
 */
type ColumnType = 'key' | 'int' | 'number' | 'text' | 'bool' | 'date' | 'json';
type ValueOf<C> = C extends 'key' | 'text' ? string : C extends 'int' | 'number' ? number : C extends 'bool' ? boolean : C extends 'date' ? Date : unknown;
export type RowShape = Record<string, ColumnType | `${ColumnType}?`>;
export type RowOf<S extends RowShape> = { -readonly [K in keyof S]: S[K] extends `${infer C}?` ? ValueOf<C> | null : ValueOf<S[K]> };

const CONVERT: Record<ColumnType, (v: unknown) => unknown> = {
  key: (v) => String(v),
  int: (v) => Number(v),
  number: (v) => Number(v),
  text: (v) => String(v),
  bool: (v) => v === true || v === 't' || v === 'true',
  date: (v) => (v instanceof Date ? v : new Date(String(v))),
  json: (v) => (typeof v === 'string' ? JSON.parse(v) : v),
};

export function rowShape<const S extends RowShape>(shape: S): S {
  return shape;
}

/** Converts raw rows to `shape`. */
export function mapRows<S extends RowShape>(shape: S, rows: Record<string, unknown>[]): RowOf<S>[] {
  const columns = Object.entries(shape).map(([name, type]) => {
    const nullable = type.endsWith('?');
    const convert = CONVERT[(nullable ? type.slice(0, -1) : type) as ColumnType];
    return { name, nullable, convert };
  });
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const c of columns) {
      const v = row[c.name];
      if (v === null || v === undefined) {
        if (!c.nullable) throw new Error(`Column ${c.name} is null or missing in a row declared not null`);
        out[c.name] = null;
      } else out[c.name] = c.convert(v);
    }
    return out as RowOf<S>;
  });
}

/** Runs `sql` and returns its rows converted to `shape`. */
export async function selectRows<S extends RowShape>(em: EntityManager, shape: S, sql: string, params: unknown[] = []): Promise<RowOf<S>[]> {
  return mapRows(shape, await em.execute<Record<string, unknown>[]>(sql, params));
}

/**
 * `selectRows` of a query joining several tables, locking only the rows of the table aliased `of`
 * (`FOR … OF alias`): one statement reads what a check needs and takes the lock, where `lockWhere`
 * and a second select would cost two.
 */
export async function lockRowsOf<S extends RowShape>(
  em: EntityManager,
  shape: S,
  sql: string,
  params: unknown[],
  options: Pick<LockOptions, 'lock' | 'skipLocked'> & { of: string },
): Promise<RowOf<S>[]> {
  return selectRows(em, shape, `${sql} ${lockClause(options, options.of)}`, params);
}
