import { Migration } from '@mikro-orm/migrations';

export class Migration20261123091329_foundation extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "shop" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "name" text not null, "slug" text not null, "status" text check ("status" in ('ONBOARDING', 'ACTIVE', 'SUSPENDED', 'CLOSED')) not null default 'ONBOARDING');`);
    this.addSql(`alter table "shop" add constraint "shop_slug_unique" unique ("slug");`);

    this.addSql(`create table "users" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "email" text not null, "display_name" text not null, "password_hash" text not null, "staff_roles" text[] not null default '{}', constraint users_staff_roles_check check (staff_roles <@ ARRAY['ADMIN','REVIEWER','OPERATIONS','CUSTOMER_SERVICE','RISK','FINANCE','ANALYST']::text[]));`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(`create table "shop_member" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "shop_id" bigint not null, "user_id" bigint not null, "role" text check ("role" in ('OWNER', 'MANAGER', 'OPERATOR', 'CUSTOMER_SERVICE', 'FINANCE')) not null);`);
    this.addSql(`create index "shop_member_user_idx" on "shop_member" ("user_id");`);
    this.addSql(`alter table "shop_member" add constraint "shop_member_shop_user_unique" unique ("shop_id", "user_id");`);

    this.addSql(`create table "auth_session" ("id" uuid not null, "user_id" bigint not null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, "revoked_at" timestamptz null, "revoked_reason" text null, "ip" text null, "user_agent" text null, constraint "auth_session_pkey" primary key ("id"));`);
    this.addSql(`create index "auth_session_user_idx" on "auth_session" ("user_id");`);

    this.addSql(`create table "refresh_token" ("token_hash" text not null, "session_id" uuid not null, "created_at" timestamptz not null default now(), "rotated_at" timestamptz null, constraint "refresh_token_pkey" primary key ("token_hash"));`);
    this.addSql(`create index "refresh_token_session_idx" on "refresh_token" ("session_id");`);

    this.addSql(`create table "audit_entry" ("id" bigserial primary key, "actor_id" bigint null, "action" text not null, "target_type" text not null, "target_id" text not null, "before" jsonb null, "after" jsonb null, "request_id" text null, "created_at" timestamptz(3) not null default now());`);
    this.addSql(`create index "audit_entry_actor_idx" on "audit_entry" ("actor_id");`);
    this.addSql(`create index "audit_entry_target_idx" on "audit_entry" ("target_type", "target_id");`);

    this.addSql(`alter table "shop_member" add constraint "shop_member_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "shop_member" add constraint "shop_member_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "auth_session" add constraint "auth_session_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "refresh_token" add constraint "refresh_token_session_id_foreign" foreign key ("session_id") references "auth_session" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "audit_entry" add constraint "audit_entry_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on update cascade on delete set null;`);

    // Shared rate-limit counters (rate-limiter-flexible's PostgreSQL store) when REDIS_URL is unset.
    this.addSql(`create table "rate_limit" ("key" varchar(255) primary key, "points" integer not null default 0, "expire" bigint);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "shop_member" drop constraint "shop_member_shop_id_foreign";`);

    this.addSql(`alter table "shop_member" drop constraint "shop_member_user_id_foreign";`);

    this.addSql(`alter table "auth_session" drop constraint "auth_session_user_id_foreign";`);

    this.addSql(`alter table "audit_entry" drop constraint "audit_entry_actor_id_foreign";`);

    this.addSql(`alter table "refresh_token" drop constraint "refresh_token_session_id_foreign";`);

    this.addSql(`drop table if exists "shop" cascade;`);

    this.addSql(`drop table if exists "users" cascade;`);

    this.addSql(`drop table if exists "shop_member" cascade;`);

    this.addSql(`drop table if exists "auth_session" cascade;`);

    this.addSql(`drop table if exists "refresh_token" cascade;`);

    this.addSql(`drop table if exists "audit_entry" cascade;`);

    this.addSql(`drop table if exists "rate_limit";`);
  }

}
