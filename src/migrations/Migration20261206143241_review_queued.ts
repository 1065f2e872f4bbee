import { Migration } from '@mikro-orm/migrations';

export class Migration20261206143241_review_queued extends Migration {

  override async up(): Promise<void> {
    // The queue flag is derived from the review's own columns: generated, so no write can forget it.
    this.addSql(`drop index "review_queue_idx";`);
    this.addSql(`alter table "review" drop column "queued";`);
    this.addSql(`alter table "review" add column "queued" boolean generated always as ("status" = 'PENDING_MODERATION' or "follow_up_held" or "reply_held" or "open_reports" > 0) stored not null;`);
    this.addSql(`create index "review_queue_idx" on "review" ((case when "open_reports" > 0 then 0 else 1 end), "id") where "queued";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "review_queue_idx";`);
    this.addSql(`alter table "review" drop column "queued";`);
    this.addSql(`alter table "review" add column "queued" boolean not null default false;`);
    this.addSql(`update "review" set "queued" = ("status" = 'PENDING_MODERATION' or "follow_up_held" or "reply_held" or "open_reports" > 0);`);
    this.addSql(`create index "review_queue_idx" on "review" ((case when "open_reports" > 0 then 0 else 1 end), "id") where "queued";`);
  }

}
