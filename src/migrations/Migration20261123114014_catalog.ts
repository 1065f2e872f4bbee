import { Migration } from '@mikro-orm/migrations';

export class Migration20261123114014_catalog extends Migration {

  override async up(): Promise<void> {
    // Catalog search: English words are stemmed by the english configuration; runs of CJK characters
    // (which have no spaces between words) become overlapping bigrams, plus the last character of
    // each run, so any substring of two or more characters is a phrase of adjacent bigrams.
    this.addSql(`create function catalog_cjk_vector(doc text) returns tsvector
language plpgsql immutable parallel safe as $$
declare
  run text;
  n int;
  pos int := 0;
  parts text[] := '{}';
begin
  for run in select m[1] from regexp_matches(coalesce(doc, ''), '[一-鿿㐀-䶿豈-﫿ぁ-ゟ゠-ヿ가-힯]+', 'g') as m loop
    n := char_length(run);
    for i in 1..n loop
      pos := pos + 1;
      -- bigrams for every start, and the last character alone so one-character prefixes match it
      parts := parts || (quote_literal(substr(run, i, least(2, n - i + 1))) || ':' || least(pos, 16383));
    end loop;
    pos := pos + 1;
  end loop;
  return array_to_string(parts, ' ')::tsvector;
end $$;`);
    this.addSql(`create function catalog_document(doc text, weight "char") returns tsvector
language sql immutable parallel safe as $$
  select setweight(
    to_tsvector('english', regexp_replace(coalesce(doc, ''), '[一-鿿㐀-䶿豈-﫿ぁ-ゟ゠-ヿ가-힯]+', ' ', 'g'))
      || catalog_cjk_vector(doc),
    weight)
$$;`);
    this.addSql(`create function catalog_query(q text) returns tsquery
language plpgsql immutable parallel safe as $$
declare
  result tsquery;
  word text;
  run text;
  n int;
  phrase text;
  piece tsquery;
begin
  for word in select m[1] from regexp_matches(lower(regexp_replace(coalesce(q, ''), '[一-鿿㐀-䶿豈-﫿ぁ-ゟ゠-ヿ가-힯]+', ' ', 'g')), '[[:alnum:]]+', 'g') as m loop
    piece := to_tsquery('english', word || ':*');
    if piece::text <> '' then
      result := case when result is null then piece else result && piece end;
    end if;
  end loop;
  for run in select m[1] from regexp_matches(coalesce(q, ''), '[一-鿿㐀-䶿豈-﫿ぁ-ゟ゠-ヿ가-힯]+', 'g') as m loop
    n := char_length(run);
    if n = 1 then
      piece := (quote_literal(run) || ':*')::tsquery;
    else
      phrase := '';
      for i in 1..n - 1 loop
        phrase := phrase || case when i > 1 then ' <-> ' else '' end || quote_literal(substr(run, i, 2));
      end loop;
      piece := phrase::tsquery;
    end if;
    result := case when result is null then piece else result && piece end;
  end loop;
  return result;
end $$;`);

    this.addSql(`create table "brand" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "name" text not null, "slug" text not null, "logo_url" text null);`);
    this.addSql(`alter table "brand" add constraint "brand_slug_unique" unique ("slug");`);
    this.addSql(`create index "brand_name_prefix_idx" on "brand" ((lower("name") collate "C"), "id");`);
    this.addSql(`create unique index "brand_name_unique" on "brand" (lower("name"));`);

    this.addSql(`create table "product" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "shop_id" bigint not null, "category_id" bigint not null, "category_path" text not null, "brand_id" bigint null, "title" text not null, "description" text not null, "tags" text[] not null default '{}', "image_urls" jsonb not null default '[]', "attributes" jsonb not null default '[]', "status" text check ("status" in ('DRAFT', 'PENDING_REVIEW', 'ACTIVE', 'REJECTED', 'DELISTED', 'BANNED')) not null default 'DRAFT', "listed" boolean not null default false, "visible" boolean not null default false, "listed_at" timestamptz(3) null, "submitted_at" timestamptz(3) null, "pending_revision" jsonb null, "edited_since_decision" boolean not null default false, "min_price" bigint not null default 0, "max_price" bigint not null default 0, "sales_count" int not null default 0, "search_vector" tsvector null);`);
    this.addSql(`create index "product_category_idx" on "product" ("category_id");`);
    this.addSql(`create index "product_brand_idx" on "product" ("brand_id");`);
    this.addSql(`create index "product_tags_idx" on "product" using gin ("tags") where "visible";`);
    this.addSql(`create index "product_visible_brand_idx" on "product" ("brand_id", "id") where "visible";`);
    this.addSql(`create index "product_best_selling_idx" on "product" ("sales_count" desc, "id" desc) where "visible";`);
    this.addSql(`create index "product_price_idx" on "product" ("min_price", "id") where "visible";`);
    this.addSql(`create index "product_newest_idx" on "product" ("listed_at" desc, "id" desc) where "visible";`);
    this.addSql(`create index "product_category_path_idx" on "product" ("category_path" text_pattern_ops) where "visible";`);
    this.addSql(`create index "product_search_idx" on "product" using gin ("search_vector") where "visible";`);
    this.addSql(`create index "product_review_queue_idx" on "product" ("submitted_at", "id") where "status" = 'PENDING_REVIEW';`);
    this.addSql(`create index "product_shop_idx" on "product" ("shop_id", "id");`);

    this.addSql(`create table "product_variant" ("id" bigserial primary key, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now(), "product_id" bigint not null, "shop_id" bigint not null, "sku" text not null, "title" text not null, "options" jsonb not null default '[]', "price" bigint not null, "compare_at_price" bigint null, "on_hand" int not null, "reserved" int not null default 0, "low_stock_threshold" int not null, "position" int not null default 0, "archived" boolean not null default false, constraint product_variant_stock_check check ("reserved" >= 0 and "on_hand" >= "reserved"), constraint product_variant_price_check check ("price" >= 0 and ("compare_at_price" is null or "compare_at_price" >= 0) and "low_stock_threshold" >= 0));`);
    this.addSql(`create index "product_variant_shop_idx" on "product_variant" ("shop_id");`);
    this.addSql(`create index "product_variant_in_stock_idx" on "product_variant" ("product_id") where "on_hand" > "reserved" and not "archived";`);
    this.addSql(`create unique index "product_variant_sku_unique" on "product_variant" ("shop_id", "sku") where not "archived";`);
    this.addSql(`create index "product_variant_product_idx" on "product_variant" ("product_id", "position", "id");`);

    this.addSql(`create table "stock_movement" ("id" bigserial primary key, "shop_id" bigint not null, "variant_id" bigint not null, "delta_on_hand" int not null, "delta_reserved" int not null, "reason" text check ("reason" in ('INITIAL', 'RESTOCK', 'CORRECTION', 'DAMAGE', 'RETURN', 'STOCKTAKE', 'RESERVE', 'RELEASE', 'SALE')) not null, "note" text null, "actor_id" bigint null, "order_id" bigint null, "stocktake_id" bigint null, "created_at" timestamptz(3) not null default now());`);
    this.addSql(`create index "stock_movement_shop_idx" on "stock_movement" ("shop_id", "id");`);
    this.addSql(`create index "stock_movement_variant_idx" on "stock_movement" ("variant_id", "id");`);

    this.addSql(`create table "product_status_change" ("id" bigserial primary key, "product_id" bigint not null, "action" text check ("action" in ('CREATE', 'SUBMIT', 'REVISE', 'APPROVE', 'REJECT', 'DELIST', 'RELIST', 'BAN', 'REOPEN')) not null, "from_status" text check ("from_status" in ('DRAFT', 'PENDING_REVIEW', 'ACTIVE', 'REJECTED', 'DELISTED', 'BANNED')) null, "to_status" text check ("to_status" in ('DRAFT', 'PENDING_REVIEW', 'ACTIVE', 'REJECTED', 'DELISTED', 'BANNED')) not null, "reason" text null, "by_staff" boolean not null, "actor_id" bigint null, "at" timestamptz(3) not null default now());`);
    this.addSql(`create index "product_status_change_product_idx" on "product_status_change" ("product_id");`);

    this.addSql(`alter table "product" add constraint "product_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "product" add constraint "product_category_id_foreign" foreign key ("category_id") references "category" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "product" add constraint "product_brand_id_foreign" foreign key ("brand_id") references "brand" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "product_variant" add constraint "product_variant_product_id_foreign" foreign key ("product_id") references "product" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "product_variant" add constraint "product_variant_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "stock_movement" add constraint "stock_movement_shop_id_foreign" foreign key ("shop_id") references "shop" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "stock_movement" add constraint "stock_movement_variant_id_foreign" foreign key ("variant_id") references "product_variant" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "stock_movement" add constraint "stock_movement_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "product_status_change" add constraint "product_status_change_product_id_foreign" foreign key ("product_id") references "product" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "product_status_change" add constraint "product_status_change_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "product" drop constraint "product_brand_id_foreign";`);

    this.addSql(`alter table "product_variant" drop constraint "product_variant_product_id_foreign";`);

    this.addSql(`alter table "product_status_change" drop constraint "product_status_change_product_id_foreign";`);

    this.addSql(`alter table "stock_movement" drop constraint "stock_movement_variant_id_foreign";`);

    this.addSql(`drop table if exists "brand" cascade;`);

    this.addSql(`drop table if exists "product" cascade;`);

    this.addSql(`drop table if exists "product_variant" cascade;`);

    this.addSql(`drop table if exists "stock_movement" cascade;`);

    this.addSql(`drop table if exists "product_status_change" cascade;`);

    this.addSql(`drop function if exists catalog_query(text);`);
    this.addSql(`drop function if exists catalog_document(text, "char");`);
    this.addSql(`drop function if exists catalog_cjk_vector(text);`);
  }

}
