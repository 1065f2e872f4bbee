import { Migration } from '@mikro-orm/migrations';

export class Migration20261206151414_membership extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "referral" ("id" bigserial primary key, "referrer_id" bigint not null, "invitee_id" bigint not null, "created_at" timestamptz(3) not null, "rewarded_at" timestamptz(3) null, "reward_order_id" bigint null, "referrer_points" int not null default 0, constraint referral_self_check check ("referrer_id" <> "invitee_id"));`);
    this.addSql(`alter table "referral" add constraint "referral_invitee_unique" unique ("invitee_id");`);
    this.addSql(`create index "referral_referrer_idx" on "referral" ("referrer_id", "id");`);

    this.addSql(`create table "points_entry" ("id" bigserial primary key, "user_id" bigint not null, "delta" int not null, "reason" text check ("reason" in ('ORDER_EARNED', 'REFUND_REVERSED', 'REDEEMED', 'REDEEM_RETURNED', 'EXPIRED', 'CHECK_IN', 'GROWTH_TASK', 'REFERRAL')) not null, "order_id" bigint null, "key" text not null, "expires_at" timestamptz(3) null, "amount" bigint null, "note" text null, "at" timestamptz(3) not null, constraint points_entry_delta_check check ("delta" <> 0));`);
    this.addSql(`create index "points_entry_order_idx" on "points_entry" ("order_id") where "order_id" is not null;`);
    this.addSql(`create index "points_entry_expiry_idx" on "points_entry" ("expires_at", "user_id") where "expires_at" is not null;`);
    this.addSql(`create index "points_entry_user_idx" on "points_entry" ("user_id", "id") include ("delta");`);
    this.addSql(`create index "points_entry_returned_idx" on "points_entry" ("at", "user_id") where "reason" = 'REDEEM_RETURNED';`);
    this.addSql(`alter table "points_entry" add constraint "points_entry_key_unique" unique ("user_id", "key");`);

    this.addSql(`create table "member" ("user_id" bigint not null, "level_rank" int not null default 0, "level_since" timestamptz(3) not null, "points_expired_through" timestamptz(3) null, "points_checked_at" timestamptz(3) null, constraint "member_pkey" primary key ("user_id"));`);
    this.addSql(`create index "member_level_idx" on "member" ("level_rank");`);

    this.addSql(`create table "growth_task" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "kind" text check ("kind" in ('COMPLETE_PROFILE', 'FIRST_ORDER', 'FIRST_REVIEW', 'INVITE_FRIEND', 'CHECK_IN_STREAK')) not null, "title" text not null, "description" text null, "target" int not null default 1, "reward_points" int not null, "starts_at" timestamptz(3) not null, "ends_at" timestamptz(3) null, "created_by_id" bigint not null, constraint growth_task_values_check check ("target" >= 1 and "reward_points" >= 1 and ("ends_at" is null or "ends_at" >= "starts_at")));`);
    this.addSql(`create index "growth_task_created_by_idx" on "growth_task" ("created_by_id");`);
    this.addSql(`create index "growth_task_open_idx" on "growth_task" ("ends_at", "id");`);

    this.addSql(`create table "growth_task_reward" ("id" bigserial primary key, "task_id" bigint not null, "user_id" bigint not null, "points" int not null, "at" timestamptz(3) not null);`);
    this.addSql(`create index "growth_task_reward_task_idx" on "growth_task_reward" ("task_id");`);
    this.addSql(`alter table "growth_task_reward" add constraint "growth_task_reward_unique" unique ("user_id", "task_id");`);

    this.addSql(`create table "member_level" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "rank" int not null, "name" text not null, "min_spend" bigint not null, "points_multiplier_pct" int not null default 100, "free_shipping_threshold" bigint null, "monthly_coupon_campaign_id" bigint null, "perks" jsonb not null default '[]', constraint member_level_values_check check ("rank" between 0 and 20 and "min_spend" >= 0 and "points_multiplier_pct" between 0 and 1000 and ("free_shipping_threshold" is null or "free_shipping_threshold" >= 0)));`);
    this.addSql(`alter table "member_level" add constraint "member_level_rank_unique" unique ("rank");`);
    this.addSql(`create index "member_level_coupon_idx" on "member_level" ("monthly_coupon_campaign_id");`);
    // Every shopper's level from the start; staff add the ones above it (setMemberLevels).
    this.addSql(`insert into "member_level" ("rank", "name", "min_spend") values (0, 'Member', 0);`);

    this.addSql(`create table "check_in" ("id" bigserial primary key, "user_id" bigint not null, "day" date not null, "streak" int not null, "points" int not null, "at" timestamptz(3) not null, constraint check_in_values_check check ("streak" >= 1 and "points" >= 0));`);
    this.addSql(`alter table "check_in" add constraint "check_in_user_day_unique" unique ("user_id", "day");`);

    this.addSql(`alter table "referral" add constraint "referral_referrer_id_foreign" foreign key ("referrer_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "referral" add constraint "referral_invitee_id_foreign" foreign key ("invitee_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "points_entry" add constraint "points_entry_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "member" add constraint "member_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "growth_task" add constraint "growth_task_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "growth_task_reward" add constraint "growth_task_reward_task_id_foreign" foreign key ("task_id") references "growth_task" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "growth_task_reward" add constraint "growth_task_reward_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "member_level" add constraint "member_level_monthly_coupon_campaign_id_foreign" foreign key ("monthly_coupon_campaign_id") references "coupon_campaign" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "check_in" add constraint "check_in_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "order_discount" drop constraint if exists "order_discount_source_check";`);

    // The referral code of a user key: a 4-round Feistel permutation of its low 40 bits (a bijection,
    // so codes never collide below 2^40 users), written as 8 characters of an alphabet without
    // look-alikes (no 0, 1, I, O). Immutable, so a generated column can call it.
    this.addSql(`create function referral_code(uid bigint) returns text language plpgsql immutable strict parallel safe as $$
declare
  l bigint := (uid >> 20) & 1048575;
  r bigint := uid & 1048575;
  t bigint;
  v bigint;
  alphabet constant text := '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  code text := '';
begin
  for i in 1..4 loop
    t := r;
    r := l # ((((r * 40503) # (r >> 7)) + i * 611953) & 1048575);
    l := t;
  end loop;
  v := (l << 20) | r;
  for i in 0..7 loop
    code := substr(alphabet, ((v >> (5 * i)) & 31)::int + 1, 1) || code;
  end loop;
  return code;
end
$$;`);
    this.addSql(`alter table "users" add column "referral_code" text generated always as (referral_code("id")) stored not null;`);
    this.addSql(`alter table "users" add constraint "users_referral_code_unique" unique ("referral_code");`);

    this.addSql(`create index "orders_buyer_completed_idx" on "orders" ("buyer_id", "completed_at") include ("total") where "status" = 'COMPLETED';`);

    this.addSql(`alter table "user_coupon" add column "grant_key" text null;`);
    this.addSql(`alter table "user_coupon" add constraint "user_coupon_grant_unique" unique ("campaign_id", "user_id", "grant_key");`);


    this.addSql(`alter table "order_discount" add constraint "order_discount_source_check" check("source" in ('PROMOTION', 'COUPON', 'FLASH_SALE', 'GROUP_BUY', 'BARGAIN', 'POINTS', 'MEMBER_SHIPPING'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "growth_task_reward" drop constraint "growth_task_reward_task_id_foreign";`);

    this.addSql(`drop table if exists "referral" cascade;`);

    this.addSql(`drop table if exists "points_entry" cascade;`);

    this.addSql(`drop table if exists "member" cascade;`);

    this.addSql(`drop table if exists "growth_task" cascade;`);

    this.addSql(`drop table if exists "growth_task_reward" cascade;`);

    this.addSql(`drop table if exists "member_level" cascade;`);

    this.addSql(`drop table if exists "check_in" cascade;`);

    this.addSql(`alter table "order_discount" drop constraint if exists "order_discount_source_check";`);


    this.addSql(`alter table "order_discount" add constraint "order_discount_source_check" check("source" in ('PROMOTION', 'COUPON', 'FLASH_SALE', 'GROUP_BUY', 'BARGAIN'));`);

    this.addSql(`drop index "orders_buyer_completed_idx";`);
    this.addSql(`alter table "user_coupon" drop constraint "user_coupon_grant_unique";`);
    this.addSql(`alter table "user_coupon" drop column "grant_key";`);

    this.addSql(`alter table "users" drop constraint "users_referral_code_unique";`);
    this.addSql(`alter table "users" drop column "referral_code";`);
    this.addSql(`drop function referral_code(bigint);`);
  }

}
