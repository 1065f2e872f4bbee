import { Migration } from '@mikro-orm/migrations';

const AGREEMENT_TEXT = `'Merchant Cooperation Agreement (商家合作協議), version 2026-11.

1. The merchant sells only genuine goods that match their listings; counterfeit or shoddy goods are strictly forbidden.
2. Listings give accurate names, descriptions, images and specifications, are classified by category and attributes, and comply with the E-Commerce Law.
3. The platform charges the commission rate shown on the shop for each completed sale.
4. The merchant ships, answers customers within 24 hours and honours after-sales obligations.
5. The platform may suspend a shop that breaks these rules, stating the reason.'`;

export class Migration20261123093407_onboarding extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "category" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "name" text not null, "slug" text not null, "parent_id" bigint null, "path" text not null, "depth" int not null, "own_commission_rate" numeric(5,4) null, "attributes" jsonb not null default '[]', "position" int not null default 0);`);
    this.addSql(`alter table "category" add constraint "category_slug_unique" unique ("slug");`);
    this.addSql(`create index "category_parent_idx" on "category" ("parent_id");`);
    // "Category X and its descendants" is a prefix match on the materialized path.
    this.addSql(`create index "category_path_idx" on "category" ("path" text_pattern_ops);`);

    this.addSql(`create table "merchant_agreement" ("id" bigserial primary key, "version" text not null, "text" text not null, "published_at" timestamptz(3) not null default now());`);
    this.addSql(`alter table "merchant_agreement" add constraint "merchant_agreement_version_unique" unique ("version");`);

    this.addSql(`create table "training_course" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "title" text not null, "description" text not null, "required" boolean not null, "pass_score" int not null, "published" boolean not null default false, "published_at" timestamptz(3) null, constraint training_course_pass_score_check check ((pass_score >= 0) AND (pass_score <= 100)));`);

    this.addSql(`create table "quiz_question" ("id" bigserial primary key, "course_id" bigint not null, "position" int not null, "prompt" text not null, "options" text[] not null, "correct_option_indexes" jsonb not null);`);
    this.addSql(`create index "quiz_question_course_idx" on "quiz_question" ("course_id");`);

    this.addSql(`create table "training_lesson" ("id" bigserial primary key, "course_id" bigint not null, "position" int not null, "title" text not null, "body" text not null);`);
    this.addSql(`create index "training_lesson_course_idx" on "training_lesson" ("course_id");`);

    this.addSql(`create table "shop_invitation" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "shop_id" bigint not null, "email" text not null, "role" text check ("role" in ('OWNER', 'MANAGER', 'OPERATOR', 'CUSTOMER_SERVICE', 'FINANCE')) not null, "status" text check ("status" in ('PENDING', 'ACCEPTED', 'REVOKED')) not null default 'PENDING', "invited_by_id" bigint not null);`);
    this.addSql(`create index "shop_invitation_email_idx" on "shop_invitation" ("email");`);
    this.addSql(`create unique index "shop_invitation_pending_unique" on "shop_invitation" ("shop_id", "email") where "status" = 'PENDING';`);

    this.addSql(`create table "quiz_attempt" ("id" bigserial primary key, "shop_id" bigint not null, "course_id" bigint not null, "taken_by_id" bigint not null, "score" int not null, "passed" boolean not null, "answers" jsonb not null, "created_at" timestamptz(3) not null default now());`);
    this.addSql(`create index "quiz_attempt_course_idx" on "quiz_attempt" ("course_id");`);
    this.addSql(`create index "quiz_attempt_shop_course_idx" on "quiz_attempt" ("shop_id", "course_id", "created_at");`);

    this.addSql(`create table "merchant_application" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "applicant_id" bigint not null, "status" text check ("status" in ('DRAFT', 'SUBMITTED', 'IN_REVIEW', 'CHANGES_REQUESTED', 'APPROVED', 'REJECTED')) not null default 'DRAFT', "shop_name" text not null, "legal_name" text not null, "business_license_number" text not null, "contact_name" text not null, "contact_phone" text not null, "contact_email" text not null, "description" text not null, "category_ids" bigint[] not null, "reviewer_id" bigint null, "submitted_at" timestamptz(3) null, "shop_id" bigint null);`);
    this.addSql(`create index "merchant_application_applicant_idx" on "merchant_application" ("applicant_id");`);
    this.addSql(`create index "merchant_application_reviewer_idx" on "merchant_application" ("reviewer_id");`);
    this.addSql(`create index "merchant_application_queue_idx" on "merchant_application" ("status", "submitted_at", "id");`);
    this.addSql(`create unique index "merchant_application_open_name_unique" on "merchant_application" (lower("shop_name")) where "status" in ('DRAFT', 'SUBMITTED', 'IN_REVIEW', 'CHANGES_REQUESTED');`);
    this.addSql(`create unique index "merchant_application_one_open_per_user" on "merchant_application" ("applicant_id") where "status" in ('DRAFT', 'SUBMITTED', 'IN_REVIEW', 'CHANGES_REQUESTED');`);

    this.addSql(`create table "application_decision" ("id" bigserial primary key, "application_id" bigint not null, "decision" text check ("decision" in ('APPROVE', 'REJECT', 'REQUEST_CHANGES')) not null, "reason" text null, "reviewer_id" bigint null, "at" timestamptz(3) not null default now());`);
    this.addSql(`create index "application_decision_application_idx" on "application_decision" ("application_id");`);

    this.addSql(`create table "agreement_acceptance" ("id" bigserial primary key, "shop_id" bigint not null, "accepted_by_id" bigint not null, "version" text not null, "ip" text null, "accepted_at" timestamptz(3) not null default now());`);
    this.addSql(`create index "agreement_acceptance_user_idx" on "agreement_acceptance" ("accepted_by_id");`);
    this.addSql(`alter table "agreement_acceptance" add constraint "agreement_acceptance_shop_version_unique" unique ("shop_id", "version");`);

    this.addSql(`alter table "category" add constraint "category_parent_id_foreign" foreign key ("parent_id") references "category" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "quiz_question" add constraint "quiz_question_course_id_foreign" foreign key ("course_id") references "training_course" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "training_lesson" add constraint "training_lesson_course_id_foreign" foreign key ("course_id") references "training_course" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "shop_invitation" add constraint "shop_invitation_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "shop_invitation" add constraint "shop_invitation_invited_by_id_foreign" foreign key ("invited_by_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "quiz_attempt" add constraint "quiz_attempt_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "quiz_attempt" add constraint "quiz_attempt_course_id_foreign" foreign key ("course_id") references "training_course" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "quiz_attempt" add constraint "quiz_attempt_taken_by_id_foreign" foreign key ("taken_by_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "merchant_application" add constraint "merchant_application_applicant_id_foreign" foreign key ("applicant_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "merchant_application" add constraint "merchant_application_reviewer_id_foreign" foreign key ("reviewer_id") references "users" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "merchant_application" add constraint "merchant_application_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "application_decision" add constraint "application_decision_application_id_foreign" foreign key ("application_id") references "merchant_application" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "application_decision" add constraint "application_decision_reviewer_id_foreign" foreign key ("reviewer_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "agreement_acceptance" add constraint "agreement_acceptance_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "agreement_acceptance" add constraint "agreement_acceptance_accepted_by_id_foreign" foreign key ("accepted_by_id") references "users" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "shop" add column "status_reason" text null, add column "description" text null, add column "logo_url" text null, add column "phone" text null, add column "address" text null, add column "business_hours" jsonb not null default '[]', add column "photo_urls" jsonb not null default '[]', add column "commission_rate" numeric(5,4) not null default '0.0500', add column "activated_at" timestamptz(3) null;`);
    this.addSql(`create unique index "shop_live_name_unique" on "shop" (lower("name")) where "status" <> 'CLOSED';`);

    this.addSql(`create index "audit_entry_action_idx" on "audit_entry" ("action");`);

    // The first merchant agreement; staff publish later versions with publishMerchantAgreement.
    this.addSql(`insert into "merchant_agreement" ("version", "text") values ('2026-11', ${AGREEMENT_TEXT});`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "category" drop constraint "category_parent_id_foreign";`);

    this.addSql(`alter table "quiz_question" drop constraint "quiz_question_course_id_foreign";`);

    this.addSql(`alter table "training_lesson" drop constraint "training_lesson_course_id_foreign";`);

    this.addSql(`alter table "quiz_attempt" drop constraint "quiz_attempt_course_id_foreign";`);

    this.addSql(`alter table "application_decision" drop constraint "application_decision_application_id_foreign";`);

    this.addSql(`drop table if exists "category" cascade;`);

    this.addSql(`drop table if exists "merchant_agreement" cascade;`);

    this.addSql(`drop table if exists "training_course" cascade;`);

    this.addSql(`drop table if exists "quiz_question" cascade;`);

    this.addSql(`drop table if exists "training_lesson" cascade;`);

    this.addSql(`drop table if exists "shop_invitation" cascade;`);

    this.addSql(`drop table if exists "quiz_attempt" cascade;`);

    this.addSql(`drop table if exists "merchant_application" cascade;`);

    this.addSql(`drop table if exists "application_decision" cascade;`);

    this.addSql(`drop table if exists "agreement_acceptance" cascade;`);

    this.addSql(`drop index "shop_live_name_unique";`);
    this.addSql(`alter table "shop" drop column "status_reason", drop column "description", drop column "logo_url", drop column "phone", drop column "address", drop column "business_hours", drop column "photo_urls", drop column "commission_rate", drop column "activated_at";`);
  }

}
