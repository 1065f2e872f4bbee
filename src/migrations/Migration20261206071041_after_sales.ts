import { Migration } from '@mikro-orm/migrations';

export class Migration20261206071041_after_sales extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create sequence "after_sale_number_seq";`);
    this.addSql(`alter table "stock_movement" drop constraint if exists "stock_movement_reason_check";`);
    this.addSql(`alter table "stock_movement" add constraint "stock_movement_reason_check" check("reason" in ('INITIAL', 'RESTOCK', 'CORRECTION', 'DAMAGE', 'RETURN', 'STOCKTAKE', 'RESERVE', 'RELEASE', 'SALE', 'EXCHANGE'));`);
    this.addSql(`create table "after_sale_case" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "number" text not null, "order_id" bigint not null, "shop_id" bigint not null, "buyer_id" bigint not null, "type" text check ("type" in ('REFUND_ONLY', 'RETURN_AND_REFUND', 'EXCHANGE', 'REPAIR')) not null, "status" text check ("status" in ('REQUESTED', 'REJECTED', 'AWAITING_RETURN', 'RETURN_SHIPPED', 'RECEIVED', 'REFUNDING', 'RESENT', 'ARBITRATION', 'CLOSED')) not null default 'REQUESTED', "outcome" text check ("outcome" in ('REFUNDED', 'REPLACED', 'REPAIRED', 'REJECTED', 'WITHDRAWN')) null, "reason" text not null, "description" text null, "evidence_urls" text[] not null default '{}', "refund_amount" bigint not null, "refund_id" bigint null, "awaiting" text check ("awaiting" in ('BUYER', 'MERCHANT', 'PLATFORM')) null, "deadline" timestamptz(3) null, "return_address" text null, "return_shipment" jsonb null, "resend_shipment" jsonb null, "restocked" boolean null, "escalated_at" timestamptz(3) null, "ruling" text check ("ruling" in ('FOR_BUYER', 'FOR_MERCHANT')) null, "closed_at" timestamptz(3) null, constraint after_sale_case_closed_check check (("status" = 'CLOSED') = ("outcome" is not null and "closed_at" is not null)), constraint after_sale_case_refund_amount_check check ("refund_amount" >= 0));`);
    this.addSql(`alter table "after_sale_case" add constraint "after_sale_case_number_unique" unique ("number");`);
    this.addSql(`create index "after_sale_case_arbitration_idx" on "after_sale_case" ("escalated_at", "id") where "status" = 'ARBITRATION';`);
    this.addSql(`create index "after_sale_case_deadline_idx" on "after_sale_case" ("status", "deadline") where "deadline" is not null;`);
    this.addSql(`create index "after_sale_case_open_idx" on "after_sale_case" ("order_id") where "status" <> 'CLOSED';`);
    this.addSql(`create index "after_sale_case_refund_idx" on "after_sale_case" ("refund_id");`);
    this.addSql(`create index "after_sale_case_buyer_idx" on "after_sale_case" ("buyer_id", "created_at", "id");`);
    this.addSql(`create index "after_sale_case_shop_status_idx" on "after_sale_case" ("shop_id", "status", "created_at", "id");`);
    this.addSql(`create index "after_sale_case_shop_idx" on "after_sale_case" ("shop_id", "created_at", "id");`);
    this.addSql(`create index "after_sale_case_order_idx" on "after_sale_case" ("order_id");`);

    this.addSql(`create table "after_sale_message" ("id" bigserial primary key, "case_id" bigint not null, "author_id" bigint not null, "role" text check ("role" in ('BUYER', 'MERCHANT', 'PLATFORM')) not null, "body" text not null, "attachment_urls" text[] not null default '{}', "at" timestamptz(3) not null);`);
    this.addSql(`create index "after_sale_message_case_idx" on "after_sale_message" ("case_id", "at", "id");`);
    this.addSql(`create index "after_sale_message_author_idx" on "after_sale_message" ("author_id");`);

    this.addSql(`create table "after_sale_event" ("id" bigserial primary key, "case_id" bigint not null, "type" text check ("type" in ('REQUESTED', 'APPROVED', 'REJECTED', 'RETURN_SHIPPED', 'RECEIVED', 'REFUND_CREATED', 'RESENT', 'ESCALATED', 'RULED', 'WITHDRAWN', 'CLOSED')) not null, "status" text check ("status" in ('REQUESTED', 'REJECTED', 'AWAITING_RETURN', 'RETURN_SHIPPED', 'RECEIVED', 'REFUNDING', 'RESENT', 'ARBITRATION', 'CLOSED')) not null, "party" text check ("party" in ('BUYER', 'MERCHANT', 'PLATFORM')) not null, "actor_id" bigint null, "note" text null, "at" timestamptz(3) not null);`);
    this.addSql(`create index "after_sale_event_case_idx" on "after_sale_event" ("case_id", "at", "id");`);
    this.addSql(`create index "after_sale_event_actor_idx" on "after_sale_event" ("actor_id");`);

    this.addSql(`create table "after_sale_case_line" ("id" bigserial primary key, "case_id" bigint not null, "order_line_id" bigint not null, "quantity" int not null, "open" boolean not null default true, "counts" boolean not null default true, constraint after_sale_case_line_quantity_check check ("quantity" > 0));`);
    this.addSql(`create unique index "after_sale_case_line_open_unique" on "after_sale_case_line" ("order_line_id") where "open";`);
    this.addSql(`create index "after_sale_case_line_order_line_idx" on "after_sale_case_line" ("order_line_id");`);
    this.addSql(`create index "after_sale_case_line_case_idx" on "after_sale_case_line" ("case_id");`);

    this.addSql(`alter table "after_sale_case" add constraint "after_sale_case_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "after_sale_case" add constraint "after_sale_case_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "after_sale_case" add constraint "after_sale_case_buyer_id_foreign" foreign key ("buyer_id") references "users" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "after_sale_case" add constraint "after_sale_case_refund_id_foreign" foreign key ("refund_id") references "refund" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "after_sale_message" add constraint "after_sale_message_case_id_foreign" foreign key ("case_id") references "after_sale_case" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "after_sale_message" add constraint "after_sale_message_author_id_foreign" foreign key ("author_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "after_sale_event" add constraint "after_sale_event_case_id_foreign" foreign key ("case_id") references "after_sale_case" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "after_sale_event" add constraint "after_sale_event_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "after_sale_case_line" add constraint "after_sale_case_line_case_id_foreign" foreign key ("case_id") references "after_sale_case" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "after_sale_case_line" add constraint "after_sale_case_line_order_line_id_foreign" foreign key ("order_line_id") references "order_line" ("id") on update cascade on delete restrict;`);

  }

  override async down(): Promise<void> {
    this.addSql(`alter table "after_sale_message" drop constraint "after_sale_message_case_id_foreign";`);

    this.addSql(`alter table "after_sale_event" drop constraint "after_sale_event_case_id_foreign";`);

    this.addSql(`alter table "after_sale_case_line" drop constraint "after_sale_case_line_case_id_foreign";`);

    this.addSql(`drop table if exists "after_sale_case" cascade;`);

    this.addSql(`drop table if exists "after_sale_message" cascade;`);

    this.addSql(`drop table if exists "after_sale_event" cascade;`);

    this.addSql(`drop table if exists "after_sale_case_line" cascade;`);
    this.addSql(`drop sequence if exists "after_sale_number_seq";`);
    this.addSql(`alter table "stock_movement" drop constraint if exists "stock_movement_reason_check";`);
    this.addSql(`alter table "stock_movement" add constraint "stock_movement_reason_check" check("reason" in ('INITIAL', 'RESTOCK', 'CORRECTION', 'DAMAGE', 'RETURN', 'STOCKTAKE', 'RESERVE', 'RELEASE', 'SALE'));`);

  }

}
