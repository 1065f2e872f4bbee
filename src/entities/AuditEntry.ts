import { BigIntType, Entity, Index, ManyToOne, PrimaryKey, Property, type Rel, OptionalProps } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { toGlobalId } from '../schema/shared/globalId';
import { User } from './User';

/**
 * One staff action or membership change: who did what to which object, a before/after summary,
 * the request id that did it, and when. Append-only.
 */
@ObjectType({ description: 'An audit log entry: a staff action or a membership change.' })
@Entity({ tableName: 'audit_entry' })
@Index({ name: 'audit_entry_target_idx', properties: ['targetType', 'targetId'] })
@Index({ name: 'audit_entry_action_idx', properties: ['action'] })
export class AuditEntry {
  declare [OptionalProps]?: 'globalId' | 'createdAt';

  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Index({ name: 'audit_entry_actor_idx' })
  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  actor?: Rel<User>;

  @Field({ description: 'What was done, e.g. "shop.suspend" or "shopMember.changeRole".' })
  @Property({ type: 'text' })
  action!: string;

  @Field({ description: 'Type of the object acted on, e.g. "Shop".' })
  @Property({ type: 'text' })
  targetType!: string;

  @Field({ description: 'Database key of the object acted on.' })
  @Property({ type: 'text' })
  targetId!: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Summary of the object before the action.' })
  @Property({ type: 'jsonb', nullable: true })
  before?: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Summary of the object after the action.' })
  @Property({ type: 'jsonb', nullable: true })
  after?: Record<string, unknown>;

  @Field(() => String, { nullable: true, description: 'Request id of the API call that did it (matches the server logs).' })
  @Property({ type: 'text', nullable: true })
  requestId?: string;

  @Field(() => Date, { name: 'at', description: 'When it happened.' })
  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => ID, { name: 'id', description: 'Global ID of the entry.' })
  get globalId(): string {
    return toGlobalId('AuditEntry', this.id);
  }
}
