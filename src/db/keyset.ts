import { BadInputError } from '../errors';

/**
 * Keyset pagination for services: Relay-style page arguments are validated and decoded into a
 * `PageWindow`, a query fetches `window.limit` rows past the cursor in index order, and the service
 * returns a `Page<T>`. The GraphQL layer turns a page into a connection (src/schema/shared/relay.ts);
 * seeds, jobs and tests may read a page's rows directly.
 */

const BIGINT_KEY = /^[1-9][0-9]{0,18}$/;
const MAX_BIGINT = 9223372036854775807n;

/** A positive key that fits PostgreSQL's bigint. */
export function isBigintKey(key: string): boolean {
  return BIGINT_KEY.test(key) && BigInt(key) <= MAX_BIGINT;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export type SortValue = string | number | boolean | null;

export function encodeCursor(values: SortValue[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** What each sort key of a cursor holds, so a forged cursor is refused before it reaches SQL. */
/** `int`: a safe integer (a bigint column's value: PostgreSQL refuses 1.5 or 1e20 for it); `number`: any finite number. */
export type CursorKind = 'id' | 'timestamp' | 'int' | 'number' | 'text';

/**
 * A timestamp exactly as the services write one (`toISOString()`, years 0001–9999). JavaScript
 * reads what PostgreSQL refuses — year 0000, 2023-02-29 rolled over to March — so anything that
 * does not survive the round trip is a forged cursor, not a query for the database to fail.
 */
function isCursorTimestamp(v: unknown): boolean {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) || v.startsWith('0000')) return false;
  const ms = Date.parse(v);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === v;
}

const KIND_CHECKS: Record<CursorKind, (v: unknown) => boolean> = {
  id: (v) => typeof v === 'string' && isBigintKey(v),
  timestamp: isCursorTimestamp,
  int: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  text: (v) => typeof v === 'string' && v.length <= 200,
};

export function decodeCursor(cursor: string, kinds: readonly CursorKind[], argName: string): SortValue[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(values) && values.length === kinds.length && values.every((v, i) => KIND_CHECKS[kinds[i]](v))) {
      return values as SortValue[];
    }
  } catch {
    // fall through to the error below
  }
  throw new BadInputError(`\`${argName}\` is not a valid cursor for this list`, argName);
}

export interface PageWindow {
  /** Rows to fetch: the page size plus one, to learn whether another page exists. */
  limit: number;
  size: number;
  backwards: boolean;
  cursor: SortValue[] | null;
}

/** Validates Relay arguments (first ≤ 100, not both directions) and decodes the cursor. */
export function pageWindow(args: PageArgs, kinds: readonly CursorKind[]): PageWindow {
  const { first, after, last, before } = args;
  if ((first != null || after != null) && (last != null || before != null)) {
    throw new BadInputError('Use `first`/`after` or `last`/`before`, not both', first != null ? 'first' : 'after');
  }
  for (const [name, value] of [['first', first], ['last', last]] as const) {
    if (value != null && (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE)) {
      throw new BadInputError(`\`${name}\` must be between 0 and ${MAX_PAGE_SIZE}`, name);
    }
  }
  const backwards = last != null || before != null;
  const size = (backwards ? last : first) ?? DEFAULT_PAGE_SIZE;
  const rawCursor = backwards ? before : after;
  const cursor = rawCursor == null ? null : decodeCursor(rawCursor, kinds, backwards ? 'before' : 'after');
  return { limit: size + 1, size, backwards, cursor };
}

export interface SortKey {
  /** SQL expression of the sort column, qualified with the query's alias. */
  column: string;
  direction: 'asc' | 'desc';
}

/**
 * Adds keyset pagination to a query: the cursor condition, the order (reversed when paginating
 * backwards) and the limit. Every sort key must be NOT NULL and the last one unique (the id), so
 * pages have no gaps or duplicates under inserts. Uniform directions use a row comparison, which
 * PostgreSQL serves straight from a composite index.
 */
export function keysetClause(
  keys: SortKey[],
  window: PageWindow,
): { where?: { sql: string; params: SortValue[] }; orderBy: Record<string, 'asc' | 'desc'> } {
  const effective = keys.map((k) => ({
    column: k.column,
    direction: window.backwards ? (k.direction === 'asc' ? 'desc' : 'asc') : k.direction,
  }));
  const orderBy = Object.fromEntries(effective.map((k) => [k.column, k.direction])) as Record<string, 'asc' | 'desc'>;
  if (window.cursor === null) return { orderBy };
  const values = window.cursor;
  const uniform = effective.every((k) => k.direction === effective[0].direction);
  if (uniform) {
    const op = effective[0].direction === 'asc' ? '>' : '<';
    return {
      orderBy,
      where: { sql: `(${effective.map((k) => k.column).join(', ')}) ${op} (${values.map(() => '?').join(', ')})`, params: values },
    };
  }
  const parts: string[] = [];
  const params: SortValue[] = [];
  effective.forEach((key, i) => {
    const equal = effective.slice(0, i).map((k, j) => {
      params.push(values[j]);
      return `${k.column} = ?`;
    });
    params.push(values[i]);
    parts.push(`(${[...equal, `${key.column} ${key.direction === 'asc' ? '>' : '<'} ?`].join(' AND ')})`);
  });
  return { orderBy, where: { sql: `(${parts.join(' OR ')})`, params } };
}

/** Applies keyset pagination (cursor condition, order, limit) to a MikroORM query builder. */
export function applyKeyset<Q extends { andWhere(sql: string, params: unknown[]): Q; orderBy(order: Record<string, 'asc' | 'desc'>): Q; limit(n: number): Q }>(
  qb: Q,
  keys: SortKey[],
  window: PageWindow,
): Q {
  const { where, orderBy } = keysetClause(keys, window);
  if (where) qb.andWhere(where.sql, where.params);
  return qb.orderBy(orderBy).limit(window.limit);
}

/**
 * What a list service returns: the rows fetched in query order (one more than the page size when
 * another page exists), the window they were fetched for, each row's sort key (its cursor), and the
 * total, counted only when a client asks for it.
 */
export interface Page<T> {
  rows: T[];
  window: PageWindow;
  keyOf: (row: T) => SortValue[];
  totalCount: () => Promise<number>;
}

export function page<T>(rows: T[], window: PageWindow, keyOf: (row: T) => SortValue[], totalCount: () => Promise<number>): Page<T> {
  return { rows, window, keyOf, totalCount };
}
