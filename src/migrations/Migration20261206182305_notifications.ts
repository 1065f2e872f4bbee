import { Migration } from '@mikro-orm/migrations';

export class Migration20261206182305_notifications extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "outbox_event" ("id" bigserial primary key, "type" text check ("type" in ('ORDER_PLACED', 'ORDER_PAID', 'ORDER_ACCEPTED', 'ORDER_SHIPPED', 'ORDER_DELIVERED', 'ORDER_COMPLETED', 'ORDER_CANCELLED', 'AFTER_SALE_UPDATED', 'TICKET_REPLIED', 'APPLICATION_DECIDED', 'PRODUCT_DECIDED', 'LOW_STOCK', 'REVIEW_INVITATION', 'SCORECARD_LEVEL_CHANGED', 'SETTLEMENT_CLOSED', 'PAYOUT_PAID', 'WEBHOOK_DISABLED', 'MEMBER_LEVEL_CHANGED', 'REFERRAL_REWARDED')) not null, "shop_id" bigint null, "user_id" bigint null, "subject_type" text not null, "subject_id" bigint not null, "data" jsonb not null default '{}', "created_at" timestamptz(3) not null, "dispatched_at" timestamptz(3) null);`);
    this.addSql(`create index "outbox_event_shop_idx" on "outbox_event" ("shop_id");`);
    this.addSql(`create index "outbox_event_user_idx" on "outbox_event" ("user_id");`);
    this.addSql(`create index "outbox_event_pending_idx" on "outbox_event" ("id") where "dispatched_at" is null;`);

    this.addSql(`create table "outbound_message" ("id" bigserial primary key, "user_id" bigint null, "channel" text check ("channel" in ('EMAIL', 'SMS')) not null, "recipient" text not null, "subject" text null, "body" text not null, "kind" text not null, "transactional" boolean not null default false, "event_id" bigint null, "status" text check ("status" in ('PENDING', 'SENT', 'SUPPRESSED', 'FAILED')) not null default 'PENDING', "attempts" smallint not null default 0, "error" text null, "created_at" timestamptz(3) not null, "sent_at" timestamptz(3) null, "next_attempt_at" timestamptz(3) null);`);
    this.addSql(`create index "outbound_message_event_idx" on "outbound_message" ("event_id");`);
    this.addSql(`create index "outbound_message_user_idx" on "outbound_message" ("user_id", "created_at");`);
    this.addSql(`create index "outbound_message_pending_idx" on "outbound_message" ("id") where "status" = 'PENDING';`);
    this.addSql(`create index "outbound_message_capped_idx" on "outbound_message" ("user_id", "sent_at") where "status" = 'SENT' and not "transactional";`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_event_unique" unique ("event_id", "user_id", "channel");`);

    this.addSql(`create table "notification_preference" ("user_id" bigint not null, "kind" text check ("kind" in ('ORDER_PLACED', 'ORDER_PAID', 'ORDER_ACCEPTED', 'ORDER_SHIPPED', 'ORDER_DELIVERED', 'ORDER_COMPLETED', 'ORDER_CANCELLED', 'AFTER_SALE_UPDATED', 'TICKET_REPLIED', 'APPLICATION_DECIDED', 'PRODUCT_DECIDED', 'LOW_STOCK', 'REVIEW_INVITATION', 'SCORECARD_LEVEL_CHANGED', 'SETTLEMENT_CLOSED', 'PAYOUT_PAID', 'WEBHOOK_DISABLED', 'MEMBER_LEVEL_CHANGED', 'REFERRAL_REWARDED')) not null, "inbox" boolean not null, "email" boolean not null, "sms" boolean not null, "updated_at" timestamptz(3) not null, constraint "notification_preference_pkey" primary key ("user_id", "kind"));`);

    this.addSql(`create table "notification" ("id" bigserial primary key, "user_id" bigint not null, "event_id" bigint null, "kind" text check ("kind" in ('ORDER_PLACED', 'ORDER_PAID', 'ORDER_ACCEPTED', 'ORDER_SHIPPED', 'ORDER_DELIVERED', 'ORDER_COMPLETED', 'ORDER_CANCELLED', 'AFTER_SALE_UPDATED', 'TICKET_REPLIED', 'APPLICATION_DECIDED', 'PRODUCT_DECIDED', 'LOW_STOCK', 'REVIEW_INVITATION', 'SCORECARD_LEVEL_CHANGED', 'SETTLEMENT_CLOSED', 'PAYOUT_PAID', 'WEBHOOK_DISABLED', 'MEMBER_LEVEL_CHANGED', 'REFERRAL_REWARDED')) not null, "title" text not null, "body" text not null, "link" text null, "read_at" timestamptz(3) null, "created_at" timestamptz(3) not null);`);
    this.addSql(`create index "notification_event_idx" on "notification" ("event_id");`);
    this.addSql(`create index "notification_unread_idx" on "notification" ("user_id", "id") where "read_at" is null;`);
    this.addSql(`create index "notification_user_idx" on "notification" ("user_id", "id");`);
    this.addSql(`alter table "notification" add constraint "notification_event_user_unique" unique ("event_id", "user_id");`);

    this.addSql(`create table "user_token" ("id" bigserial primary key, "user_id" bigint not null, "purpose" text check ("purpose" in ('VERIFY_EMAIL', 'RESET_PASSWORD')) not null, "token_hash" text not null, "expires_at" timestamptz(3) not null, "used_at" timestamptz(3) null, "created_at" timestamptz(3) not null);`);
    this.addSql(`alter table "user_token" add constraint "user_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "user_token_user_idx" on "user_token" ("user_id", "purpose");`);

    this.addSql(`create table "webhook_subscription" ("id" bigserial primary key, "shop_id" bigint not null, "url" text not null, "events" text[] not null, "secret" text not null, "created_by_id" bigint null, "created_at" timestamptz(3) not null, "disabled_at" timestamptz(3) null, "disabled_reason" text null);`);
    this.addSql(`create index "webhook_subscription_created_by_idx" on "webhook_subscription" ("created_by_id");`);
    this.addSql(`create index "webhook_subscription_shop_idx" on "webhook_subscription" ("shop_id", "id");`);

    this.addSql(`create table "webhook_delivery" ("id" bigserial primary key, "subscription_id" bigint not null, "event_id" bigint not null, "status" text check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED')) not null default 'PENDING', "attempts" smallint not null default 0, "next_attempt_at" timestamptz(3) null, "last_status_code" smallint null, "last_duration_ms" int null, "last_error" text null, "created_at" timestamptz(3) not null, "delivered_at" timestamptz(3) null);`);
    this.addSql(`create index "webhook_delivery_event_idx" on "webhook_delivery" ("event_id");`);
    this.addSql(`create index "webhook_delivery_due_idx" on "webhook_delivery" ("next_attempt_at", "id") where "status" = 'PENDING';`);
    this.addSql(`create index "webhook_delivery_subscription_due_idx" on "webhook_delivery" ("subscription_id", "next_attempt_at", "id") where "status" = 'PENDING';`);
    this.addSql(`create index "webhook_delivery_subscription_idx" on "webhook_delivery" ("subscription_id", "id");`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_subscription_event_unique" unique ("subscription_id", "event_id");`);

    this.addSql(`alter table "outbox_event" add constraint "outbox_event_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "outbox_event" add constraint "outbox_event_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "outbound_message" add constraint "outbound_message_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_event_id_foreign" foreign key ("event_id") references "outbox_event" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "notification_preference" add constraint "notification_preference_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "notification" add constraint "notification_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "notification" add constraint "notification_event_id_foreign" foreign key ("event_id") references "outbox_event" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "user_token" add constraint "user_token_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "webhook_subscription" add constraint "webhook_subscription_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "webhook_subscription" add constraint "webhook_subscription_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_subscription_id_foreign" foreign key ("subscription_id") references "webhook_subscription" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_event_id_foreign" foreign key ("event_id") references "outbox_event" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "order_event" drop constraint if exists "order_event_type_check";`);

    this.addSql(`alter table "users" add column "email_verified_at" timestamptz(3) null, add column "phone" text null;`);

    this.addSql(`alter table "order_event" add constraint "order_event_type_check" check("type" in ('PLACED', 'PAID', 'ACCEPTED', 'SHIPPED', 'TRACKING', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUND_REQUESTED', 'AFTER_SALE_REQUESTED'));`);

    // The transactional outbox: each source table's insert (or status update) writes its events in
    // the same statement's transaction, set-based over the statement's rows (transition tables), so
    // a bulk job's thousand transitions cost one extra insert, not a thousand.
    this.addSql(`create function outbox_from_order_event() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'ORDER_' || n.type, o.shop_id, o.buyer_id, 'Order', o.id,
         jsonb_build_object('orderEventId', n.id::text, 'orderEventType', n.type, 'number', o.number, 'status', n.status, 'note', n.note,
                            'total', o.total, 'wasPaid', o.paid_at is not null),
         n.at
  from new_rows n join orders o on o.id = n.order_id
  where n.type in ('PLACED', 'PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED')
  order by n.id;
  return null;
end $$;`);
    this.addSql(`create trigger order_event_outbox after insert on order_event referencing new table as new_rows for each statement execute function outbox_from_order_event();`);

    this.addSql(`create function outbox_from_application_decision() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'APPLICATION_DECIDED', null, a.applicant_id, 'MerchantApplication', a.id,
         jsonb_build_object('decision', n.decision, 'reason', n.reason, 'shopName', a.shop_name), n.at
  from new_rows n join merchant_application a on a.id = n.application_id
  order by n.id;
  return null;
end $$;`);
    this.addSql(`create trigger application_decision_outbox after insert on application_decision referencing new table as new_rows for each statement execute function outbox_from_application_decision();`);

    this.addSql(`create function outbox_from_product_status_change() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'PRODUCT_DECIDED', p.shop_id, null, 'Product', p.id,
         jsonb_build_object('action', n.action, 'status', n.to_status, 'reason', n.reason, 'title', p.title), n.at
  from new_rows n join product p on p.id = n.product_id
  where n.action in ('APPROVE', 'REJECT', 'BAN')
  order by n.id;
  return null;
end $$;`);
    this.addSql(`create trigger product_status_change_outbox after insert on product_status_change referencing new table as new_rows for each statement execute function outbox_from_product_status_change();`);

    this.addSql(`create function outbox_from_after_sale_event() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'AFTER_SALE_UPDATED', c.shop_id, c.buyer_id, 'AfterSaleCase', c.id,
         jsonb_build_object('step', n.type, 'status', n.status, 'party', n.party, 'number', c.number, 'orderId', c.order_id::text, 'note', n.note), n.at
  from new_rows n join after_sale_case c on c.id = n.case_id
  order by n.id;
  return null;
end $$;`);
    this.addSql(`create trigger after_sale_event_outbox after insert on after_sale_event referencing new table as new_rows for each statement execute function outbox_from_after_sale_event();`);

    this.addSql(`create function outbox_from_ticket_message() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'TICKET_REPLIED', t.shop_id, t.requester_id, 'Ticket', t.id,
         jsonb_build_object('role', n.role, 'kind', n.kind, 'number', t.number, 'subject', t.subject), n.at
  from new_rows n join ticket t on t.id = n.ticket_id
  where n.kind in ('REPLY', 'RESOLUTION')
  order by n.id;
  return null;
end $$;`);
    this.addSql(`create trigger ticket_message_outbox after insert on ticket_message referencing new table as new_rows for each statement execute function outbox_from_ticket_message();`);

    this.addSql(`create function outbox_from_stock_alert() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'LOW_STOCK', n.shop_id, null, 'ProductVariant', n.variant_id,
         jsonb_build_object('alertId', n.id::text, 'available', n.available, 'threshold', n.threshold, 'sku', v.sku, 'title', p.title), n.created_at
  from new_rows n join product_variant v on v.id = n.variant_id join product p on p.id = v.product_id
  order by n.id;
  return null;
end $$;`);
    this.addSql(`create trigger stock_alert_outbox after insert on stock_alert referencing new table as new_rows for each statement execute function outbox_from_stock_alert();`);

    this.addSql(`create function outbox_from_review_invitation() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'REVIEW_INVITATION', null, n.buyer_id, 'OrderLine', n.order_line_id,
         jsonb_build_object('dueAt', n.due_at, 'title', l.product_title, 'orderId', l.order_id::text), n.invited_at
  from new_rows n join order_line l on l.id = n.order_line_id
  order by n.order_line_id;
  return null;
end $$;`);
    this.addSql(`create trigger review_invitation_outbox after insert on review_invitation referencing new table as new_rows for each statement execute function outbox_from_review_invitation();`);

    this.addSql(`create function outbox_from_scorecard_level_change() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'SCORECARD_LEVEL_CHANGED', n.shop_id, null, 'Shop', n.shop_id,
         jsonb_build_object('changeId', n.id::text, 'from', n.from_level, 'to', n.to_level, 'score', n.score), n.at
  from new_rows n
  order by n.id;
  return null;
end $$;`);
    this.addSql(`create trigger scorecard_level_change_outbox after insert on scorecard_level_change referencing new table as new_rows for each statement execute function outbox_from_scorecard_level_change();`);

    this.addSql(`create function outbox_from_settlement() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'SETTLEMENT_CLOSED', n.shop_id, null, 'Settlement', n.id,
         jsonb_build_object('periodStart', n.period_start, 'periodEnd', n.period_end, 'net', n.net, 'payable', n.payable, 'orderCount', n.order_count),
         coalesce(n.closed_at, n.updated_at)
  from new_rows n join old_rows o on o.id = n.id
  where n.status = 'CLOSED' and o.status <> 'CLOSED'
  order by n.id;
  return null;
end $$;`);
    this.addSql(`create trigger settlement_outbox after update on settlement referencing old table as old_rows new table as new_rows for each statement execute function outbox_from_settlement();`);

    this.addSql(`create function outbox_from_payout() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'PAYOUT_PAID', n.shop_id, null, 'Payout', n.id,
         jsonb_build_object('amount', n.amount, 'settlementId', n.settlement_id::text), coalesce(n.paid_at, n.updated_at)
  from new_rows n join old_rows o on o.id = n.id
  where n.status = 'PAID' and o.status <> 'PAID'
  order by n.id;
  return null;
end $$;`);
    this.addSql(`create trigger payout_outbox after update on payout referencing old table as old_rows new table as new_rows for each statement execute function outbox_from_payout();`);

    this.addSql(`create function outbox_from_member_insert() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'MEMBER_LEVEL_CHANGED', null, n.user_id, 'User', n.user_id,
         jsonb_build_object('fromRank', null, 'toRank', n.level_rank, 'level', l.name), n.level_since
  from new_rows n join member_level l on l.rank = n.level_rank
  where n.level_rank > (select min(rank) from member_level)
  order by n.user_id;
  return null;
end $$;`);
    this.addSql(`create trigger member_insert_outbox after insert on member referencing new table as new_rows for each statement execute function outbox_from_member_insert();`);
    this.addSql(`create function outbox_from_member_update() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'MEMBER_LEVEL_CHANGED', null, n.user_id, 'User', n.user_id,
         jsonb_build_object('fromRank', o.level_rank, 'toRank', n.level_rank, 'level', l.name), n.level_since
  from new_rows n join old_rows o on o.user_id = n.user_id join member_level l on l.rank = n.level_rank
  where n.level_rank <> o.level_rank
  order by n.user_id;
  return null;
end $$;`);
    this.addSql(`create trigger member_update_outbox after update on member referencing old table as old_rows new table as new_rows for each statement execute function outbox_from_member_update();`);

    this.addSql(`create function outbox_from_points_entry() returns trigger language plpgsql as $$
begin
  insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
  select 'REFERRAL_REWARDED', null, n.user_id, 'PointsEntry', n.id, jsonb_build_object('points', n.delta), n.at
  from new_rows n
  where n.reason = 'REFERRAL'
  order by n.id;
  return null;
end $$;`);
    this.addSql(`create trigger points_entry_outbox after insert on points_entry referencing new table as new_rows for each statement execute function outbox_from_points_entry();`);

    // What earlier capabilities recorded for a notifier that did not exist yet, while it still
    // matters: invitations still open and not taken up, alerts of the last week, level changes of
    // the last 30 days (older ones stay unnotified; their records remain in their tables).
    this.addSql(`insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
select 'LOW_STOCK', a.shop_id, null, 'ProductVariant', a.variant_id,
       jsonb_build_object('alertId', a.id::text, 'available', a.available, 'threshold', a.threshold, 'sku', v.sku, 'title', p.title), a.created_at
from stock_alert a join product_variant v on v.id = a.variant_id join product p on p.id = v.product_id
where a.notified_at is null and a.created_at > now() - interval '7 days' order by a.id;`);
    this.addSql(`insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
select 'REVIEW_INVITATION', null, i.buyer_id, 'OrderLine', i.order_line_id,
       jsonb_build_object('dueAt', i.due_at, 'title', l.product_title, 'orderId', l.order_id::text), i.invited_at
from review_invitation i join order_line l on l.id = i.order_line_id
where i.notified_at is null and i.due_at > now()
  and not exists (select 1 from review r where r.order_line_id = i.order_line_id)
order by i.order_line_id;`);
    this.addSql(`insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
select 'SCORECARD_LEVEL_CHANGED', c.shop_id, null, 'Shop', c.shop_id,
       jsonb_build_object('changeId', c.id::text, 'from', c.from_level, 'to', c.to_level, 'score', c.score), c.at
from scorecard_level_change c where c.notified_at is null and c.at > now() - interval '30 days' order by c.id;`);
  }

  override async down(): Promise<void> {
    for (const t of ['payout', 'settlement', 'scorecard_level_change', 'review_invitation', 'stock_alert', 'ticket_message', 'after_sale_event', 'product_status_change', 'application_decision', 'order_event']) {
      this.addSql(`drop trigger if exists ${t}_outbox on "${t}";`);
      this.addSql(`drop function if exists outbox_from_${t}();`);
    }
    this.addSql('drop trigger if exists member_insert_outbox on "member";');
    this.addSql('drop trigger if exists member_update_outbox on "member";');
    this.addSql('drop trigger if exists points_entry_outbox on "points_entry";');
    this.addSql('drop function if exists outbox_from_member_insert();');
    this.addSql('drop function if exists outbox_from_member_update();');
    this.addSql('drop function if exists outbox_from_points_entry();');

    this.addSql(`alter table "outbound_message" drop constraint "outbound_message_event_id_foreign";`);

    this.addSql(`alter table "notification" drop constraint "notification_event_id_foreign";`);

    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_event_id_foreign";`);

    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_subscription_id_foreign";`);

    this.addSql(`drop table if exists "outbox_event" cascade;`);

    this.addSql(`drop table if exists "outbound_message" cascade;`);

    this.addSql(`drop table if exists "notification_preference" cascade;`);

    this.addSql(`drop table if exists "notification" cascade;`);

    this.addSql(`drop table if exists "user_token" cascade;`);

    this.addSql(`drop table if exists "webhook_subscription" cascade;`);

    this.addSql(`drop table if exists "webhook_delivery" cascade;`);

    this.addSql(`alter table "order_event" drop constraint if exists "order_event_type_check";`);

    this.addSql(`alter table "order_event" add constraint "order_event_type_check" check("type" in ('PLACED', 'PAID', 'ACCEPTED', 'SHIPPED', 'TRACKING', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUND_REQUESTED'));`);

    this.addSql(`alter table "users" drop column "email_verified_at", drop column "phone";`);
  }

}
