import { Migration } from '@mikro-orm/migrations';

export class Migration20261206214039_analytics extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "orders_buyer_paid_idx" on "orders" ("buyer_id", "paid_at") include ("shop_id") where "paid_at" is not null;`);
    this.addSql(`create index "orders_cancelled_at_idx" on "orders" ("cancelled_at") where "cancelled_at" is not null;`);
    this.addSql(`create index "orders_paid_at_idx" on "orders" ("paid_at") where "paid_at" is not null;`);

    this.addSql(`create index "after_sale_case_created_idx" on "after_sale_case" ("created_at");`);

    // Behaviour events (trackEvents), partitioned by Asia/Shanghai day so a day past
    // EVENT_RETENTION_DAYS is dropped as one table. Partitions are created by services/analytics
    // (ahead of time by the maintain-event-partitions task, and on demand by trackEvents). Sessions
    // are kept as a 64-bit hash of the client's session id: they are only ever counted.
    this.addSql(`create table "behaviour_event" ("at" timestamptz(3) not null, "session_key" bigint not null, "user_id" bigint null, "type" text not null check ("type" in ('PRODUCT_VIEW', 'SEARCH', 'ADD_TO_CART', 'SHARE')), "product_id" bigint null, "shop_id" bigint null, "category_path" text null, "query" text null) partition by range ("at");`);

    // Daily KPI snapshot per scope (PLATFORM with scope_id 0, SHOP, CATEGORY with its subtree),
    // written by snapshot-metrics. Additive figures are columns; distinct people are sorted arrays
    // of keys so weeks, months and any range count each buyer or visitor once.
    this.addSql(`create table "metric_daily" ("scope" text not null check ("scope" in ('PLATFORM', 'SHOP', 'CATEGORY')), "scope_id" bigint not null, "day" date not null, "orders" int not null default 0, "cancelled_orders" int not null default 0, "paid_orders" int not null default 0, "units" int not null default 0, "gmv" bigint not null default 0, "refunds" bigint not null default 0, "refunded_orders" int not null default 0, "after_sales" int not null default 0, "coupon_redemptions" int not null default 0, "shop_promotion_cost" bigint not null default 0, "platform_promotion_cost" bigint not null default 0, "commission" bigint not null default 0, "product_views" int not null default 0, "searches" int not null default 0, "add_to_carts" int not null default 0, "shares" int not null default 0, "buyer_ids" bigint[] not null default '{}', "new_buyer_ids" bigint[] not null default '{}', "visitor_keys" bigint[] not null default '{}', "viewer_keys" bigint[] not null default '{}', "cart_user_ids" bigint[] not null default '{}', "computed_at" timestamptz(3) not null, constraint "metric_daily_pkey" primary key ("scope", "scope_id", "day"));`);
    this.addSql(`create index "metric_daily_day_idx" on "metric_daily" ("scope", "day", "scope_id");`);

    // Daily figures per product, for topProducts (additive only).
    this.addSql(`create table "product_metric_daily" ("day" date not null, "product_id" bigint not null, "shop_id" bigint not null, "category_path" text not null, "views" int not null default 0, "add_to_carts" int not null default 0, "paid_orders" int not null default 0, "units" int not null default 0, "gmv" bigint not null default 0, constraint "product_metric_daily_pkey" primary key ("day", "product_id"));`);
    this.addSql(`create index "product_metric_daily_product_idx" on "product_metric_daily" ("product_id", "day");`);
    this.addSql(`create index "product_metric_daily_shop_idx" on "product_metric_daily" ("shop_id", "day");`);
    this.addSql(`create index "product_metric_daily_path_idx" on "product_metric_daily" ("category_path" text_pattern_ops, "day");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "product_metric_daily";`);
    this.addSql(`drop table if exists "metric_daily";`);
    this.addSql(`drop table if exists "behaviour_event" cascade;`);
    this.addSql(`drop index "after_sale_case_created_idx";`);

    this.addSql(`drop index "orders_buyer_paid_idx";`);
    this.addSql(`drop index "orders_cancelled_at_idx";`);
    this.addSql(`drop index "orders_paid_at_idx";`);


  }

}
