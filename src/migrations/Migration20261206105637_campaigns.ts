import { Migration } from '@mikro-orm/migrations';

export class Migration20261206105637_campaigns extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "stock_movement" drop constraint if exists "stock_movement_reason_check";`);
    this.addSql(`alter table "stock_movement" add constraint "stock_movement_reason_check" check("reason" in ('INITIAL', 'RESTOCK', 'CORRECTION', 'DAMAGE', 'RETURN', 'STOCKTAKE', 'RESERVE', 'RELEASE', 'SALE', 'EXCHANGE', 'FLASH_SALE_HOLD', 'FLASH_SALE_RETURN'));`);
    this.addSql(`create table "group_buy" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "shop_id" bigint not null, "product_id" bigint not null, "variant_prices" jsonb not null, "group_size" int not null, "hours_to_form" int not null, "starts_at" timestamptz(3) not null, "ends_at" timestamptz(3) not null, "created_by_id" bigint not null, constraint group_buy_check check ("group_size" between 2 and 100 and "hours_to_form" between 0 and 720 and "ends_at" > "starts_at"));`);
    this.addSql(`create index "group_buy_product_idx" on "group_buy" ("product_id");`);
    this.addSql(`create index "group_buy_shop_idx" on "group_buy" ("shop_id", "id");`);

    this.addSql(`create table "buy_group" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "group_buy_id" bigint not null, "leader_id" bigint not null, "size" int not null, "expires_at" timestamptz(3) not null, "status" text check ("status" in ('FORMING', 'FORMED', 'FAILED')) not null default 'FORMING', "settled_at" timestamptz(3) null);`);
    this.addSql(`create index "buy_group_group_buy_idx" on "buy_group" ("group_buy_id", "id");`);
    this.addSql(`create index "buy_group_expiry_idx" on "buy_group" ("expires_at") where "status" = 'FORMING';`);

    this.addSql(`create table "flash_sale" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "title" text not null, "starts_at" timestamptz(3) not null, "ends_at" timestamptz(3) not null, "settled_at" timestamptz(3) null, "created_by_id" bigint not null, constraint flash_sale_window_check check ("ends_at" > "starts_at"));`);
    this.addSql(`create index "flash_sale_window_idx" on "flash_sale" ("ends_at", "starts_at");`);

    this.addSql(`create table "flash_sale_item" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "flash_sale_id" bigint not null, "shop_id" bigint not null, "variant_id" bigint not null, "sale_price" bigint not null, "quantity" int not null, "per_user_limit" int not null, "status" text check ("status" in ('NOMINATED', 'APPROVED', 'REJECTED')) not null default 'NOMINATED', "reason" text null, "nominated_by_id" bigint not null, "reviewed_by_id" bigint null, constraint flash_sale_item_amounts_check check ("sale_price" > 0 and "quantity" > 0 and "per_user_limit" > 0));`);
    this.addSql(`create index "flash_sale_item_shop_idx" on "flash_sale_item" ("shop_id", "id");`);
    this.addSql(`create index "flash_sale_item_variant_idx" on "flash_sale_item" ("variant_id");`);
    this.addSql(`alter table "flash_sale_item" add constraint "flash_sale_item_variant_unique" unique ("flash_sale_id", "variant_id");`);

    this.addSql(`create table "flash_sale_bucket" ("id" bigserial primary key, "item_id" bigint not null, "bucket" int not null, "remaining" int not null, constraint flash_sale_bucket_remaining_check check ("remaining" >= 0));`);
    this.addSql(`alter table "flash_sale_bucket" add constraint "flash_sale_bucket_unique" unique ("item_id", "bucket");`);

    this.addSql(`create table "group_member" ("id" bigserial primary key, "group_id" bigint not null, "user_id" bigint not null, "order_id" bigint not null, "joined_at" timestamptz(3) not null);`);
    this.addSql(`create index "group_member_order_idx" on "group_member" ("order_id");`);
    this.addSql(`alter table "group_member" add constraint "group_member_unique" unique ("group_id", "user_id");`);

    this.addSql(`create table "bargain_campaign" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "shop_id" bigint not null, "variant_id" bigint not null, "floor_price" bigint not null, "helpers_needed" int not null, "hours_to_finish" int not null, "quantity" int not null, "started" int not null default 0, "ended_at" timestamptz(3) null, "created_by_id" bigint not null, constraint bargain_campaign_check check ("floor_price" > 0 and "helpers_needed" between 1 and 100 and "hours_to_finish" between 0 and 720 and "quantity" > 0 and "started" between 0 and "quantity"));`);
    this.addSql(`create index "bargain_campaign_shop_idx" on "bargain_campaign" ("shop_id", "id");`);

    this.addSql(`create table "bargain" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "campaign_id" bigint not null, "user_id" bigint not null, "start_price" bigint not null, "floor_price" bigint not null, "current_price" bigint not null, "cuts" jsonb not null, "helped" int not null default 0, "expires_at" timestamptz(3) not null, "status" text check ("status" in ('ACTIVE', 'BOUGHT', 'EXPIRED')) not null default 'ACTIVE', "checkout_id" bigint null, constraint bargain_price_check check ("current_price" >= "floor_price" and "current_price" <= "start_price" and "helped" >= 0));`);
    this.addSql(`create index "bargain_expiry_idx" on "bargain" ("expires_at") where "status" = 'ACTIVE';`);
    this.addSql(`create index "bargain_user_idx" on "bargain" ("user_id", "id");`);

    this.addSql(`create table "bargain_help" ("id" bigserial primary key, "bargain_id" bigint not null, "helper_id" bigint not null, "amount" bigint not null, "at" timestamptz(3) not null);`);
    this.addSql(`alter table "bargain_help" add constraint "bargain_help_unique" unique ("bargain_id", "helper_id");`);

    this.addSql(`alter table "group_buy" add constraint "group_buy_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "group_buy" add constraint "group_buy_product_id_foreign" foreign key ("product_id") references "product" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "group_buy" add constraint "group_buy_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "buy_group" add constraint "buy_group_group_buy_id_foreign" foreign key ("group_buy_id") references "group_buy" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "buy_group" add constraint "buy_group_leader_id_foreign" foreign key ("leader_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "flash_sale" add constraint "flash_sale_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "flash_sale_item" add constraint "flash_sale_item_flash_sale_id_foreign" foreign key ("flash_sale_id") references "flash_sale" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "flash_sale_item" add constraint "flash_sale_item_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "flash_sale_item" add constraint "flash_sale_item_variant_id_foreign" foreign key ("variant_id") references "product_variant" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "flash_sale_item" add constraint "flash_sale_item_nominated_by_id_foreign" foreign key ("nominated_by_id") references "users" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "flash_sale_item" add constraint "flash_sale_item_reviewed_by_id_foreign" foreign key ("reviewed_by_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "flash_sale_bucket" add constraint "flash_sale_bucket_item_id_foreign" foreign key ("item_id") references "flash_sale_item" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "group_member" add constraint "group_member_group_id_foreign" foreign key ("group_id") references "buy_group" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "group_member" add constraint "group_member_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "group_member" add constraint "group_member_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "bargain_campaign" add constraint "bargain_campaign_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "bargain_campaign" add constraint "bargain_campaign_variant_id_foreign" foreign key ("variant_id") references "product_variant" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "bargain_campaign" add constraint "bargain_campaign_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "bargain" add constraint "bargain_campaign_id_foreign" foreign key ("campaign_id") references "bargain_campaign" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "bargain" add constraint "bargain_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "bargain" add constraint "bargain_checkout_id_foreign" foreign key ("checkout_id") references "checkout" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "bargain_help" add constraint "bargain_help_bargain_id_foreign" foreign key ("bargain_id") references "bargain" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "bargain_help" add constraint "bargain_help_helper_id_foreign" foreign key ("helper_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "order_discount" drop constraint if exists "order_discount_source_check";`);

    this.addSql(`alter table "order_line" add column "flash_sale_item_id" bigint null;`);
    this.addSql(`alter table "flash_sale_item" add column "funded_by" text check ("funded_by" in ('PLATFORM', 'SHOP')) not null default 'SHOP';`);
    this.addSql(`create unique index "bargain_active_unique" on "bargain" ("campaign_id", "user_id") where "status" = 'ACTIVE';`);
    this.addSql(`create index "bargain_campaign_variant_idx" on "bargain_campaign" ("variant_id");`);
    this.addSql(`create index "group_member_user_idx" on "group_member" ("user_id", "group_id");`);
    this.addSql(`create index "group_buy_window_idx" on "group_buy" ("ends_at", "starts_at");`);
    this.addSql(`create index "order_line_flash_idx" on "order_line" ("flash_sale_item_id", "order_id") where "flash_sale_item_id" is not null;`);
    this.addSql(`alter table "order_line" add constraint "order_line_flash_sale_item_id_foreign" foreign key ("flash_sale_item_id") references "flash_sale_item" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "order_discount" add column "campaign_id" bigint null;`);
    this.addSql(`alter table "order_discount" add constraint "order_discount_source_check" check("source" in ('PROMOTION', 'COUPON', 'FLASH_SALE', 'GROUP_BUY', 'BARGAIN'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "stock_movement" drop constraint if exists "stock_movement_reason_check";`);
    this.addSql(`alter table "stock_movement" add constraint "stock_movement_reason_check" check("reason" in ('INITIAL', 'RESTOCK', 'CORRECTION', 'DAMAGE', 'RETURN', 'STOCKTAKE', 'RESERVE', 'RELEASE', 'SALE', 'EXCHANGE'));`);
    this.addSql(`alter table "buy_group" drop constraint "buy_group_group_buy_id_foreign";`);

    this.addSql(`alter table "group_member" drop constraint "group_member_group_id_foreign";`);

    this.addSql(`alter table "flash_sale_item" drop constraint "flash_sale_item_flash_sale_id_foreign";`);

    this.addSql(`alter table "flash_sale_bucket" drop constraint "flash_sale_bucket_item_id_foreign";`);

    this.addSql(`alter table "order_line" drop constraint "order_line_flash_sale_item_id_foreign";`);

    this.addSql(`alter table "bargain" drop constraint "bargain_campaign_id_foreign";`);

    this.addSql(`alter table "bargain_help" drop constraint "bargain_help_bargain_id_foreign";`);

    this.addSql(`drop table if exists "group_buy" cascade;`);

    this.addSql(`drop table if exists "buy_group" cascade;`);

    this.addSql(`drop table if exists "flash_sale" cascade;`);

    this.addSql(`drop table if exists "flash_sale_item" cascade;`);

    this.addSql(`drop table if exists "flash_sale_bucket" cascade;`);

    this.addSql(`drop table if exists "group_member" cascade;`);

    this.addSql(`drop table if exists "bargain_campaign" cascade;`);

    this.addSql(`drop table if exists "bargain" cascade;`);

    this.addSql(`drop table if exists "bargain_help" cascade;`);

    this.addSql(`alter table "order_discount" drop constraint if exists "order_discount_source_check";`);

    this.addSql(`alter table "order_discount" drop column "campaign_id";`);

    this.addSql(`alter table "order_discount" add constraint "order_discount_source_check" check("source" in ('PROMOTION', 'COUPON'));`);

    this.addSql(`alter table "order_line" drop column "flash_sale_item_id";`);

  }

}
