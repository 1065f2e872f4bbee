import type { ClassType } from 'type-graphql';
import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { encodeCursor, type Page, type PageArgs } from '../../db/keyset';

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

/**
 * Turns a service's page into a connection. Its rows come in the direction of travel (reversed
 * order when paginating backwards) and are restored to list order.
 */
export function toConnection<T>({ rows, window, keyOf, totalCount }: Page<T>): ConnectionResult<T> {
  const hasMore = rows.length > window.size;
  const nodes = rows.slice(0, window.size);
  if (window.backwards) nodes.reverse();
  const edges = nodes.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  let counted: Promise<number> | undefined;
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: window.backwards ? window.cursor !== null : hasMore,
      hasPreviousPage: window.backwards ? hasMore : window.cursor !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => (counted ??= totalCount()),
  };
}

/** `toConnection` of a page a service is still fetching: what a connection field resolver returns. */
export async function connection<T>(pending: Promise<Page<T>>): Promise<ConnectionResult<T>> {
  return toConnection(await pending);
}
