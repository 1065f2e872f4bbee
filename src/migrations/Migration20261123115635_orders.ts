import { Migration } from '@mikro-orm/migrations';

export class Migration20261123115635_orders extends Migration {

  override async up(): Promise<void> {
    // Order numbers are the date and this sequence: unique across every server process.
    this.addSql(`create sequence "order_number_seq";`);
    this.addSql(`create table "shipping_template" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "shop_id" bigint not null, "name" text not null, "is_default" boolean not null default false, "rules" jsonb not null default '[]', "default_rule" jsonb not null, "free_shipping_threshold" bigint null);`);
    this.addSql(`create unique index "shipping_template_one_default" on "shipping_template" ("shop_id") where "is_default";`);
    this.addSql(`create index "shipping_template_shop_idx" on "shipping_template" ("shop_id", "id");`);

    this.addSql(`create table "stock_alert" ("id" bigserial primary key, "shop_id" bigint not null, "variant_id" bigint not null, "available" int not null, "threshold" int not null, "created_at" timestamptz(3) not null default now(), "notified_at" timestamptz(3) null);`);
    this.addSql(`create index "stock_alert_pending_idx" on "stock_alert" ("id") where "notified_at" is null;`);
    this.addSql(`create index "stock_alert_shop_idx" on "stock_alert" ("shop_id", "id");`);

    this.addSql(`create table "stocktake" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "shop_id" bigint not null, "actor_id" bigint null, "note" text null);`);
    this.addSql(`create index "stocktake_shop_idx" on "stocktake" ("shop_id", "id");`);

    this.addSql(`create table "stocktake_line" ("id" bigserial primary key, "stocktake_id" bigint not null, "variant_id" bigint not null, "expected" int not null, "counted" int not null, "difference" int not null);`);
    this.addSql(`create index "stocktake_line_stocktake_idx" on "stocktake_line" ("stocktake_id");`);
    this.addSql(`create index "stocktake_line_variant_idx" on "stocktake_line" ("variant_id");`);

    this.addSql(`create table "checkout" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "buyer_id" bigint not null, "idempotency_key" text not null, "status" text check ("status" in ('PENDING_PAYMENT', 'PAID', 'EXPIRED', 'CANCELLED')) not null default 'PENDING_PAYMENT', "total" bigint not null, "expires_at" timestamptz(3) not null, constraint checkout_total_check check ("total" >= 0));`);
    this.addSql(`create index "checkout_expiry_idx" on "checkout" ("expires_at") where "status" = 'PENDING_PAYMENT';`);
    this.addSql(`alter table "checkout" add constraint "checkout_buyer_key_unique" unique ("buyer_id", "idempotency_key");`);

    this.addSql(`create table "payment" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "checkout_id" bigint not null, "provider" text check ("provider" in ('MOCK')) not null, "status" text check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED')) not null default 'PENDING', "amount" bigint not null, "provider_reference" text null, "refund_required" boolean not null default false, constraint payment_amount_check check ("amount" >= 0));`);
    this.addSql(`create index "payment_checkout_idx" on "payment" ("checkout_id", "id");`);

    this.addSql(`create table "payment_event" ("id" bigserial primary key, "provider" text check ("provider" in ('MOCK')) not null, "event_id" text not null, "type" text not null, "payment_id" bigint not null, "body" jsonb not null, "received_at" timestamptz(3) not null default now());`);
    this.addSql(`create index "payment_event_payment_idx" on "payment_event" ("payment_id");`);
    this.addSql(`alter table "payment_event" add constraint "payment_event_unique" unique ("provider", "event_id");`);

    this.addSql(`create table "orders" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "number" text not null, "checkout_id" bigint not null, "shop_id" bigint not null, "buyer_id" bigint not null, "status" text check ("status" in ('PENDING_PAYMENT', 'PAID', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED')) not null default 'PENDING_PAYMENT', "subtotal" bigint not null, "shipping_fee" bigint not null, "discount_total" bigint not null default 0, "total" bigint not null, "shipping_address" jsonb not null, "note" text null, "placed_at" timestamptz(3) not null, "paid_at" timestamptz(3) null, "shipped_at" timestamptz(3) null, "delivered_at" timestamptz(3) null, "completed_at" timestamptz(3) null, "cancelled_at" timestamptz(3) null, "cancel_reason" text null, constraint orders_amounts_check check ("subtotal" >= 0 and "shipping_fee" >= 0 and "discount_total" >= 0 and "total" = "subtotal" + "shipping_fee" - "discount_total" and "total" >= 0));`);
    this.addSql(`alter table "orders" add constraint "orders_number_unique" unique ("number");`);
    this.addSql(`create index "orders_delivered_idx" on "orders" ("delivered_at") where "status" = 'DELIVERED';`);
    this.addSql(`create index "orders_shipped_idx" on "orders" ("shipped_at") where "status" = 'SHIPPED';`);
    this.addSql(`create index "orders_checkout_idx" on "orders" ("checkout_id");`);
    this.addSql(`create index "orders_placed_idx" on "orders" ("placed_at", "id");`);
    this.addSql(`create index "orders_buyer_idx" on "orders" ("buyer_id", "placed_at", "id");`);
    this.addSql(`create index "orders_shop_status_idx" on "orders" ("shop_id", "status", "placed_at", "id");`);
    this.addSql(`create index "orders_shop_idx" on "orders" ("shop_id", "placed_at", "id");`);

    this.addSql(`create table "shipment" ("id" bigserial primary key, "order_id" bigint not null, "carrier" text not null, "tracking_number" text not null, "shipped_at" timestamptz(3) not null);`);
    this.addSql(`create index "shipment_order_idx" on "shipment" ("order_id");`);

    this.addSql(`create table "refund" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "payment_id" bigint not null, "order_id" bigint null, "amount" bigint not null, "status" text check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED')) not null default 'PENDING', "reason" text not null, "provider_reference" text null, constraint refund_amount_check check ("amount" > 0));`);
    this.addSql(`create index "refund_payment_idx" on "refund" ("payment_id");`);
    this.addSql(`create index "refund_order_idx" on "refund" ("order_id");`);

    this.addSql(`create table "order_line" ("id" bigserial primary key, "order_id" bigint not null, "variant_id" bigint not null, "product_id" bigint not null, "product_title" text not null, "variant_title" text not null, "sku" text not null, "unit_price" bigint not null, "quantity" int not null, "line_total" bigint not null, constraint order_line_amounts_check check ("quantity" > 0 and "unit_price" >= 0 and "line_total" = "unit_price" * "quantity"));`);
    this.addSql(`create index "order_line_order_idx" on "order_line" ("order_id");`);
    this.addSql(`create index "order_line_variant_idx" on "order_line" ("variant_id");`);

    this.addSql(`create table "order_event" ("id" bigserial primary key, "order_id" bigint not null, "type" text check ("type" in ('PLACED', 'PAID', 'ACCEPTED', 'SHIPPED', 'TRACKING', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUND_REQUESTED')) not null, "status" text check ("status" in ('PENDING_PAYMENT', 'PAID', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED')) null, "note" text null, "actor_id" bigint null, "at" timestamptz(3) not null);`);
    this.addSql(`create index "order_event_order_idx" on "order_event" ("order_id", "id");`);

    this.addSql(`create table "cart_line" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "user_id" bigint not null, "variant_id" bigint not null, "quantity" int not null, constraint cart_line_quantity_check check ("quantity" >= 1 and "quantity" <= 999));`);
    this.addSql(`create index "cart_line_variant_idx" on "cart_line" ("variant_id");`);
    this.addSql(`create index "cart_line_user_idx" on "cart_line" ("user_id", "id");`);
    this.addSql(`alter table "cart_line" add constraint "cart_line_user_variant_unique" unique ("user_id", "variant_id");`);

    this.addSql(`create table "address" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "user_id" bigint not null, "recipient_name" text not null, "phone" text not null, "province" text not null, "city" text not null, "district" text not null, "line1" text not null, "postal_code" text null, "is_default" boolean not null default false);`);
    this.addSql(`create unique index "address_one_default_per_user" on "address" ("user_id") where "is_default";`);
    this.addSql(`create index "address_user_idx" on "address" ("user_id", "id");`);

    this.addSql(`alter table "shipping_template" add constraint "shipping_template_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "stock_alert" add constraint "stock_alert_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "stock_alert" add constraint "stock_alert_variant_id_foreign" foreign key ("variant_id") references "product_variant" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "stocktake" add constraint "stocktake_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "stocktake" add constraint "stocktake_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "stocktake_line" add constraint "stocktake_line_stocktake_id_foreign" foreign key ("stocktake_id") references "stocktake" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "stocktake_line" add constraint "stocktake_line_variant_id_foreign" foreign key ("variant_id") references "product_variant" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "checkout" add constraint "checkout_buyer_id_foreign" foreign key ("buyer_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "payment" add constraint "payment_checkout_id_foreign" foreign key ("checkout_id") references "checkout" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "payment_event" add constraint "payment_event_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "orders" add constraint "orders_checkout_id_foreign" foreign key ("checkout_id") references "checkout" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "orders" add constraint "orders_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "orders" add constraint "orders_buyer_id_foreign" foreign key ("buyer_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "shipment" add constraint "shipment_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "refund" add constraint "refund_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "refund" add constraint "refund_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "order_line" add constraint "order_line_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "order_line" add constraint "order_line_variant_id_foreign" foreign key ("variant_id") references "product_variant" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "order_event" add constraint "order_event_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "order_event" add constraint "order_event_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "cart_line" add constraint "cart_line_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "cart_line" add constraint "cart_line_variant_id_foreign" foreign key ("variant_id") references "product_variant" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "address" add constraint "address_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "product" add column "shipping_template_id" bigint null;`);
    this.addSql(`alter table "product" add constraint "product_shipping_template_id_foreign" foreign key ("shipping_template_id") references "shipping_template" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop sequence if exists "order_number_seq";`);
    this.addSql(`alter table "product" drop constraint "product_shipping_template_id_foreign";`);

    this.addSql(`alter table "stocktake_line" drop constraint "stocktake_line_stocktake_id_foreign";`);

    this.addSql(`alter table "payment" drop constraint "payment_checkout_id_foreign";`);

    this.addSql(`alter table "orders" drop constraint "orders_checkout_id_foreign";`);

    this.addSql(`alter table "payment_event" drop constraint "payment_event_payment_id_foreign";`);

    this.addSql(`alter table "refund" drop constraint "refund_payment_id_foreign";`);

    this.addSql(`alter table "shipment" drop constraint "shipment_order_id_foreign";`);

    this.addSql(`alter table "refund" drop constraint "refund_order_id_foreign";`);

    this.addSql(`alter table "order_line" drop constraint "order_line_order_id_foreign";`);

    this.addSql(`alter table "order_event" drop constraint "order_event_order_id_foreign";`);

    this.addSql(`drop table if exists "shipping_template" cascade;`);

    this.addSql(`drop table if exists "stock_alert" cascade;`);

    this.addSql(`drop table if exists "stocktake" cascade;`);

    this.addSql(`drop table if exists "stocktake_line" cascade;`);

    this.addSql(`drop table if exists "checkout" cascade;`);

    this.addSql(`drop table if exists "payment" cascade;`);

    this.addSql(`drop table if exists "payment_event" cascade;`);

    this.addSql(`drop table if exists "orders" cascade;`);

    this.addSql(`drop table if exists "shipment" cascade;`);

    this.addSql(`drop table if exists "refund" cascade;`);

    this.addSql(`drop table if exists "order_line" cascade;`);

    this.addSql(`drop table if exists "order_event" cascade;`);

    this.addSql(`drop table if exists "cart_line" cascade;`);

    this.addSql(`drop table if exists "address" cascade;`);

    this.addSql(`alter table "product" drop column "shipping_template_id";`);
  }

}
