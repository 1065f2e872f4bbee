import { Migration } from '@mikro-orm/migrations';

/**
 * The money ledger, settlements and payouts. Besides the tables:
 * - triggers that make the ledger append-only and every posting balanced (checked once per insert
 *   statement over every posting it touched);
 * - shops stop carrying the default rate as their own: a rate equal to the old default (0.0500) was
 *   the default, not a choice, so it becomes null and category rates apply;
 * - orders placed before it get the commission snapshot their shop's stored rate gives (round half
 *   even), and their payments and refunds are posted with it, so every account starts balanced.
 */
export class Migration20261206042722_money extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "mock_provider_record" ("id" bigserial primary key, "kind" text check ("kind" in ('CHARGE', 'REFUND', 'PAYOUT')) not null, "reference" text not null, "amount" bigint not null, "status" text not null, "at" timestamptz(3) not null);`);
    this.addSql(`create index "mock_provider_record_at_idx" on "mock_provider_record" ("at", "id");`);
    this.addSql(`alter table "mock_provider_record" add constraint "mock_provider_record_unique" unique ("kind", "reference");`);

    this.addSql(`create table "settlement" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "shop_id" bigint not null, "period_start" timestamptz(3) not null, "period_end" timestamptz(3) null, "status" text check ("status" in ('OPEN', 'CLOSED')) not null default 'OPEN', "gross" bigint not null default 0, "commission" bigint not null default 0, "refunds" bigint not null default 0, "adjustments" bigint not null default 0, "net" bigint not null default 0, "carried_over" bigint not null default 0, "payable" bigint not null default 0, "order_count" int not null default 0, "closed_at" timestamptz(3) null, constraint settlement_net_check check ("net" = "gross" - "commission" - "refunds" + "adjustments" and "payable" = "net" + "carried_over" and "carried_over" <= 0));`);
    this.addSql(`create index "settlement_period_idx" on "settlement" ("period_start", "id");`);
    this.addSql(`create index "settlement_status_idx" on "settlement" ("status", "period_start", "id");`);
    this.addSql(`create index "settlement_shop_idx" on "settlement" ("shop_id", "period_start", "id");`);
    this.addSql(`alter table "settlement" add constraint "settlement_shop_period_unique" unique ("shop_id", "period_start");`);

    this.addSql(`create table "payout" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "settlement_id" bigint not null, "shop_id" bigint not null, "amount" bigint not null, "status" text check ("status" in ('PENDING', 'PAID', 'FAILED')) not null default 'PENDING', "provider" text check ("provider" in ('MOCK')) not null default 'MOCK', "attempt" int not null default 1, "provider_reference" text null, "sending_at" timestamptz(3) null, "failure_reason" text null, "paid_at" timestamptz(3) null, "failed_at" timestamptz(3) null, "created_by_id" bigint not null, constraint payout_amount_check check ("amount" > 0 and "attempt" >= 1));`);
    this.addSql(`alter table "payout" add constraint "payout_settlement_unique" unique ("settlement_id");`);
    this.addSql(`create index "payout_created_by_idx" on "payout" ("created_by_id");`);
    this.addSql(`create index "payout_unsent_idx" on "payout" ("id") where "status" = 'PENDING' and "provider_reference" is null;`);
    this.addSql(`create index "payout_status_idx" on "payout" ("status", "id");`);
    this.addSql(`create index "payout_shop_idx" on "payout" ("shop_id", "id");`);

    this.addSql(`create table "payout_event" ("id" bigserial primary key, "provider" text check ("provider" in ('MOCK')) not null, "event_id" text not null, "type" text not null, "payout_id" bigint not null, "body" jsonb not null, "received_at" timestamptz(3) not null);`);
    this.addSql(`create index "payout_event_payout_idx" on "payout_event" ("payout_id");`);
    this.addSql(`alter table "payout_event" add constraint "payout_event_unique" unique ("provider", "event_id");`);

    this.addSql(`create table "ledger_posting" ("id" bigserial primary key, "kind" text check ("kind" in ('PAYMENT', 'REFUND', 'REFUND_SENT', 'ADJUSTMENT', 'PAYOUT_CREATED', 'PAYOUT_PAID', 'PAYOUT_FAILED')) not null, "at" timestamptz(3) not null, "memo" text null, "payment_id" bigint null, "refund_id" bigint null, "payout_id" bigint null, "payout_attempt" int null, "actor_id" bigint null, "created_at" timestamptz(3) not null default now());`);
    this.addSql(`create index "ledger_posting_payment_idx" on "ledger_posting" ("payment_id");`);
    this.addSql(`create index "ledger_posting_refund_idx" on "ledger_posting" ("refund_id");`);
    this.addSql(`create index "ledger_posting_payout_idx" on "ledger_posting" ("payout_id");`);
    this.addSql(`create index "ledger_posting_actor_idx" on "ledger_posting" ("actor_id");`);
    this.addSql(`create index "ledger_posting_at_idx" on "ledger_posting" ("at", "id");`);
    this.addSql(`create unique index "ledger_posting_payout_unique" on "ledger_posting" ("payout_id", "payout_attempt", "kind") where "payout_id" is not null;`);
    this.addSql(`create unique index "ledger_posting_refund_unique" on "ledger_posting" ("refund_id", "kind") where "refund_id" is not null;`);
    this.addSql(`alter table "ledger_posting" add constraint "ledger_posting_payment_unique" unique ("payment_id");`);

    this.addSql(`create table "ledger_entry" ("id" bigserial primary key, "posting_id" bigint not null, "kind" text check ("kind" in ('PAYMENT', 'REFUND', 'REFUND_SENT', 'ADJUSTMENT', 'PAYOUT_CREATED', 'PAYOUT_PAID', 'PAYOUT_FAILED')) not null, "account" text check ("account" in ('BUYER_PAYMENTS', 'SHOP_PAYABLE', 'PLATFORM_COMMISSION', 'PLATFORM_PROMOTIONS', 'PLATFORM_ADJUSTMENTS', 'REFUNDS_PAYABLE', 'PAYOUTS_IN_TRANSIT')) not null, "shop_id" bigint null, "order_id" bigint null, "amount" bigint not null, "at" timestamptz(3) not null, "settlement_id" bigint null, constraint ledger_entry_shop_check check ("account" not in ('SHOP_PAYABLE', 'PAYOUTS_IN_TRANSIT') or "shop_id" is not null), constraint ledger_entry_amount_check check ("amount" <> 0));`);
    this.addSql(`create index "ledger_entry_unsettled_idx" on "ledger_entry" ("shop_id", "id") where "settlement_id" is null and "kind" in ('PAYMENT', 'REFUND', 'ADJUSTMENT') and "account" in ('SHOP_PAYABLE', 'PLATFORM_COMMISSION', 'PLATFORM_PROMOTIONS', 'PLATFORM_ADJUSTMENTS');`);
    this.addSql(`create index "ledger_entry_settlement_idx" on "ledger_entry" ("settlement_id", "id") where "settlement_id" is not null;`);
    this.addSql(`create index "ledger_entry_order_idx" on "ledger_entry" ("order_id", "id") where "order_id" is not null;`);
    this.addSql(`create index "ledger_entry_account_shop_idx" on "ledger_entry" ("account", "shop_id", "at", "id") include ("amount");`);
    this.addSql(`create index "ledger_entry_account_idx" on "ledger_entry" ("account", "at", "id") include ("amount");`);
    this.addSql(`create index "ledger_entry_posting_idx" on "ledger_entry" ("posting_id");`);

    this.addSql(`alter table "settlement" add constraint "settlement_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "payout" add constraint "payout_settlement_id_foreign" foreign key ("settlement_id") references "settlement" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "payout" add constraint "payout_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "payout" add constraint "payout_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "payout_event" add constraint "payout_event_payout_id_foreign" foreign key ("payout_id") references "payout" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "ledger_posting" add constraint "ledger_posting_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "ledger_posting" add constraint "ledger_posting_refund_id_foreign" foreign key ("refund_id") references "refund" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "ledger_posting" add constraint "ledger_posting_payout_id_foreign" foreign key ("payout_id") references "payout" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "ledger_posting" add constraint "ledger_posting_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_posting_id_foreign" foreign key ("posting_id") references "ledger_posting" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_settlement_id_foreign" foreign key ("settlement_id") references "settlement" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "shop" alter column "commission_rate" drop default;`);
    this.addSql(`alter table "shop" alter column "commission_rate" type numeric(5,4) using ("commission_rate"::numeric(5,4));`);
    this.addSql(`alter table "shop" alter column "commission_rate" drop not null;`);

    this.addSql(`alter table "orders" add column "commission" bigint not null default 0, add column "platform_discount" bigint not null default 0;`);
    this.addSql(`alter table "orders" add constraint orders_money_check check("commission" >= 0 and "platform_discount" >= 0 and "platform_discount" <= "discount_total");`);

    this.addSql(`alter table "order_line" add column "commission_rate" numeric(5,4) not null default '0', add column "commission" bigint not null default 0;`);
    this.addSql(`alter table "order_line" add constraint order_line_commission_check check("commission_rate" between 0 and 1 and "commission" between 0 and "line_total");`);

    this.addSql(`alter table "refund" add column "sending_at" timestamptz(3) null;`);
    this.addSql(`create index "payment_reference_idx" on "payment" ("provider_reference") where "provider_reference" is not null;`);
    this.addSql(`create index "refund_reference_idx" on "refund" ("provider_reference") where "provider_reference" is not null;`);
    this.addSql(`create index "payout_reference_idx" on "payout" ("provider_reference") where "provider_reference" is not null;`);

    // Orders placed before commission was snapshotted take the rate their shop carried then.
    this.addSql(`create function pg_temp.half_even(x numeric) returns bigint language sql immutable as
      $$ select (case when x - floor(x) = 0.5 then floor(x) + (floor(x)::bigint % 2) else round(x) end)::bigint $$;`);
    this.addSql(`update "order_line" l set "commission_rate" = s."commission_rate", "commission" = pg_temp.half_even(l."line_total" * s."commission_rate")
      from "orders" o join "shop" s on s."id" = o."shop_id" where o."id" = l."order_id";`);
    this.addSql(`update "orders" o set "commission" = x.c from (select "order_id", sum("commission") as c from "order_line" group by "order_id") x where x."order_id" = o."id";`);
    this.addSql(`update "shop" set "commission_rate" = null where "commission_rate" = 0.0500;`);

    this.addSql(`create function ledger_balanced() returns trigger language plpgsql as $$
      declare unbalanced bigint;
      begin
        select e.posting_id into unbalanced
        from ledger_entry e
        where e.posting_id in (select distinct posting_id from new_entries)
        group by e.posting_id
        having sum(e.amount) <> 0
        limit 1;
        if unbalanced is not null then
          raise exception 'ledger posting % does not balance: its debits and credits differ', unbalanced using errcode = '23514';
        end if;
        return null;
      end $$;`);
    this.addSql(`create trigger ledger_entry_balanced after insert on ledger_entry referencing new table as new_entries for each statement execute function ledger_balanced();`);
    this.addSql(`create function ledger_append_only() returns trigger language plpgsql as $$
      begin
        -- Nested: PL/pgSQL evaluates the whole condition, and a ledger_posting row has no settlement_id.
        if tg_op = 'UPDATE' and tg_table_name = 'ledger_entry' then
          if old.settlement_id is null and new.settlement_id is not null
             and (new.id, new.posting_id, new.kind, new.account, new.shop_id, new.order_id, new.amount, new.at)
                 is not distinct from (old.id, old.posting_id, old.kind, old.account, old.shop_id, old.order_id, old.amount, old.at) then
            return new;
          end if;
        end if;
        raise exception 'the ledger is append-only: % on % refused (post a correction instead)', tg_op, tg_table_name using errcode = '55000';
      end $$;`);
    this.addSql(`create trigger ledger_posting_append_only before update or delete on ledger_posting for each row execute function ledger_append_only();`);
    this.addSql(`create trigger ledger_entry_append_only before update or delete on ledger_entry for each row execute function ledger_append_only();`);

    // Earlier payments and refunds, posted without commission.
    this.addSql(`insert into ledger_posting (kind, at, payment_id) select 'PAYMENT', p.updated_at, p.id from payment p where p.status = 'SUCCEEDED';`);
    this.addSql(`insert into ledger_entry (posting_id, kind, account, shop_id, order_id, amount, at)
      select lp.id, 'PAYMENT', x.account, x.shop_id, x.order_id, x.amount, lp.at
      from ledger_posting lp
      join payment p on p.id = lp.payment_id
      cross join lateral (
        select 'BUYER_PAYMENTS' as account, o.shop_id, o.id as order_id, o.total as amount from orders o where o.checkout_id = p.checkout_id and o.paid_at is not null and o.total > 0
        union all
        select 'SHOP_PAYABLE', o.shop_id, o.id, -(o.total - o.commission) from orders o where o.checkout_id = p.checkout_id and o.paid_at is not null and o.total - o.commission > 0
        union all
        select 'PLATFORM_COMMISSION', o.shop_id, o.id, -o.commission from orders o where o.checkout_id = p.checkout_id and o.paid_at is not null and o.commission > 0
        union all
        select a.account, null, null, a.amount
        from (select p.amount - coalesce((select sum(o.total) from orders o where o.checkout_id = p.checkout_id and o.paid_at is not null), 0) as rest) r
        cross join lateral (values ('BUYER_PAYMENTS', r.rest), ('REFUNDS_PAYABLE', -r.rest)) a(account, amount)
        where r.rest > 0
      ) x
      where lp.kind = 'PAYMENT';`);
    this.addSql(`insert into ledger_posting (kind, at, refund_id, memo) select 'REFUND', r.created_at, r.id, r.reason from refund r where r.order_id is not null;`);
    this.addSql(`insert into ledger_entry (posting_id, kind, account, shop_id, order_id, amount, at)
      select lp.id, 'REFUND', a.account, o.shop_id, o.id, a.amount, lp.at
      from ledger_posting lp join refund r on r.id = lp.refund_id join orders o on o.id = r.order_id
      cross join lateral (select case when o.total > 0 then pg_temp.half_even(o.commission::numeric * r.amount / o.total) else 0 end as share) c
      cross join lateral (values ('SHOP_PAYABLE', r.amount - c.share), ('PLATFORM_COMMISSION', c.share), ('REFUNDS_PAYABLE', -r.amount)) a(account, amount)
      where lp.kind = 'REFUND' and a.amount <> 0;`);
    this.addSql(`insert into ledger_posting (kind, at, refund_id) select 'REFUND_SENT', r.updated_at, r.id from refund r where r.status = 'SUCCEEDED';`);
    this.addSql(`insert into ledger_entry (posting_id, kind, account, shop_id, order_id, amount, at)
      select lp.id, 'REFUND_SENT', a.account, o.shop_id, r.order_id, a.amount, lp.at
      from ledger_posting lp join refund r on r.id = lp.refund_id left join orders o on o.id = r.order_id
      cross join lateral (values ('REFUNDS_PAYABLE', r.amount), ('BUYER_PAYMENTS', -r.amount)) a(account, amount)
      where lp.kind = 'REFUND_SENT';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "payment_reference_idx";`);
    this.addSql(`drop index if exists "refund_reference_idx";`);
    this.addSql(`alter table "refund" drop column "sending_at";`);
    this.addSql(`drop trigger if exists ledger_entry_balanced on ledger_entry;`);
    this.addSql(`drop trigger if exists ledger_entry_append_only on ledger_entry;`);
    this.addSql(`drop trigger if exists ledger_posting_append_only on ledger_posting;`);
    this.addSql(`drop function if exists ledger_balanced();`);
    this.addSql(`drop function if exists ledger_append_only();`);
    this.addSql(`alter table "payout" drop constraint "payout_settlement_id_foreign";`);

    this.addSql(`alter table "ledger_entry" drop constraint "ledger_entry_settlement_id_foreign";`);

    this.addSql(`alter table "payout_event" drop constraint "payout_event_payout_id_foreign";`);

    this.addSql(`alter table "ledger_posting" drop constraint "ledger_posting_payout_id_foreign";`);

    this.addSql(`alter table "ledger_entry" drop constraint "ledger_entry_posting_id_foreign";`);

    this.addSql(`drop table if exists "mock_provider_record" cascade;`);

    this.addSql(`drop table if exists "settlement" cascade;`);

    this.addSql(`drop table if exists "payout" cascade;`);

    this.addSql(`drop table if exists "payout_event" cascade;`);

    this.addSql(`drop table if exists "ledger_posting" cascade;`);

    this.addSql(`drop table if exists "ledger_entry" cascade;`);

    this.addSql(`alter table "order_line" drop constraint order_line_commission_check;`);
    this.addSql(`alter table "order_line" drop column "commission_rate", drop column "commission";`);

    this.addSql(`alter table "orders" drop constraint orders_money_check;`);
    this.addSql(`alter table "orders" drop column "commission", drop column "platform_discount";`);

    this.addSql(`alter table "shop" alter column "commission_rate" type numeric(5,4) using ("commission_rate"::numeric(5,4));`);
    this.addSql(`alter table "shop" alter column "commission_rate" set default 0.0500;`);
    this.addSql(`update "shop" set "commission_rate" = 0.0500 where "commission_rate" is null;`);
    this.addSql(`alter table "shop" alter column "commission_rate" set not null;`);
  }

}
