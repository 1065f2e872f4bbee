import { Migration } from '@mikro-orm/migrations';

export class Migration20261206100025_promotions extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "promotion" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "shop_id" bigint null, "title" text not null, "kind" text check ("kind" in ('AMOUNT_OFF_THRESHOLD', 'PERCENT_OFF', 'FIXED_PRICE_BUNDLE', 'GIFT_WITH_PURCHASE')) not null, "tiers" jsonb not null, "every" boolean not null default false, "max_discount" bigint null, "scope" jsonb not null, "starts_at" timestamptz(3) not null, "ends_at" timestamptz(3) not null, "per_user_limit" int null, "budget" bigint null, "spent" bigint not null default 0, "stackable" boolean not null default true, "cancelled_at" timestamptz(3) null, "created_by_id" bigint not null, constraint promotion_amounts_check check ("spent" >= 0 and ("budget" is null or "budget" > 0) and ("max_discount" is null or "max_discount" > 0) and ("per_user_limit" is null or "per_user_limit" > 0)), constraint promotion_window_check check ("ends_at" > "starts_at"));`);
    this.addSql(`create index "promotion_shop_idx" on "promotion" ("shop_id", "id");`);
    this.addSql(`create index "promotion_live_idx" on "promotion" ("ends_at", "starts_at") where "cancelled_at" is null;`);
    this.addSql(`create index "promotion_shop_live_idx" on "promotion" ("shop_id", "ends_at") where "cancelled_at" is null;`);

    this.addSql(`create table "coupon_campaign" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "shop_id" bigint null, "title" text not null, "kind" text check ("kind" in ('AMOUNT_OFF', 'PERCENT_OFF', 'FREE_SHIPPING')) not null, "amount_off" bigint null, "percent_off_bp" int null, "max_discount" bigint null, "min_subtotal" bigint not null default 0, "scope" jsonb not null, "total_quantity" int not null, "claimed" int not null default 0, "per_user_limit" int not null, "claim_starts_at" timestamptz(3) not null, "claim_ends_at" timestamptz(3) not null, "valid_days" int null, "valid_until" timestamptz(3) null, "audience" text check ("audience" in ('ALL', 'NEW_USERS', 'MEMBER_LEVEL')) not null, "member_level" int null, "code" text null, "ended_at" timestamptz(3) null, "created_by_id" bigint not null, constraint coupon_campaign_validity_check check (("valid_days" is null) <> ("valid_until" is null)), constraint coupon_campaign_quantity_check check ("claimed" >= 0 and "claimed" <= "total_quantity" and "per_user_limit" >= 1), constraint coupon_campaign_window_check check ("claim_ends_at" > "claim_starts_at"));`);
    this.addSql(`alter table "coupon_campaign" add constraint "coupon_campaign_code_unique" unique ("code");`);
    this.addSql(`create index "coupon_campaign_shop_idx" on "coupon_campaign" ("shop_id", "id");`);
    this.addSql(`create index "coupon_campaign_claim_idx" on "coupon_campaign" ("claim_ends_at", "claim_starts_at") where "ended_at" is null;`);

    this.addSql(`create table "user_coupon" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "campaign_id" bigint not null, "user_id" bigint not null, "status" text check ("status" in ('AVAILABLE', 'USED', 'EXPIRED')) not null default 'AVAILABLE', "claimed_at" timestamptz(3) not null, "valid_from" timestamptz(3) not null, "valid_until" timestamptz(3) not null, "used_at" timestamptz(3) null, "checkout_id" bigint null, constraint user_coupon_validity_check check ("valid_until" > "valid_from"));`);
    this.addSql(`create index "user_coupon_checkout_idx" on "user_coupon" ("checkout_id");`);
    this.addSql(`create index "user_coupon_expiry_idx" on "user_coupon" ("valid_until") where "status" = 'AVAILABLE';`);
    this.addSql(`create index "user_coupon_campaign_user_idx" on "user_coupon" ("campaign_id", "user_id");`);
    this.addSql(`create index "user_coupon_user_idx" on "user_coupon" ("user_id", "status", "valid_until", "id");`);

    this.addSql(`create table "order_discount" ("id" bigserial primary key, "order_id" bigint not null, "source" text check ("source" in ('PROMOTION', 'COUPON')) not null, "promotion_id" bigint null, "user_coupon_id" bigint null, "title" text not null, "funded_by" text check ("funded_by" in ('PLATFORM', 'SHOP')) not null, "amount" bigint not null, "shipping_amount" bigint not null default 0, constraint order_discount_amount_check check ("amount" >= 0 and "shipping_amount" between 0 and "amount"));`);
    this.addSql(`create index "order_discount_coupon_idx" on "order_discount" ("user_coupon_id") where "user_coupon_id" is not null;`);
    this.addSql(`create index "order_discount_promotion_idx" on "order_discount" ("promotion_id") where "promotion_id" is not null;`);
    this.addSql(`create index "order_discount_order_idx" on "order_discount" ("order_id", "id");`);

    this.addSql(`alter table "promotion" add constraint "promotion_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "promotion" add constraint "promotion_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "coupon_campaign" add constraint "coupon_campaign_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "coupon_campaign" add constraint "coupon_campaign_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "user_coupon" add constraint "user_coupon_campaign_id_foreign" foreign key ("campaign_id") references "coupon_campaign" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "user_coupon" add constraint "user_coupon_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "user_coupon" add constraint "user_coupon_checkout_id_foreign" foreign key ("checkout_id") references "checkout" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "order_discount" add constraint "order_discount_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "order_discount" add constraint "order_discount_promotion_id_foreign" foreign key ("promotion_id") references "promotion" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "order_discount" add constraint "order_discount_user_coupon_id_foreign" foreign key ("user_coupon_id") references "user_coupon" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "orders" drop constraint orders_money_check;`);

    this.addSql(`alter table "orders" add column "shipping_discount" bigint not null default 0;`);
    this.addSql(`alter table "orders" add constraint orders_money_check check("commission" >= 0 and "platform_discount" >= 0 and "platform_discount" <= "discount_total" and "shipping_discount" between 0 and least("shipping_fee", "discount_total"));`);

    this.addSql(`alter table "order_line" add column "discount" bigint not null default 0, add column "platform_discount" bigint not null default 0, add column "gift" boolean not null default false;`);
    this.addSql(`alter table "order_line" add constraint order_line_discount_check check("discount" between 0 and "line_total" and "platform_discount" between 0 and "discount");`);

    this.addSql(`alter table "coupon_campaign" add column "auto_grant" boolean not null default false;`);

  }

  override async down(): Promise<void> {
    this.addSql(`alter table "coupon_campaign" drop column "auto_grant";`);

    this.addSql(`alter table "order_discount" drop constraint "order_discount_promotion_id_foreign";`);

    this.addSql(`alter table "user_coupon" drop constraint "user_coupon_campaign_id_foreign";`);

    this.addSql(`alter table "order_discount" drop constraint "order_discount_user_coupon_id_foreign";`);

    this.addSql(`drop table if exists "promotion" cascade;`);

    this.addSql(`drop table if exists "coupon_campaign" cascade;`);

    this.addSql(`drop table if exists "user_coupon" cascade;`);

    this.addSql(`drop table if exists "order_discount" cascade;`);

    this.addSql(`alter table "order_line" drop constraint order_line_discount_check;`);
    this.addSql(`alter table "order_line" drop column "discount", drop column "platform_discount", drop column "gift";`);

    this.addSql(`alter table "orders" drop constraint orders_money_check;`);
    this.addSql(`alter table "orders" drop column "shipping_discount";`);

    this.addSql(`alter table "orders" add constraint orders_money_check check((commission >= 0) AND (platform_discount >= 0) AND (platform_discount <= discount_total));`);
  }

}
