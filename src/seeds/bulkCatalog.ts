import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ProductAction, ProductStatus } from '../entities';
import { REFRESH_PRODUCTS_SQL } from '../services/catalog';
import { BULK_LINES, BULK_TYPES, BULK_WORDS, DEMO_BRANDS } from './catalogData';
import { type CategoryRow, insertCategories, insertShops, seedBrands, seedCategoryTree, shopRow } from './demoCatalog';

/**
 * The bulk catalog generator for benchmarks: N more ACTIVE products on top of the demo's category
 * tree, brands and shops (made here when fewer exist). Set-based SQL throughout, and every product
 * inserted goes through REFRESH_PRODUCTS_SQL, the one definition of the derived search columns.
 * Safe to run again: each run adds N more.
 */

export const MAX_BULK_PRODUCTS = 1_000_000;
const MIN_BULK_CATEGORIES = 200;
const MIN_BULK_SHOPS = 50;
const REFRESH_BATCH = 25_000;

export interface BulkCatalogOptions {
  products: number;
  /** Variants per product, 1–20 (default 3). */
  variantsPerProduct?: number;
  /** Password of the owners of shops the bulk mode creates (default: a random one nobody knows). */
  ownerPassword?: string;
  /** Parts made side by side, each in its own transaction on its own connection, 1–8 (default 2). */
  parallel?: number;
}

export interface BulkCatalogResult {
  products: number;
  variants: number;
  stockMovements: number;
  statusChanges: number;
  categoriesCreated: number;
  shopsCreated: number;
  /** Parts the products were made in, side by side. */
  parts: number;
  /** Wall time of each step (of the slowest part), in milliseconds. */
  timings: { step: string; ms: number }[];
  ms: number;
}

/** About 200 categories when fewer exist: product types under the demo departments, two product lines under each type. */
async function ensureBulkCategories(em: EntityManager): Promise<number> {
  const [{ n }] = await em.execute<{ n: number }[]>('select count(*)::int as n from category');
  if (n >= MIN_BULK_CATEGORIES) return 0;
  const created = await seedCategoryTree(em);
  const types: CategoryRow[] = [];
  const lines: CategoryRow[] = [];
  for (const [department, list] of Object.entries(BULK_TYPES)) {
    list.forEach(([slug, zh, en], i) => {
      types.push({ slug, name: `${zh} ${en}`, parent: department, rate: null, attributes: [], position: 100 + i });
      BULK_LINES[department]
        .filter((_, k) => k !== i % 3)
        .forEach(([line, lineZh, lineEn], position) =>
          lines.push({ slug: `${slug}-${line}`, name: `${lineZh}${zh} ${lineEn} ${en.toLowerCase()}`, parent: slug, rate: null, attributes: [], position }),
        );
    });
  }
  return created + (await insertCategories(em, [types, lines]));
}

/** At least 50 ACTIVE shops, named from the word lists, each with an OWNER. */
async function ensureBulkShops(em: EntityManager, password: string): Promise<number> {
  const [{ active, generated }] = await em.execute<{ active: number; generated: number }[]>(
    "select count(*) filter (where status = 'ACTIVE')::int as active, count(*) filter (where slug like 'bulk-shop-%')::int as generated from shop",
  );
  if (active >= MIN_BULK_SHOPS) return 0;
  const [reviewer] = await em.execute<{ id: string }[]>("select id from users where 'REVIEWER' = any(staff_roles) order by id limit 1");
  const { cities, kinds, suffixes, owners } = BULK_WORDS;
  const now = Date.now();
  const rows = Array.from({ length: MIN_BULK_SHOPS - active }, (_, k) => {
    const i = generated + k;
    const [city, kind, suffix] = [cities[i % cities.length], kinds[Math.floor(i / cities.length) % kinds.length], suffixes[Math.floor(i / 64) % suffixes.length]];
    const name = `${city[0]}${kind[0]}${suffix[0]} ${city[1]} ${kind[1]} ${suffix[1]}${i >= 256 ? ` ${i + 1}` : ''}`;
    return shopRow(`bulk-shop-${i + 1}`, name, owners[i % owners.length], city, [kind[2]], 100 + i, now);
  });
  return insertShops(em, rows, password, reviewer?.id ?? null);
}

/** A deterministic pseudo-random non-negative bigint of a generated row's key, one stream per salt. */
const hash = (key: string, salt: number) => `(hashint8extended(${key}, ${salt}) & 9223372036854775807)`;
/** The same as a float in [0, 1). */
const unit = (key: string, salt: number) => `(${hash(key, salt)} % 1000003)::float8 / 1000003`;

/**
 * Temporary tables for one bulk run. Shops and brands are grouped by department (a shop by the
 * departments its approved application named, a brand by DEMO_BRANDS; all departments when
 * unknown), so a product is sold by a shop and made by a brand of its category's department.
 * Leaf categories carry the Chinese and English parts of their names and values for their
 * required attributes. The generated products get ids drawn from the product sequence.
 */
async function prepareBulkProducts(em: EntityManager, keys: { from: number; count: number }): Promise<{ lo: string; hi: string }> {
  await em.execute(
    `create temp table bulk_shop on commit drop as
     with s as (
       select s.id, s.name,
         (select m.user_id from shop_member m where m.shop_id = s.id and m.role = 'OWNER' order by m.id limit 1) as owner_id,
         array(select distinct r.slug from merchant_application a cross join unnest(a.category_ids) as cid(id)
               join category c on c.id = cid.id join category r on r.id = split_part(c.path, '/', 2)::bigint
               where a.shop_id = s.id and a.status = 'APPROVED') as departments
       from shop s where s.status = 'ACTIVE'
     ),
     g as (
       select s.*, d.dept from s cross join lateral unnest(
         case when cardinality(s.departments) = 0 then array(select slug from category where parent_id is null) else s.departments end || array['*']) as d(dept)
     )
     select dept, (row_number() over (partition by dept order by hashint8extended(id, 99), id) - 1)::int as i, id, name, owner_id from g`,
  );
  await em.execute(
    `create temp table bulk_brand on commit drop as
     with b as (
       select b.id, b.name, coalesce(m.departments, array(select slug from category where parent_id is null)) as departments
       from brand b left join jsonb_to_recordset(?::jsonb) as m(slug text, departments text[]) on m.slug = b.slug
     )
     select d.dept, (row_number() over (partition by d.dept order by b.id) - 1)::int as i, b.id, b.name
     from b cross join lateral unnest(b.departments) as d(dept)`,
    [JSON.stringify(DEMO_BRANDS.map(([, slug, departments]) => ({ slug, departments })))],
  );
  await em.execute(
    `create temp table bulk_leaf on commit drop as
     with l as (
       select c.id, c.path, coalesce(r.slug, c.slug) as dept,
         coalesce(nullif(regexp_replace(c.name, '[^一-鿿]+', '', 'g'), ''), c.name) as zh,
         coalesce(nullif(btrim(regexp_replace(c.name, '[一-鿿]+', '', 'g')), ''), c.name) as en,
         (select coalesce(jsonb_agg(jsonb_build_object('name', a.name, 'value', a.value) order by a.name), '[]') from (
            select distinct on (lower(attr->>'name')) attr->>'name' as name,
              case attr->>'type'
                when 'ENUM' then coalesce((select v from jsonb_array_elements_text(attr->'allowedValues') v where strpos(lower(c.name), lower(v)) > 0 limit 1),
                  attr->'allowedValues'->>0)
                when 'NUMBER' then '1'
                else '標準 Standard'
              end as value
            from category anc, jsonb_array_elements(anc.attributes) attr
            where anc.id = any(string_to_array(trim(both '/' from c.path), '/')::bigint[]) and (attr->>'required')::boolean
            order by lower(attr->>'name'), anc.depth desc) a) as attributes
       from category c left join category r on r.id = split_part(c.path, '/', 2)::bigint
       where not exists (select 1 from category child where child.parent_id = c.id)
     ),
     d as (
       select l.*, case when exists (select 1 from bulk_shop s where s.dept = l.dept) then l.dept else '*' end as shop_dept from l
     )
     select (row_number() over (order by d.id) - 1)::int as i, d.*,
       (select count(*) from bulk_shop s where s.dept = d.shop_dept)::int as shops,
       (select count(*) from bulk_brand b where b.dept = d.dept)::int as brands
     from d`,
  );
  const { adjectives, features, models } = BULK_WORDS;
  await em.execute(
    `create temp table bulk_product on commit drop as
     select nextval(pg_get_serial_sequence('product', 'id')) as id, d.* from (
       select r.shop_id, r.owner_id, r.category_id, r.category_path, r.attributes, r.brand_id,
         case r.pattern
           when 0 then concat_ws(' ', r.brand, r.adj_zh || r.leaf_zh, r.feat_zh)
           when 1 then concat_ws(' ', r.brand, r.adj_en, r.leaf_en, r.model, r.adj_zh || r.leaf_zh)
           else concat_ws(' ', '【' || r.feat_zh || '】' || r.adj_zh || r.leaf_zh, r.feat2_zh)
         end as title,
         format('%s%s，%s，%s。精選優質材料，做工細緻，七天無理由退換。%s %s: %s, %s. Ships within 48 hours from %s.',
           r.adj_zh, r.leaf_zh, r.feat_zh, r.feat2_zh, r.adj_en, lower(r.leaf_en), r.feat_en, lower(r.feat2_en), r.shop_name) as description,
         array[left(lower(r.leaf_zh), 30), r.feat_zh, lower(r.adj_en)] as tags,
         r.yuan * 100 - case when r.yuan < 100 then 10 else 0 end as base_price,
         round(r.yuan * 0.1)::bigint * 100 as price_step,
         r.compare_ratio, r.colour_offset, r.sales_count,
         r.listed_at - r.lead as created_at, r.listed_at - r.lead * 0.4 as submitted_at, r.listed_at
       from (
         select l.id as category_id, l.path as category_path, l.zh as leaf_zh, l.en as leaf_en, l.attributes,
           s.id as shop_id, s.owner_id, s.name as shop_name, b.id as brand_id, b.name as brand,
           ${hash('g', 1)} % 3 as pattern,
           w.adj_zh[ix.a] as adj_zh, w.adj_en[ix.a] as adj_en,
           w.feat_zh[ix.f] as feat_zh, w.feat_en[ix.f] as feat_en,
           w.feat_zh[ix.f2] as feat2_zh, w.feat_en[ix.f2] as feat2_en,
           w.models[1 + ${hash('g', 5)} % cardinality(w.models)] || (100 + ${hash('g', 6)} % 900) as model,
           floor(exp(ln(9) + ${unit('g', 7)} * ln(1111)))::bigint as yuan,
           case when ${hash('g', 8)} % 100 < 30 then 1.15 + (${hash('g', 9)} % 35) / 100.0 end as compare_ratio,
           (${hash('g', 10)} % 8)::int as colour_offset,
           floor(power(${unit('g', 11)}, 4) * 50000)::int as sales_count,
           now() - make_interval(secs => ${unit('g', 12)} * 31536000) as listed_at,
           make_interval(secs => 86400 + ${unit('g', 13)} * 432000) as lead
         from generate_series(?::bigint, ?::bigint) as g
         cross join (select array[?]::text[] as adj_zh, array[?]::text[] as adj_en, array[?]::text[] as feat_zh, array[?]::text[] as feat_en,
           array[?]::text[] as models) w
         cross join lateral (select
           1 + ${hash('g', 2)} % cardinality(w.adj_zh) as a,
           1 + ${hash('g', 3)} % cardinality(w.feat_zh) as f,
           1 + (${hash('g', 3)} % cardinality(w.feat_zh) + 1 + ${hash('g', 4)} % (cardinality(w.feat_zh) - 1)) % cardinality(w.feat_zh) as f2) ix
         join bulk_leaf l on l.i = ${hash('g', 14)} % (select count(*) from bulk_leaf)
         join bulk_shop s on s.dept = l.shop_dept and s.i = floor(power(${unit('g', 15)}, 1.5) * l.shops)::int
         left join bulk_brand b on ${hash('g', 16)} % 100 < 75 and b.dept = l.dept and b.i = ${hash('g', 17)} % greatest(l.brands, 1)
       ) r
     ) d`,
    [
      keys.from, keys.from + keys.count - 1,
      adjectives.map((a) => a[0]), adjectives.map((a) => a[1]), features.map((f) => f[0]), features.map((f) => f[1]), models,
    ],
  );
  await em.execute('analyze bulk_product');
  const [range] = await em.execute<{ lo: string; hi: string; n: number }[]>('select min(id) as lo, max(id) as hi, count(*)::int as n from bulk_product');
  if (range.n !== keys.count) throw new Error(`bulk seed generated ${range.n} products instead of ${keys.count}`);
  return range;
}

async function insertBulkProducts(em: EntityManager): Promise<number> {
  const [{ n }] = await em.execute<{ n: number }[]>(
    `with ins as (
       insert into product (id, shop_id, category_id, category_path, brand_id, title, description, tags, image_urls, attributes, status, listed,
         listed_at, submitted_at, sales_count, created_at, updated_at)
       select id, shop_id, category_id, category_path, brand_id, title, description, tags,
         jsonb_build_array('https://img.demo.test/bulk/' || id || '-1.jpg', 'https://img.demo.test/bulk/' || id || '-2.jpg'),
         attributes, 'ACTIVE', true, listed_at, submitted_at, sales_count, created_at, listed_at
       from bulk_product order by id
       returning 1
     )
     select count(*)::int as n from ins`,
  );
  return n;
}

/** `perProduct` variants each (distinct colour and edition), and an INITIAL movement for each one in stock. */
async function insertBulkVariants(em: EntityManager, perProduct: number): Promise<{ variants: number; movements: number }> {
  const { colours, specs } = BULK_WORDS;
  const [counts] = await em.execute<{ variants: number; movements: number }[]>(
    `with v as (
       insert into product_variant (product_id, shop_id, sku, title, options, price, compare_at_price, on_hand, low_stock_threshold, position, created_at, updated_at)
       select p.id, p.shop_id, 'BULK-' || p.id || '-' || k, o.colour || ' / ' || o.spec,
         jsonb_build_array(jsonb_build_object('name', '顏色', 'value', o.colour), jsonb_build_object('name', '規格', 'value', o.spec)),
         p.base_price + (k - 1) * p.price_step,
         case when p.compare_ratio is not null then round((p.base_price + (k - 1) * p.price_step) * p.compare_ratio / 100)::bigint * 100 end,
         case when ${hash('p.id * 64 + k', 18)} % 100 < 8 then 0 else 1 + ${hash('p.id * 64 + k', 19)} % 300 end,
         5, k - 1, p.created_at, p.created_at
       from bulk_product p
       cross join generate_series(1, ?) k
       cross join (select array[?]::text[] as colours, array[?]::text[] as specs) w
       cross join lateral (select w.colours[1 + (p.colour_offset + k - 1) % cardinality(w.colours)] as colour,
         w.specs[1 + ((k - 1) / cardinality(w.colours)) % cardinality(w.specs)] as spec) o
       returning id, shop_id, on_hand, created_at
     ),
     m as (
       insert into stock_movement (shop_id, variant_id, delta_on_hand, delta_reserved, reason, actor_id, created_at)
       select v.shop_id, v.id, v.on_hand, 0, 'INITIAL', s.owner_id, v.created_at from v join bulk_shop s on s.id = v.shop_id and s.dept = '*' where v.on_hand > 0
       returning 1
     )
     select (select count(*) from v)::int as variants, (select count(*) from m)::int as movements`,
    [perProduct, colours.map((c) => c[0]), specs],
  );
  return counts;
}

/** CREATE and SUBMIT by the shop's owner, APPROVE by the first reviewer. */
async function insertBulkHistory(em: EntityManager): Promise<number> {
  const [{ n }] = await em.execute<{ n: number }[]>(
    `with h as (
       insert into product_status_change (product_id, action, from_status, to_status, by_staff, actor_id, at)
       select p.id, s.action, s.from_status, s.to_status, s.by_staff,
         case when s.by_staff then (select id from users where 'REVIEWER' = any(staff_roles) order by id limit 1) else p.owner_id end,
         case s.action when 'CREATE' then p.created_at when 'SUBMIT' then p.submitted_at else p.listed_at end
       from bulk_product p
       cross join (values ('${ProductAction.CREATE}', null, '${ProductStatus.DRAFT}', false),
         ('${ProductAction.SUBMIT}', '${ProductStatus.DRAFT}', '${ProductStatus.PENDING_REVIEW}', false),
         ('${ProductAction.APPROVE}', '${ProductStatus.PENDING_REVIEW}', '${ProductStatus.ACTIVE}', true)) as s(action, from_status, to_status, by_staff)
       returning 1
     )
     select count(*)::int as n from h`,
  );
  return n;
}

type Timed = <T>(step: string, fn: () => Promise<T>) => Promise<T>;

/** One part of a bulk run, in its own transaction: its products are committed already searchable. */
async function seedBulkPart(em: EntityManager, keys: { from: number; count: number }, variantsPerProduct: number, timed: Timed) {
  return em.transactional(async (tx) => {
    // These statements are expensive enough for the planner to JIT-compile them, which costs more
    // than it saves when most of the time goes into catalog_document().
    await tx.execute('set local jit = off');
    const { lo, hi } = await timed('generate', () => prepareBulkProducts(tx, keys));
    const products = await timed('products', () => insertBulkProducts(tx));
    const { variants, movements } = await timed('variants and stock movements', () => insertBulkVariants(tx, variantsPerProduct));
    const statusChanges = await timed('status history', () => insertBulkHistory(tx));
    await timed('search columns (REFRESH_PRODUCTS_SQL)', async () => {
      // Parts draw ids from the sequence side by side, so a range also holds another part's ids:
      // leave those to their part (once committed they would be visible here).
      for (let from = BigInt(lo); from <= BigInt(hi); from += BigInt(REFRESH_BATCH)) {
        await tx.execute(`${REFRESH_PRODUCTS_SQL} p.id between ? and ? and p.id in (select id from bulk_product)`, [String(from), String(from + BigInt(REFRESH_BATCH - 1))]);
      }
    });
    return { products, variants, stockMovements: movements, statusChanges };
  });
}

/**
 * Adds `products` generated products (ACTIVE and listed, `variantsPerProduct` variants each, an
 * INITIAL stock movement per variant in stock, CREATE/SUBMIT/APPROVE history) spread over the leaf
 * categories, the brands and at least 50 ACTIVE shops, first creating ~200 categories and the
 * shops when fewer exist. Titles, descriptions and tags are assembled in SQL from Chinese and
 * English word lists. Set-based throughout; the search columns come from REFRESH_PRODUCTS_SQL in
 * id-range batches. Nearly all the time is CPU in the database (catalog_document()), and one
 * transaction uses one core, so the products are made in `parallel` parts, each its own
 * transaction on its own connection; a part commits only once its products are searchable.
 * Manages its own transactions and ends with VACUUM ANALYZE, so call it outside a transaction.
 */
export async function seedBulkCatalog(em: EntityManager, opts: BulkCatalogOptions): Promise<BulkCatalogResult> {
  const { products: n, variantsPerProduct = 3, parallel = 2 } = opts;
  if (!Number.isInteger(n) || n < 1 || n > MAX_BULK_PRODUCTS) throw new RangeError(`products must be an integer from 1 to ${MAX_BULK_PRODUCTS}`);
  if (!Number.isInteger(variantsPerProduct) || variantsPerProduct < 1 || variantsPerProduct > 20) throw new RangeError('variantsPerProduct must be an integer from 1 to 20');
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 8) throw new RangeError('parallel must be an integer from 1 to 8');
  const started = performance.now();
  const spent = new Map<string, number>();
  const timed: Timed = async (step, fn) => {
    const t0 = performance.now();
    const result = await fn();
    // Parallel parts run the same steps side by side: keep the slowest.
    spent.set(step, Math.max(spent.get(step) ?? 0, performance.now() - t0));
    return result;
  };

  const setup = await em.transactional(async (tx) => {
    const categoriesCreated = await timed('categories', () => ensureBulkCategories(tx));
    await timed('brands', () => seedBrands(tx));
    const shopsCreated = await timed('shops', () => ensureBulkShops(tx, opts.ownerPassword ?? randomUUID()));
    // Row keys continue from the highest product id, so a second run generates different products.
    const [{ offset }] = await tx.execute<{ offset: string }[]>('select coalesce(max(id), 0)::int8 as offset from product');
    return { categoriesCreated, shopsCreated, offset: Number(offset) };
  });
  const size = Math.ceil(n / Math.min(parallel, n));
  const parts = Math.ceil(n / size);
  const done = await Promise.all(
    Array.from({ length: parts }, (_, k) => {
      const from = k * size;
      return seedBulkPart(em.fork(), { from: setup.offset + from + 1, count: Math.min(size, n - from) }, variantsPerProduct, timed);
    }),
  );
  // VACUUM as well as ANALYZE: the refresh leaves a dead version of every new product row behind,
  // and a benchmark started right after seeding should not race autovacuum for them.
  await timed('vacuum analyze', () => em.execute('vacuum (analyze) product, product_variant, stock_movement, product_status_change, category, brand, shop'));
  const sum = (key: 'products' | 'variants' | 'stockMovements' | 'statusChanges') => done.reduce((acc, part) => acc + part[key], 0);
  return {
    products: sum('products'),
    variants: sum('variants'),
    stockMovements: sum('stockMovements'),
    statusChanges: sum('statusChanges'),
    categoriesCreated: setup.categoriesCreated,
    shopsCreated: setup.shopsCreated,
    parts,
    timings: [...spent].map(([step, ms]) => ({ step, ms: Math.round(ms) })),
    ms: Math.round(performance.now() - started),
  };
}
