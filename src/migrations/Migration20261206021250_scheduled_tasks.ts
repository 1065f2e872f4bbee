import { Migration } from '@mikro-orm/migrations';

/**
 * The last run of each scheduled task (when, and what it did), read by every server process; the
 * row doubles as the task's run lock.
 */
export class Migration20261206021250_scheduled_tasks extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "scheduled_task_state" ("name" text not null, "last_run_at" timestamptz(3) null, "last_result" text null, constraint "scheduled_task_state_pkey" primary key ("name"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "scheduled_task_state" cascade;`);
  }

}
