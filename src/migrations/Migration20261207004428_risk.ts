import { Migration } from '@mikro-orm/migrations';

export class Migration20261207004428_risk extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "risk_rule" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "name" text not null, "kind" text check ("kind" in ('ORDER_AMOUNT', 'NEW_ACCOUNT_AMOUNT', 'ADDRESS_VELOCITY', 'PHONE_VELOCITY', 'DEVICE_VELOCITY', 'IP_VELOCITY', 'DEVICE_SHARED', 'REFUND_HISTORY', 'FAILED_PAYMENTS', 'NEW_SHIPPING_REGION', 'WATCHLISTED')) not null, "weight" int not null, "enabled" boolean not null default true, "amount" bigint null, "count" int null, "window_hours" int null, "account_age_hours" int null, "description" text null, constraint risk_rule_values_check check ("weight" between 1 and 1000 and ("amount" is null or "amount" > 0) and ("count" is null or "count" between 1 and 10000) and ("window_hours" is null or "window_hours" between 1 and 8760) and ("account_age_hours" is null or "account_age_hours" between 1 and 87600)));`);
    this.addSql(`alter table "risk_rule" add constraint "risk_rule_name_unique" unique ("name");`);
    // The default rules (staff RISK tune or disable them with upsertRiskRule). Weights add up;
    // RISK_HOLD_SCORE (60) holds, RISK_REVIEW_SCORE (30) marks MEDIUM. Ordinary shopping (a buyer's
    // repeat orders to their own address, a household sharing an IP) stays under the hold.
    this.addSql(`insert into "risk_rule" ("name", "kind", "weight", "amount", "count", "window_hours", "account_age_hours", "description") values
      ('New account, large order', 'NEW_ACCOUNT_AMOUNT', 30, 500000, null, null, 24, 'Account younger than a day, order of ¥5,000 or more.'),
      ('Very large order', 'ORDER_AMOUNT', 20, 2000000, null, null, null, 'Order of ¥20,000 or more.'),
      ('Many checkouts to one address', 'ADDRESS_VELOCITY', 20, null, 10, 1, null, 'Ten or more checkouts to the same address within an hour, any buyer.'),
      ('Many checkouts to one phone', 'PHONE_VELOCITY', 20, null, 10, 1, null, 'Ten or more checkouts to the same delivery phone within an hour, any buyer.'),
      ('Many checkouts from one device', 'DEVICE_VELOCITY', 20, null, 10, 1, null, 'Ten or more checkouts from one device within an hour.'),
      ('Many checkouts from one IP', 'IP_VELOCITY', 10, null, 50, 1, null, 'Fifty or more checkouts from one IP address within an hour.'),
      ('Device shared by many buyers', 'DEVICE_SHARED', 30, null, 3, 168, null, 'Three or more buyers checked out from this device within a week.'),
      ('Many refunds', 'REFUND_HISTORY', 20, null, 5, 720, null, 'Five or more of the buyer''s orders refunded within 30 days.'),
      ('Failed payments', 'FAILED_PAYMENTS', 20, null, 3, 24, null, 'Three or more failed payments by the buyer within 24 hours.'),
      ('New delivery region', 'NEW_SHIPPING_REGION', 10, null, null, null, null, 'Delivery to a province none of the buyer''s paid orders went to (buyers with earlier paid orders).'),
      ('On a watch list', 'WATCHLISTED', 40, null, null, null, null, 'The delivery phone or address, the device, the IP or the email domain is on a REVIEW blacklist entry.');`);


    this.addSql(`create table "risk_event" ("id" bigserial primary key, "kind" text check ("kind" in ('NEW_DEVICE_REGION', 'LOGIN_FAILURE_BURST', 'BLACKLIST_HIT', 'ORDER_HELD', 'BANNED_SIGN_IN')) not null, "user_id" bigint null, "ip" text null, "device_id" text null, "region" text null, "detail" jsonb not null default '{}', "at" timestamptz(3) not null);`);
    this.addSql(`create index "risk_event_user_idx" on "risk_event" ("user_id", "at", "id");`);
    this.addSql(`create index "risk_event_kind_idx" on "risk_event" ("kind", "at", "id");`);
    this.addSql(`create index "risk_event_at_idx" on "risk_event" ("at", "id");`);

    this.addSql(`create table "product_report" ("id" bigserial primary key, "product_id" bigint not null, "shop_id" bigint not null, "reporter_id" bigint not null, "reason" text check ("reason" in ('COUNTERFEIT', 'PROHIBITED', 'MISLEADING', 'IP_INFRINGEMENT', 'OTHER')) not null, "description" text not null, "evidence_urls" text[] not null, "status" text check ("status" in ('OPEN', 'UPHELD', 'DISMISSED')) not null default 'OPEN', "decided_by_id" bigint null, "decided_at" timestamptz(3) null, "decision_reason" text null, "created_at" timestamptz(3) not null);`);
    this.addSql(`create index "product_report_shop_idx" on "product_report" ("shop_id");`);
    this.addSql(`create index "product_report_reporter_idx" on "product_report" ("reporter_id");`);
    this.addSql(`create unique index "product_report_open_unique" on "product_report" ("product_id", "reporter_id") where "status" = 'OPEN';`);
    this.addSql(`create index "product_report_product_idx" on "product_report" ("product_id", "status");`);
    this.addSql(`create index "product_report_queue_idx" on "product_report" ("status", "created_at", "id");`);

    this.addSql(`create table "shop_violation" ("id" bigserial primary key, "shop_id" bigint not null, "kind" text check ("kind" in ('COUNTERFEIT', 'PROHIBITED', 'MISLEADING', 'IP_INFRINGEMENT', 'OTHER')) not null, "points" int not null, "reason" text not null, "product_id" bigint null, "report_id" bigint null, "recorded_by_id" bigint null, "status" text check ("status" in ('ACTIVE', 'REVOKED')) not null default 'ACTIVE', "revoked_at" timestamptz(3) null, "created_at" timestamptz(3) not null);`);
    this.addSql(`create index "shop_violation_shop_idx" on "shop_violation" ("shop_id", "created_at", "id");`);

    this.addSql(`create table "blacklist_entry" ("id" bigserial primary key, "kind" text check ("kind" in ('PHONE', 'ADDRESS', 'EMAIL_DOMAIN', 'DEVICE', 'IP')) not null, "value" text not null, "action" text check ("action" in ('BLOCK', 'REVIEW')) not null default 'BLOCK', "reason" text not null, "expires_at" timestamptz(3) null, "created_by_id" bigint null, "created_at" timestamptz(3) not null default now());`);
    this.addSql(`alter table "blacklist_entry" add constraint "blacklist_entry_value_unique" unique ("kind", "value");`);

    this.addSql(`create table "violation_appeal" ("id" bigserial primary key, "violation_id" bigint not null, "shop_id" bigint not null, "reason" text not null, "created_by_id" bigint null, "status" text check ("status" in ('PENDING', 'ACCEPTED', 'REJECTED')) not null default 'PENDING', "decided_by_id" bigint null, "decided_at" timestamptz(3) null, "decision_reason" text null, "created_at" timestamptz(3) not null);`);
    this.addSql(`create index "violation_appeal_shop_idx" on "violation_appeal" ("shop_id");`);
    this.addSql(`create index "violation_appeal_queue_idx" on "violation_appeal" ("status", "created_at", "id");`);
    this.addSql(`alter table "violation_appeal" add constraint "violation_appeal_violation_unique" unique ("violation_id");`);

    this.addSql(`alter table "risk_event" add constraint "risk_event_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "product_report" add constraint "product_report_product_id_foreign" foreign key ("product_id") references "product" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "product_report" add constraint "product_report_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "product_report" add constraint "product_report_reporter_id_foreign" foreign key ("reporter_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "product_report" add constraint "product_report_decided_by_id_foreign" foreign key ("decided_by_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "shop_violation" add constraint "shop_violation_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "shop_violation" add constraint "shop_violation_product_id_foreign" foreign key ("product_id") references "product" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "shop_violation" add constraint "shop_violation_report_id_foreign" foreign key ("report_id") references "product_report" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "shop_violation" add constraint "shop_violation_recorded_by_id_foreign" foreign key ("recorded_by_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "blacklist_entry" add constraint "blacklist_entry_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "violation_appeal" add constraint "violation_appeal_violation_id_foreign" foreign key ("violation_id") references "shop_violation" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "violation_appeal" add constraint "violation_appeal_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "violation_appeal" add constraint "violation_appeal_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "violation_appeal" add constraint "violation_appeal_decided_by_id_foreign" foreign key ("decided_by_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "outbox_event" drop constraint if exists "outbox_event_type_check";`);

    this.addSql(`alter table "notification_preference" drop constraint if exists "notification_preference_kind_check";`);

    this.addSql(`alter table "notification" drop constraint if exists "notification_kind_check";`);

    this.addSql(`alter table "order_event" drop constraint if exists "order_event_type_check";`);

    this.addSql(`alter table "shop" add column "violation_points" int not null default 0, add column "restricted_at" timestamptz(3) null, add column "suspended_for_violations" boolean not null default false;`);

    this.addSql(`alter table "users" add column "banned_at" timestamptz(3) null, add column "banned_until" timestamptz(3) null, add column "ban_reason" text null, add column "password_change_required" boolean not null default false;`);

    this.addSql(`alter table "outbox_event" add constraint "outbox_event_type_check" check("type" in ('ORDER_PLACED', 'ORDER_PAID', 'ORDER_ACCEPTED', 'ORDER_SHIPPED', 'ORDER_DELIVERED', 'ORDER_COMPLETED', 'ORDER_CANCELLED', 'AFTER_SALE_UPDATED', 'TICKET_REPLIED', 'APPLICATION_DECIDED', 'PRODUCT_DECIDED', 'LOW_STOCK', 'REVIEW_INVITATION', 'SCORECARD_LEVEL_CHANGED', 'SETTLEMENT_CLOSED', 'PAYOUT_PAID', 'WEBHOOK_DISABLED', 'MEMBER_LEVEL_CHANGED', 'REFERRAL_REWARDED', 'ORDER_HELD', 'VIOLATION_RECORDED', 'SHOP_STANDING_CHANGED', 'APPEAL_DECIDED'));`);

    this.addSql(`alter table "notification_preference" add constraint "notification_preference_kind_check" check("kind" in ('ORDER_PLACED', 'ORDER_PAID', 'ORDER_ACCEPTED', 'ORDER_SHIPPED', 'ORDER_DELIVERED', 'ORDER_COMPLETED', 'ORDER_CANCELLED', 'AFTER_SALE_UPDATED', 'TICKET_REPLIED', 'APPLICATION_DECIDED', 'PRODUCT_DECIDED', 'LOW_STOCK', 'REVIEW_INVITATION', 'SCORECARD_LEVEL_CHANGED', 'SETTLEMENT_CLOSED', 'PAYOUT_PAID', 'WEBHOOK_DISABLED', 'MEMBER_LEVEL_CHANGED', 'REFERRAL_REWARDED', 'ORDER_HELD', 'VIOLATION_RECORDED', 'SHOP_STANDING_CHANGED', 'APPEAL_DECIDED'));`);

    this.addSql(`alter table "notification" add constraint "notification_kind_check" check("kind" in ('ORDER_PLACED', 'ORDER_PAID', 'ORDER_ACCEPTED', 'ORDER_SHIPPED', 'ORDER_DELIVERED', 'ORDER_COMPLETED', 'ORDER_CANCELLED', 'AFTER_SALE_UPDATED', 'TICKET_REPLIED', 'APPLICATION_DECIDED', 'PRODUCT_DECIDED', 'LOW_STOCK', 'REVIEW_INVITATION', 'SCORECARD_LEVEL_CHANGED', 'SETTLEMENT_CLOSED', 'PAYOUT_PAID', 'WEBHOOK_DISABLED', 'MEMBER_LEVEL_CHANGED', 'REFERRAL_REWARDED', 'ORDER_HELD', 'VIOLATION_RECORDED', 'SHOP_STANDING_CHANGED', 'APPEAL_DECIDED'));`);

    this.addSql(`alter table "checkout" add column "ip" text null, add column "device_id" text null, add column "phone_key" text null, add column "address_key" text null;`);
    this.addSql(`create index "checkout_address_idx" on "checkout" ("address_key", "created_at");`);
    this.addSql(`create index "checkout_phone_idx" on "checkout" ("phone_key", "created_at");`);
    this.addSql(`create index "checkout_device_idx" on "checkout" ("device_id", "created_at");`);
    this.addSql(`create index "checkout_ip_idx" on "checkout" ("ip", "created_at");`);

    this.addSql(`alter table "orders" add column "risk_score" int not null default 0, add column "risk_level" text check ("risk_level" in ('LOW', 'MEDIUM', 'HIGH')) not null default 'LOW', add column "risk_reasons" jsonb not null default '[]', add column "held" boolean not null default false, add column "hold_released_at" timestamptz(3) null, add column "hold_released_by_id" bigint null;`);
    this.addSql(`alter table "orders" add constraint "orders_hold_released_by_id_foreign" foreign key ("hold_released_by_id") references "users" ("id") on update cascade on delete set null;`);
    this.addSql(`create index "orders_held_idx" on "orders" ("paid_at", "id") where "held" and "status" in ('PAID', 'PROCESSING');`);
    this.addSql(`create index "orders_buyer_province_idx" on "orders" ("buyer_id", ("shipping_address"->>'province')) where "paid_at" is not null;`);

    this.addSql(`alter table "order_event" add constraint "order_event_type_check" check("type" in ('PLACED', 'PAID', 'ACCEPTED', 'SHIPPED', 'TRACKING', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUND_REQUESTED', 'AFTER_SALE_REQUESTED', 'HELD', 'HOLD_RELEASED'));`);

    this.addSql(`alter table "auth_session" add column "device_id" text null, add column "region" text null;`);


    // The FAILED_PAYMENTS risk rule: a buyer's recent checkouts (a payment is opened before its
    // checkout expires, so one in the window belongs to a checkout of the window plus
    // CHECKOUT_TTL_MINUTES), then each one's failed payments, both from the index alone.
    this.addSql(`create index "checkout_buyer_created_idx" on "checkout" ("buyer_id", "created_at") include ("id");`);
    this.addSql(`create index "payment_failed_idx" on "payment" ("checkout_id", "created_at") where "status" = 'FAILED';`);

    this.addSql(`create table "login_failure_window" ("user_id" bigint not null, "started_at" timestamptz(3) not null, "failures" int not null, constraint "login_failure_window_pkey" primary key ("user_id"));`);

    this.addSql(`alter table "login_failure_window" add constraint "login_failure_window_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "login_failure_window" cascade;`);

    this.addSql(`drop index "payment_failed_idx";`);
    this.addSql(`drop index "checkout_buyer_created_idx";`);

    this.addSql(`alter table "shop_violation" drop constraint "shop_violation_report_id_foreign";`);

    this.addSql(`alter table "violation_appeal" drop constraint "violation_appeal_violation_id_foreign";`);

    this.addSql(`drop table if exists "risk_rule" cascade;`);

    this.addSql(`drop table if exists "risk_event" cascade;`);

    this.addSql(`drop table if exists "product_report" cascade;`);

    this.addSql(`drop table if exists "shop_violation" cascade;`);

    this.addSql(`drop table if exists "blacklist_entry" cascade;`);

    this.addSql(`drop table if exists "violation_appeal" cascade;`);

    this.addSql(`alter table "notification" drop constraint if exists "notification_kind_check";`);

    this.addSql(`alter table "notification_preference" drop constraint if exists "notification_preference_kind_check";`);

    this.addSql(`alter table "order_event" drop constraint if exists "order_event_type_check";`);

    this.addSql(`alter table "orders" drop constraint "orders_hold_released_by_id_foreign";`);

    this.addSql(`alter table "outbox_event" drop constraint if exists "outbox_event_type_check";`);

    this.addSql(`alter table "auth_session" drop column "device_id", drop column "region";`);

    this.addSql(`drop index "checkout_address_idx";`);
    this.addSql(`drop index "checkout_phone_idx";`);
    this.addSql(`drop index "checkout_device_idx";`);
    this.addSql(`drop index "checkout_ip_idx";`);
    this.addSql(`alter table "checkout" drop column "ip", drop column "device_id", drop column "phone_key", drop column "address_key";`);

    this.addSql(`alter table "notification" add constraint "notification_kind_check" check("kind" in ('ORDER_PLACED', 'ORDER_PAID', 'ORDER_ACCEPTED', 'ORDER_SHIPPED', 'ORDER_DELIVERED', 'ORDER_COMPLETED', 'ORDER_CANCELLED', 'AFTER_SALE_UPDATED', 'TICKET_REPLIED', 'APPLICATION_DECIDED', 'PRODUCT_DECIDED', 'LOW_STOCK', 'REVIEW_INVITATION', 'SCORECARD_LEVEL_CHANGED', 'SETTLEMENT_CLOSED', 'PAYOUT_PAID', 'WEBHOOK_DISABLED', 'MEMBER_LEVEL_CHANGED', 'REFERRAL_REWARDED'));`);

    this.addSql(`alter table "notification_preference" add constraint "notification_preference_kind_check" check("kind" in ('ORDER_PLACED', 'ORDER_PAID', 'ORDER_ACCEPTED', 'ORDER_SHIPPED', 'ORDER_DELIVERED', 'ORDER_COMPLETED', 'ORDER_CANCELLED', 'AFTER_SALE_UPDATED', 'TICKET_REPLIED', 'APPLICATION_DECIDED', 'PRODUCT_DECIDED', 'LOW_STOCK', 'REVIEW_INVITATION', 'SCORECARD_LEVEL_CHANGED', 'SETTLEMENT_CLOSED', 'PAYOUT_PAID', 'WEBHOOK_DISABLED', 'MEMBER_LEVEL_CHANGED', 'REFERRAL_REWARDED'));`);

    this.addSql(`alter table "order_event" add constraint "order_event_type_check" check("type" in ('PLACED', 'PAID', 'ACCEPTED', 'SHIPPED', 'TRACKING', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUND_REQUESTED', 'AFTER_SALE_REQUESTED'));`);

    this.addSql(`drop index "orders_held_idx";`);
    this.addSql(`drop index "orders_buyer_province_idx";`);
    this.addSql(`alter table "orders" drop column "risk_score", drop column "risk_level", drop column "risk_reasons", drop column "held", drop column "hold_released_at", drop column "hold_released_by_id";`);

    this.addSql(`alter table "outbox_event" add constraint "outbox_event_type_check" check("type" in ('ORDER_PLACED', 'ORDER_PAID', 'ORDER_ACCEPTED', 'ORDER_SHIPPED', 'ORDER_DELIVERED', 'ORDER_COMPLETED', 'ORDER_CANCELLED', 'AFTER_SALE_UPDATED', 'TICKET_REPLIED', 'APPLICATION_DECIDED', 'PRODUCT_DECIDED', 'LOW_STOCK', 'REVIEW_INVITATION', 'SCORECARD_LEVEL_CHANGED', 'SETTLEMENT_CLOSED', 'PAYOUT_PAID', 'WEBHOOK_DISABLED', 'MEMBER_LEVEL_CHANGED', 'REFERRAL_REWARDED'));`);

    this.addSql(`alter table "shop" drop column "violation_points", drop column "restricted_at", drop column "suspended_for_violations";`);

    this.addSql(`alter table "users" drop column "banned_at", drop column "banned_until", drop column "ban_reason", drop column "password_change_required";`);
  }

}
