import { Migration } from '@mikro-orm/migrations';

/**
 * Customer-service tickets, their messages and the FAQ. Ticket numbers draw on their own sequence;
 * the FAQ's search document is a generated column built by the catalog's `catalog_document`
 * (English stems and CJK bigrams), searched with `catalog_query` through a GIN index.
 */
export class Migration20261206070845_tickets extends Migration {

  override async up(): Promise<void> {
    // Ticket numbers are "T", the date and this sequence: unique across every server process.
    this.addSql(`create sequence "ticket_number_seq";`);

    this.addSql(`create table "faq" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "question" text not null, "answer" text not null, "category" text not null, "position" int not null default 0, "search_vector" tsvector generated always as (catalog_document("question", 'A'::"char") || catalog_document("category", 'B'::"char") || catalog_document("answer", 'C'::"char")) stored null);`);
    this.addSql(`create index "faq_search_idx" on "faq" using gin ("search_vector");`);
    this.addSql(`create index "faq_category_idx" on "faq" ("category", "position", "id");`);

    this.addSql(`create table "ticket" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "number" text not null, "kind" text check ("kind" in ('QUESTION', 'COMPLAINT_ABOUT_SHOP', 'COMPLAINT_ABOUT_PRODUCT', 'COMPLAINT_ABOUT_DELIVERY', 'FEEDBACK')) not null, "subject" text not null, "status" text check ("status" in ('OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED')) not null default 'OPEN', "requester_id" bigint not null, "order_id" bigint null, "shop_id" bigint null, "product_id" bigint null, "assignee_id" bigint null, "first_response_due_at" timestamptz(3) not null, "first_responded_at" timestamptz(3) null, "sla_breached_at" timestamptz(3) null, "resolution" text null, "resolved_at" timestamptz(3) null, "satisfaction_score" smallint null, "satisfaction_comment" text null, "rated_at" timestamptz(3) null, "closed_at" timestamptz(3) null, constraint ticket_satisfaction_check check (("satisfaction_score" is null or "satisfaction_score" >= 1 and "satisfaction_score" <= 5) and ("satisfaction_score" is null) = ("rated_at" is null)));`);
    this.addSql(`alter table "ticket" add constraint "ticket_number_unique" unique ("number");`);
    this.addSql(`create index "ticket_order_idx" on "ticket" ("order_id");`);
    this.addSql(`create index "ticket_product_idx" on "ticket" ("product_id");`);
    this.addSql(`create index "ticket_unanswered_idx" on "ticket" ("first_response_due_at", "id") where "first_responded_at" is null;`);
    this.addSql(`create index "ticket_kind_idx" on "ticket" ("kind", "created_at", "id");`);
    this.addSql(`create index "ticket_status_idx" on "ticket" ("status", "created_at", "id");`);
    this.addSql(`create index "ticket_assignee_idx" on "ticket" ("assignee_id", "created_at", "id");`);
    this.addSql(`create index "ticket_shop_idx" on "ticket" ("shop_id", "created_at", "id");`);
    this.addSql(`create index "ticket_requester_idx" on "ticket" ("requester_id", "created_at", "id");`);
    this.addSql(`create index "ticket_created_idx" on "ticket" ("created_at", "id");`);

    this.addSql(`create table "ticket_message" ("id" bigserial primary key, "ticket_id" bigint not null, "author_id" bigint not null, "role" text check ("role" in ('REQUESTER', 'STAFF', 'SHOP')) not null, "kind" text check ("kind" in ('OPENING', 'REPLY', 'RESOLUTION')) not null, "body" text not null, "attachment_urls" jsonb not null default '[]', "at" timestamptz(3) not null);`);
    this.addSql(`create index "ticket_message_author_idx" on "ticket_message" ("author_id");`);
    this.addSql(`create index "ticket_message_ticket_idx" on "ticket_message" ("ticket_id", "id");`);

    this.addSql(`alter table "ticket" add constraint "ticket_requester_id_foreign" foreign key ("requester_id") references "users" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "ticket" add constraint "ticket_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "ticket" add constraint "ticket_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "ticket" add constraint "ticket_product_id_foreign" foreign key ("product_id") references "product" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "ticket" add constraint "ticket_assignee_id_foreign" foreign key ("assignee_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "ticket_message" add constraint "ticket_message_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "ticket_message" add constraint "ticket_message_author_id_foreign" foreign key ("author_id") references "users" ("id") on update cascade on delete restrict;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "ticket_message" drop constraint "ticket_message_ticket_id_foreign";`);

    this.addSql(`drop table if exists "faq" cascade;`);

    this.addSql(`drop table if exists "ticket" cascade;`);

    this.addSql(`drop table if exists "ticket_message" cascade;`);

    this.addSql(`drop sequence if exists "ticket_number_seq";`);
  }

}
