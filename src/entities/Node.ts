import { OptionalProps, Property } from '@mikro-orm/core';
import { Field, ID, InterfaceType, ObjectType } from 'type-graphql';
import { toGlobalId } from '../schema/shared/globalId';

/**
 * The Relay `Node` interface and the base of every entity a client can refetch by ID. The GraphQL
 * `id` is the opaque global ID; the database key stays `id` on the entity.
 */
@InterfaceType('Node', { description: 'An object with a globally unique, opaque ID that `node(id:)` can refetch.' })
export abstract class Node {
  /** Computed or defaulted properties that `em.create()` need not be given. */
  declare [OptionalProps]?: 'globalId' | 'createdAt' | 'updatedAt';

  abstract id: string;

  @Field(() => ID, { name: 'id', description: 'Opaque global ID of this object.' })
  get globalId(): string {
    return toGlobalId(this.constructor.name, this.id);
  }
}

/**
 * Timestamps shared by every table. Decorated so subclasses inherit `createdAt`; it is never
 * referenced itself, so type-graphql 2 does not emit it into the schema.
 */
@ObjectType()
export abstract class TimestampedNode extends Node {
  @Field(() => Date, { description: 'When this was created.' })
  // Millisecond precision, like JavaScript dates, so keyset cursors round-trip exactly.
  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
