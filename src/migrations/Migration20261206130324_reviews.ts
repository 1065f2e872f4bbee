import { Migration } from '@mikro-orm/migrations';

export class Migration20261206130324_reviews extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "blocked_word" ("word" text not null, "created_at" timestamptz(3) not null, constraint "blocked_word_pkey" primary key ("word"));`);

    this.addSql(`create table "scorecard_level_change" ("id" bigserial primary key, "shop_id" bigint not null, "from_level" text check ("from_level" in ('EXCELLENT', 'GOOD', 'NEEDS_IMPROVEMENT', 'AT_RISK', 'NOT_RATED')) null, "to_level" text check ("to_level" in ('EXCELLENT', 'GOOD', 'NEEDS_IMPROVEMENT', 'AT_RISK', 'NOT_RATED')) not null, "score" smallint null, "at" timestamptz(3) not null, "notified_at" timestamptz(3) null);`);
    this.addSql(`create index "scorecard_level_change_pending_idx" on "scorecard_level_change" ("id") where "notified_at" is null;`);
    this.addSql(`create index "scorecard_level_change_level_idx" on "scorecard_level_change" ("to_level", "id");`);
    this.addSql(`create index "scorecard_level_change_shop_idx" on "scorecard_level_change" ("shop_id", "id");`);

    this.addSql(`create table "shop_scorecard" ("shop_id" bigint not null, "computed_at" timestamptz(3) not null, "window_start" timestamptz(3) not null, "paid_orders" int not null, "ship_on_time_rate" double precision null, "cancellation_rate" double precision null, "after_sale_rate" double precision null, "refund_rate" double precision null, "dispute_rate" double precision null, "average_rating" double precision null, "review_count" int not null default 0, "first_response_minutes_p50" double precision null, "score" smallint null, "level" text check ("level" in ('EXCELLENT', 'GOOD', 'NEEDS_IMPROVEMENT', 'AT_RISK', 'NOT_RATED')) not null, "level_since" timestamptz(3) not null, constraint "shop_scorecard_pkey" primary key ("shop_id"), constraint shop_scorecard_score_check check ("score" between 0 and 100));`);
    this.addSql(`create index "shop_scorecard_level_idx" on "shop_scorecard" ("level", "score", "shop_id");`);
    this.addSql(`create index "shop_scorecard_score_idx" on "shop_scorecard" ("score", "shop_id");`);

    this.addSql(`create table "review_invitation" ("order_line_id" bigint not null, "buyer_id" bigint not null, "invited_at" timestamptz(3) not null, "due_at" timestamptz(3) not null, "notified_at" timestamptz(3) null, constraint "review_invitation_pkey" primary key ("order_line_id"));`);
    this.addSql(`create index "review_invitation_buyer_idx" on "review_invitation" ("buyer_id");`);
    this.addSql(`create index "review_invitation_pending_idx" on "review_invitation" ("order_line_id") where "notified_at" is null;`);

    this.addSql(`create table "review" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "order_line_id" bigint not null, "order_id" bigint not null, "product_id" bigint not null, "shop_id" bigint not null, "buyer_id" bigint not null, "variant_title" text not null, "rating" smallint not null, "aspect_description" smallint null, "aspect_service" smallint null, "aspect_logistics" smallint null, "body" text null, "photo_urls" text[] not null default '{}', "with_photos" boolean generated always as (cardinality("photo_urls") > 0 or (cardinality("follow_up_photo_urls") > 0 and not "follow_up_held")) stored not null, "anonymous" boolean not null default false, "automatic" boolean not null default false, "status" text check ("status" in ('PUBLISHED', 'PENDING_MODERATION', 'HIDDEN')) not null, "featured" boolean not null default false, "flags" text[] not null default '{}', "queued" boolean not null default false, "open_reports" int not null default 0, "helpful_count" int not null default 0, "follow_up_body" text null, "follow_up_photo_urls" text[] not null default '{}', "follow_up_at" timestamptz(3) null, "follow_up_held" boolean not null default false, "reply_body" text null, "replied_at" timestamptz(3) null, "reply_edited_at" timestamptz(3) null, "reply_author_id" bigint null, "reply_held" boolean not null default false, "moderation_decision" text check ("moderation_decision" in ('PUBLISH', 'HIDE', 'FEATURE', 'REMOVE_HELD')) null, "moderation_reason" text null, "moderated_at" timestamptz(3) null, "moderator_id" bigint null, constraint review_counts_check check ("helpful_count" >= 0 and "open_reports" >= 0), constraint review_aspects_check check (("aspect_description" is null and "aspect_service" is null and "aspect_logistics" is null) or ("aspect_description" between 1 and 5 and "aspect_service" between 1 and 5 and "aspect_logistics" between 1 and 5)), constraint review_rating_check check ("rating" between 1 and 5));`);
    this.addSql(`create index "review_order_idx" on "review" ("order_id");`);
    this.addSql(`create index "review_reply_author_idx" on "review" ("reply_author_id");`);
    this.addSql(`create index "review_moderator_idx" on "review" ("moderator_id");`);
    this.addSql(`create index "review_published_created_idx" on "review" ("created_at") where "status" = 'PUBLISHED';`);
    this.addSql(`create index "review_queue_idx" on "review" ((case when "open_reports" > 0 then 0 else 1 end), "id") where "queued";`);
    this.addSql(`create index "review_buyer_idx" on "review" ("buyer_id", "id");`);
    this.addSql(`create index "review_shop_helpful_idx" on "review" ("shop_id", "helpful_count" desc, "id" desc) where "status" = 'PUBLISHED';`);
    this.addSql(`create index "review_shop_newest_idx" on "review" ("shop_id", "id" desc) where "status" = 'PUBLISHED';`);
    this.addSql(`create index "review_product_featured_idx" on "review" ("product_id", "id" desc) where "status" = 'PUBLISHED' and "featured";`);
    this.addSql(`create index "review_product_photos_idx" on "review" ("product_id", "id" desc) where "status" = 'PUBLISHED' and "with_photos";`);
    this.addSql(`create index "review_product_rating_idx" on "review" ("product_id", "rating", "id" desc) where "status" = 'PUBLISHED';`);
    this.addSql(`create index "review_product_helpful_idx" on "review" ("product_id", "helpful_count" desc, "id" desc) where "status" = 'PUBLISHED';`);
    this.addSql(`create index "review_product_newest_idx" on "review" ("product_id", "id" desc) where "status" = 'PUBLISHED';`);
    this.addSql(`alter table "review" add constraint "review_order_line_unique" unique ("order_line_id");`);
    // The review lists are cached with the catalog's anonymous answers: any change drops them too.
    this.addSql(`create trigger "review_catalog_changed" after insert or update or delete or truncate on "review" for each statement execute function catalog_changed();`);

    this.addSql(`create table "review_vote" ("review_id" bigint not null, "user_id" bigint not null, constraint "review_vote_pkey" primary key ("review_id", "user_id"));`);
    this.addSql(`create index "review_vote_user_idx" on "review_vote" ("user_id");`);

    this.addSql(`create table "review_report" ("id" bigserial primary key, "review_id" bigint not null, "reporter_id" bigint not null, "reason" text not null, "created_at" timestamptz(3) not null, "resolved_at" timestamptz(3) null);`);
    this.addSql(`create index "review_report_reporter_idx" on "review_report" ("reporter_id");`);
    this.addSql(`alter table "review_report" add constraint "review_report_unique" unique ("review_id", "reporter_id");`);

    this.addSql(`alter table "scorecard_level_change" add constraint "scorecard_level_change_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "shop_scorecard" add constraint "shop_scorecard_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "review_invitation" add constraint "review_invitation_order_line_id_foreign" foreign key ("order_line_id") references "order_line" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "review_invitation" add constraint "review_invitation_buyer_id_foreign" foreign key ("buyer_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "review" add constraint "review_order_line_id_foreign" foreign key ("order_line_id") references "order_line" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "review" add constraint "review_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "review" add constraint "review_product_id_foreign" foreign key ("product_id") references "product" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "review" add constraint "review_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "review" add constraint "review_buyer_id_foreign" foreign key ("buyer_id") references "users" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "review" add constraint "review_reply_author_id_foreign" foreign key ("reply_author_id") references "users" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "review" add constraint "review_moderator_id_foreign" foreign key ("moderator_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "review_vote" add constraint "review_vote_review_id_foreign" foreign key ("review_id") references "review" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "review_vote" add constraint "review_vote_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "review_report" add constraint "review_report_review_id_foreign" foreign key ("review_id") references "review" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "review_report" add constraint "review_report_reporter_id_foreign" foreign key ("reporter_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "shop" add column "rating_count" int not null default 0, add column "rating_sum" int not null default 0, add column "rating_distribution" int[] not null default '{0,0,0,0,0}', add column "aspect_count" int not null default 0, add column "aspect_description_sum" int not null default 0, add column "aspect_service_sum" int not null default 0, add column "aspect_logistics_sum" int not null default 0;`);

    this.addSql(`alter table "product" add column "rating_count" int not null default 0, add column "rating_sum" int not null default 0, add column "rating_distribution" int[] not null default '{0,0,0,0,0}', add column "aspect_count" int not null default 0, add column "aspect_description_sum" int not null default 0, add column "aspect_service_sum" int not null default 0, add column "aspect_logistics_sum" int not null default 0, add column "rating_rank" int generated always as (case when "rating_count" = 0 then 0 else round(("rating_sum" + 20) * 1000.0 / ("rating_count" + 5))::int end) stored not null;`);
    this.addSql(`create index "product_top_rated_idx" on "product" ("rating_rank" desc, "id" desc) where "visible";`);

    this.addSql(`alter table "orders" add column "cancelled_by" text check ("cancelled_by" in ('BUYER', 'SHOP', 'STAFF', 'PLATFORM')) null;`);
    this.addSql(`create index "orders_delivered_at_idx" on "orders" ("delivered_at") where "delivered_at" is not null;`);
    // Orders cancelled before this column: the canceller from the last CANCELLED event, by the
    // precedence the API applies (staff, then the buyer, then the shop; no person: the platform).
    this.addSql(`update "orders" o set "cancelled_by" = case when e.actor_id is null then 'PLATFORM' when cardinality(u.staff_roles) > 0 then 'STAFF' when e.actor_id = o.buyer_id then 'BUYER' else 'SHOP' end
      from (select distinct on (order_id) order_id, actor_id from order_event where type = 'CANCELLED' order by order_id, id desc) e
      left join users u on u.id = e.actor_id
      where e.order_id = o.id and o.status = 'CANCELLED';`);

  }

  override async down(): Promise<void> {
    this.addSql(`alter table "review_vote" drop constraint "review_vote_review_id_foreign";`);

    this.addSql(`alter table "review_report" drop constraint "review_report_review_id_foreign";`);

    this.addSql(`drop table if exists "blocked_word" cascade;`);

    this.addSql(`drop table if exists "scorecard_level_change" cascade;`);

    this.addSql(`drop table if exists "shop_scorecard" cascade;`);

    this.addSql(`drop table if exists "review_invitation" cascade;`);

    this.addSql(`drop table if exists "review" cascade;`);

    this.addSql(`drop table if exists "review_vote" cascade;`);

    this.addSql(`drop table if exists "review_report" cascade;`);

    this.addSql(`drop index "orders_delivered_at_idx";`);
    this.addSql(`alter table "orders" drop column "cancelled_by";`);

    this.addSql(`drop index "product_top_rated_idx";`);
    this.addSql(`alter table "product" drop column "rating_count", drop column "rating_sum", drop column "rating_distribution", drop column "aspect_count", drop column "aspect_description_sum", drop column "aspect_service_sum", drop column "aspect_logistics_sum", drop column "rating_rank";`);

    this.addSql(`alter table "shop" drop column "rating_count", drop column "rating_sum", drop column "rating_distribution", drop column "aspect_count", drop column "aspect_description_sum", drop column "aspect_service_sum", drop column "aspect_logistics_sum";`);
  }

}
