import { BigIntType, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from './User';

/**
 * One staff action or membership change: who did what to which object, a before/after summary,
 * the request id that did it, and when. Append-only.
 */
@Entity({ tableName: 'audit_entry' })
@Index({ name: 'audit_entry_target_idx', properties: ['targetType', 'targetId'] })
export class AuditEntry {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Index({ name: 'audit_entry_actor_idx' })
  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  actor?: User;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  targetType!: string;

  @Property({ type: 'text' })
  targetId!: string;

  @Property({ type: 'jsonb', nullable: true })
  before?: Record<string, unknown>;

  @Property({ type: 'jsonb', nullable: true })
  after?: Record<string, unknown>;

  @Property({ type: 'text', nullable: true })
  requestId?: string;

  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
