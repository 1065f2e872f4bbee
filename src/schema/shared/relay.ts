import type { ClassType } from 'type-graphql';
import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { BadInputError } from '../../errors';
import { isBigintKey } from './globalId';

/** Relay PageInfo, exactly as the Cursor Connections specification defines it. */
@ObjectType({ description: 'Information about pagination in a connection (Relay Cursor Connections specification).' })
export class PageInfo {
  @Field({ description: 'When paginating forwards, whether more items exist after `endCursor`.' })
  hasNextPage!: boolean;

  @Field({ description: 'When paginating backwards, whether more items exist before `startCursor`.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge, to continue backwards with `before`.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge, to continue forwards with `after`.' })
  endCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** What a service returns for a connection; `totalCount` runs only when a client asks for it. */
export interface ConnectionResult<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: () => Promise<number>;
}

/**
 * Builds the Edge and Connection object types for a node type. type-graphql generics are class
 * factories; call once per node type and export the result. With `extensible`, the connection
 * class is abstract: subclass it with `@ObjectType('<Name>Connection')` to add fields (facets).
 */
export function connectionTypes<T extends object>(nodeType: ClassType<T>, name: string = nodeType.name, extensible = false) {
  @ObjectType(`${name}Edge`, { description: `An edge in a ${name} connection.` })
  class EdgeType {
    @Field({ description: 'Opaque cursor of this edge, for `after`/`before`.' })
    cursor!: string;

    @Field(() => nodeType, { description: `The ${name} at the end of the edge.` })
    node!: T;
  }

  // An extensible base gets another name; type-graphql emits only types the schema references.
  @ObjectType(`${name}Connection${extensible ? 'Base' : ''}`, { description: `A page of ${name} objects (Relay connection).` })
  class ConnectionType {
    @Field(() => [EdgeType], { description: 'The edges of this page.' })
    edges!: EdgeType[];

    @Field(() => [nodeType], { description: 'The nodes of this page, without cursors.' })
    nodes!: T[];

    @Field(() => PageInfo, { description: 'Pagination information.' })
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Total number of objects matching the arguments, across all pages.' })
    totalCount(): Promise<number> {
      return (this as unknown as ConnectionResult<T>).totalCount();
    }
  }
  return { EdgeType, ConnectionType };
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Relay connection arguments; a connection field's own ArgsType extends this. */
@ArgsType()
export class ConnectionArgs implements PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size going forwards (default 20, at most 100).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor.' })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: 'Page size going backwards (at most 100).' })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items before this cursor.' })
  before?: string | null;
}

export type SortValue = string | number | boolean | null;

export function encodeCursor(values: SortValue[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** What each sort key of a cursor holds, so a forged cursor is refused before it reaches SQL. */
export type CursorKind = 'id' | 'timestamp' | 'number' | 'text';

const KIND_CHECKS: Record<CursorKind, (v: unknown) => boolean> = {
  id: (v) => typeof v === 'string' && isBigintKey(v),
  timestamp: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v) && !Number.isNaN(Date.parse(v)),
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

/**
 * Turns `limit` rows fetched in query order into a connection page. `rows` come in the
 * direction of travel (reversed order when paginating backwards) and are restored to list order.
 */
export function toConnection<T>(
  rows: T[],
  window: PageWindow,
  keyOf: (row: T) => SortValue[],
  totalCount: () => Promise<number>,
): ConnectionResult<T> {
  const hasMore = rows.length > window.size;
  const page = rows.slice(0, window.size);
  if (window.backwards) page.reverse();
  const edges = page.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  let counted: Promise<number> | undefined;
  return {
    edges,
    nodes: page,
    pageInfo: {
      hasNextPage: window.backwards ? window.cursor !== null : hasMore,
      hasPreviousPage: window.backwards ? hasMore : window.cursor !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => (counted ??= totalCount()),
  };
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
