import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The last run of one scheduled task, shared by every server process. The row is also the task's
 * run lock: a run holds it locked from start to finish, so runs of one task never overlap, whether
 * pg-boss or a member of staff started them. Not a GraphQL type: `ScheduledTask` joins this row to
 * the task's definition in code.
 */
@Entity({ tableName: 'scheduled_task_state' })
export class ScheduledTaskState {
  declare [OptionalProps]?: 'lastRunAt' | 'lastResult';

  /** The task's stable kebab-case name. */
  @PrimaryKey({ type: 'text' })
  name!: string;

  /** When the last run started, by the business clock. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  lastRunAt?: Date | null;

  /** "done: <n>" (with the task's note, if any), or "failed: <message>". */
  @Property({ type: 'text', nullable: true })
  lastResult?: string | null;
}
