import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type CategoryAttribute, ProductAction, ProductStatus } from '../entities';
import { REFRESH_PRODUCTS_SQL, refreshProducts } from '../services/catalog';
import { hashPassword } from '../services/identity';
import {
  BAN_REASON,
  BANNED_TEMPLATE,
  BASE_SHOP_SELLS,
  BULK_LINES,
  BULK_TYPES,
  BULK_WORDS,
  CATEGORY_TREE,
  type CategoryNode,
  DEMO_BRANDS,
  DEMO_SHOPS,
  OPTION_AXES,
  PRODUCT_TEMPLATES,
  type ProductTemplate,
  REJECT_REASONS,
} from './catalogData';

/**
 * Catalog seeding: the demo catalog (brands, a category tree, thirty shops and a few hundred
 * products in every life-cycle state) and the bulk generator for benchmarks. Everything is written
 * with set-based SQL — a statement per table, never a flush per product — and every product
 * inserted goes through REFRESH_PRODUCTS_SQL, the one definition of the derived search columns.
 * Both are safe to run again: the demo adds only what is missing, the bulk mode adds N more.
 */

const DAY = 86_400_000;

/** A small deterministic generator (mulberry32), so the demo catalog is the same on every machine. */
function randomFrom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// ---------------------------------------------------------------------------------------------
// Categories

interface CategoryRow {
  slug: string;
  name: string;
  parent: string | null;
  rate: string | null;
  attributes: CategoryAttribute[];
  position: number;
}

/** Inserts the categories of each level that do not exist yet (parents come in an earlier level). */
async function insertCategories(em: EntityManager, levels: CategoryRow[][]): Promise<number> {
  let created = 0;
  for (const level of levels) {
    if (!level.length) continue;
    // nextval() in a materialized CTE: the id is drawn once and used for both `id` and `path`.
    const rows = await em.execute<{ id: string }[]>(
      `with n as materialized (
         select nextval(pg_get_serial_sequence('category', 'id')) as id, x.*
         from jsonb_to_recordset(?::jsonb) as x(slug text, name text, parent text, rate numeric, attributes jsonb, position int)
         where not exists (select 1 from category c where c.slug = x.slug)
       )
       insert into category (id, name, slug, parent_id, path, depth, own_commission_rate, attributes, position)
       select n.id, n.name, n.slug, p.id, coalesce(p.path, '/') || n.id || '/', coalesce(p.depth + 1, 0), n.rate, n.attributes, n.position
       from n left join category p on p.slug = n.parent
       where n.parent is null or p.id is not null
       on conflict do nothing
       returning id`,
      [JSON.stringify(level)],
    );
    created += rows.length;
  }
  return created;
}

function treeLevels(nodes: CategoryNode[]): CategoryRow[][] {
  const levels: CategoryRow[][] = [];
  const walk = (children: CategoryNode[], parent: string | null, depth: number) => {
    children.forEach((node, position) => {
      (levels[depth] ??= []).push({ slug: node.slug, name: node.name, parent, rate: node.rate ?? null, attributes: node.attributes ?? [], position });
      walk(node.children ?? [], node.slug, depth + 1);
    });
  };
  walk(nodes, null, 0);
  return levels;
}

/** The demo category tree; existing categories (by slug) are kept as they are. Returns how many were created. */
export function seedCategoryTree(em: EntityManager): Promise<number> {
  return insertCategories(em, treeLevels(CATEGORY_TREE));
}

/** Category slug → its slug and its ancestors' slugs. */
const ANCESTORS: Map<string, string[]> = (() => {
  const map = new Map<string, string[]>();
  const walk = (nodes: CategoryNode[], above: string[]) => {
    for (const node of nodes) {
      map.set(node.slug, [...above, node.slug]);
      walk(node.children ?? [], [...above, node.slug]);
    }
  };
  walk(CATEGORY_TREE, []);
  return map;
})();

// ---------------------------------------------------------------------------------------------
// Brands, users and shops

/** The demo brands; a brand whose name or slug is taken already is left alone. */
async function seedBrands(em: EntityManager): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    `insert into brand (name, slug, logo_url)
     select x.name, x.slug, 'https://img.demo.test/brands/' || x.slug || '.png'
     from jsonb_to_recordset(?::jsonb) as x(name text, slug text)
     on conflict do nothing
     returning id`,
    [JSON.stringify(DEMO_BRANDS.map(([name, slug]) => ({ name, slug })))],
  );
  return rows.length;
}

/** A unified social credit code with a valid check character, derived from `n`. */
function uscc(n: number): string {
  const charset = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const body = `913301${String(n).padStart(11, '0')}`;
  const sum = [...body].reduce((acc, ch, i) => acc + charset.indexOf(ch) * weights[i], 0);
  return body + charset[(31 - (sum % 31)) % 31];
}

interface ShopRow {
  slug: string;
  name: string;
  email: string;
  owner_name: string;
  description: string;
  phone: string;
  address: string;
  license: string;
  departments: string[];
  activated_at: string;
}

/**
 * ACTIVE shops that do not exist yet, each with its OWNER (a user signing in with `password`), an
 * approved application, the current agreement accepted and every required course passed, as a
 * shop that went through onboarding has. Returns how many shops were created.
 */
async function insertShops(em: EntityManager, rows: ShopRow[], password: string, reviewerId: string | null): Promise<number> {
  const taken = new Set((await em.execute<{ slug: string }[]>('select slug from shop where slug in (?)', [rows.map((r) => r.slug)])).map((r) => r.slug));
  const shops = rows.filter((r) => !taken.has(r.slug));
  if (!shops.length) return 0;
  const passwordHash = await hashPassword(password);
  await em.execute(
    `insert into users (email, display_name, password_hash)
     select x.email, x.owner_name, ? from jsonb_to_recordset(?::jsonb) as x(email text, owner_name text)
     on conflict (email) do nothing`,
    [passwordHash, JSON.stringify(shops)],
  );
  const [{ created }] = await em.execute<{ created: number }[]>(
    `with src as (
       select * from jsonb_to_recordset(?::jsonb) as x(slug text, name text, email text, owner_name text, description text, phone text,
         address text, license text, departments text[], activated_at timestamptz)
     ),
     s as (
       insert into shop (name, slug, status, description, logo_url, phone, address, business_hours, commission_rate, activated_at, created_at, updated_at)
       select x.name, x.slug, 'ACTIVE', x.description, 'https://img.demo.test/shops/' || x.slug || '.png', x.phone, x.address,
         (select jsonb_agg(jsonb_build_object('weekday', d, 'opens', '09:00', 'closes', '21:00')) from generate_series(1, 7) d),
         '0.0500', x.activated_at, x.activated_at - interval '14 days', x.activated_at
       from src x
       on conflict do nothing
       returning id, slug
     ),
     n as (
       select s.id as shop_id, u.id as user_id, x.* from s join src x on x.slug = s.slug join users u on u.email = x.email
     ),
     members as (
       insert into shop_member (shop_id, user_id, role, created_at, updated_at)
       select shop_id, user_id, 'OWNER', activated_at - interval '14 days', activated_at - interval '14 days' from n
     ),
     apps as (
       insert into merchant_application (applicant_id, status, shop_name, legal_name, business_license_number, contact_name, contact_phone,
         contact_email, description, category_ids, reviewer_id, submitted_at, shop_id, created_at, updated_at)
       select n.user_id, 'APPROVED', n.name, n.name || ' Co., Ltd.', n.license, n.owner_name, n.phone, n.email, n.description,
         array(select c.id from category c where c.slug = any(n.departments) order by c.id), ?::bigint,
         n.activated_at - interval '10 days', n.shop_id, n.activated_at - interval '12 days', n.activated_at - interval '7 days'
       from n
       returning id, shop_id, updated_at
     ),
     decisions as (
       insert into application_decision (application_id, decision, reviewer_id, at)
       select id, 'APPROVE', ?::bigint, updated_at from apps
     ),
     agreements as (
       insert into agreement_acceptance (shop_id, accepted_by_id, version, ip, accepted_at)
       select n.shop_id, n.user_id, a.version, '127.0.0.1', n.activated_at - interval '2 days'
       from n cross join (select version from merchant_agreement order by published_at desc, id desc limit 1) a
     ),
     quizzes as (
       insert into quiz_attempt (shop_id, course_id, taken_by_id, score, passed, answers, created_at)
       select n.shop_id, c.id, n.user_id, 100, true, '[]', n.activated_at - interval '1 day'
       from n cross join training_course c where c.required and c.published
     )
     select count(*)::int as created from n`,
    [JSON.stringify(shops), reviewerId, reviewerId],
  );
  return created;
}

function shopRow(slug: string, name: string, owner: string, city: [string, string], departments: string[], index: number, now: number): ShopRow {
  return {
    slug,
    name,
    email: `${slug}@demo.test`,
    owner_name: owner,
    description: `${name}：${city[0]}發貨，正品保障，七天無理由退換。Ships from ${city[1]}; genuine goods and 7-day returns.`,
    phone: `138${String(10_000_000 + index * 7919).slice(-8)}`,
    address: `${city[0]}市 ${index + 1} 號 No. ${index + 1} Market Street, ${city[1]}`,
    license: uscc(1000 + index),
    departments,
    activated_at: new Date(now - (400 + ((index * 37) % 500)) * DAY).toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// The demo catalog

interface StepRow {
  action: ProductAction;
  from_status: ProductStatus | null;
  to_status: ProductStatus;
  reason: string | null;
  by_staff: boolean;
  actor: 'owner' | 'reviewer' | 'risk';
  at: string;
}

interface VariantRow {
  sku: string;
  title: string;
  options: { name: string; value: string }[];
  price: number;
  compare_at_price: number | null;
  on_hand: number;
  low_stock_threshold: number;
  position: number;
}

interface ProductRow {
  shop: string;
  category: string;
  brand: string | null;
  title: string;
  description: string;
  tags: string[];
  images: string[];
  attributes: { name: string; value: string }[];
  status: ProductStatus;
  listed: boolean;
  listed_at: string | null;
  submitted_at: string | null;
  revision_title: string | null;
  sales_count: number;
  created_at: string;
  updated_at: string;
  variants: VariantRow[];
  steps: StepRow[];
}

/** Where a demo product ends up; REVISION is an ACTIVE product whose edit waits for review. */
type Fate = ProductStatus | 'REVISION';

interface Seller {
  slug: string;
  sells: string[];
}

const TITLE_FLAIR = [(t: string) => t, (t: string) => `${t} 官方正品`, (t: string) => `【包郵】${t}`, (t: string) => `${t} 2026新款`];
const FLAIR_TAGS = [[], ['正品'], ['包郵'], ['新款']];

/** Yuan to minor units, with the .90 endings cheap goods have. */
function toFen(yuan: number): number {
  const whole = Math.max(1, Math.round(yuan));
  return whole * 100 - (whole < 100 ? 10 : 0);
}

function skuPrefix(slug: string): string {
  return slug.split('-').map((w) => w[0].toUpperCase()).join('');
}

/** 1–4 variants over the template's option axes, in Chinese or English as the listing is written. */
function variantsOf(tpl: ProductTemplate, rng: () => number, sku: string, english: boolean, priceFactor: number): VariantRow[] {
  const lang = english ? 1 : 0;
  const axes = tpl.axes.map((a) => OPTION_AXES[a]);
  let combos: number[][] = [[]];
  for (const axis of axes) {
    const offset = axis.step ? 0 : Math.floor(rng() * axis.values.length);
    combos = combos.flatMap((c) => axis.values.map((_, i) => [...c, (i + offset) % axis.values.length]));
  }
  const want = axes.length ? 1 + Math.floor(rng() * 4) : 1;
  const chosen = combos
    .map((c) => ({ c, key: rng() }))
    .sort((a, b) => a.key - b.key)
    .slice(0, want)
    .map((x) => x.c)
    .sort((a, b) => a.join().localeCompare(b.join()));
  const compareRatio = rng() < 0.35 ? 1.15 + rng() * 0.35 : null;
  const allGone = rng() < 0.05;
  return chosen.map((combo, position) => {
    const yuan = tpl.price * priceFactor * axes.reduce((f, axis, i) => f * (1 + axis.step * combo[i]), 1);
    const price = toFen(yuan);
    const options = axes.map((axis, i) => ({ name: axis.name[lang], value: axis.values[combo[i]][lang] }));
    return {
      sku: `${sku}-${position + 1}`,
      title: options.length ? options.map((o) => o.value).join(' / ') : english ? 'Standard' : '標準裝',
      options,
      price,
      compare_at_price: compareRatio ? Math.max(price, Math.round((price * compareRatio) / 100) * 100) : null,
      on_hand: allGone || rng() < 0.1 ? 0 : 5 + Math.floor(rng() * 300),
      low_stock_threshold: rng() < 0.5 ? 5 : 10,
      position,
    };
  });
}

/** The life-cycle history of a product that ends up in `fate`, and the columns that follow from it. */
function lifeCycle(fate: Fate, rng: () => number, now: number) {
  const iso = (ms: number) => new Date(ms).toISOString();
  const steps: StepRow[] = [];
  const step = (action: ProductAction, from: ProductStatus | null, to: ProductStatus, actor: StepRow['actor'], at: number, reason: string | null = null) =>
    steps.push({ action, from_status: from, to_status: to, reason, by_staff: actor !== 'owner', actor, at: iso(at) });
  const reviewed = fate !== ProductStatus.DRAFT && fate !== ProductStatus.PENDING_REVIEW;
  const created = now - (reviewed ? 30 + rng() * 370 : 1 + rng() * 20) * DAY;
  const submitted = fate === ProductStatus.PENDING_REVIEW ? created + rng() * (now - created) : created + (2 + rng() * 46) * 3_600_000;
  const decided = submitted + (1 + rng() * 23) * 3_600_000;
  const later = decided + rng() * (now - decided);
  step(ProductAction.CREATE, null, ProductStatus.DRAFT, 'owner', created);
  if (fate !== ProductStatus.DRAFT) step(ProductAction.SUBMIT, ProductStatus.DRAFT, ProductStatus.PENDING_REVIEW, 'owner', submitted);
  if (fate === ProductStatus.REJECTED) step(ProductAction.REJECT, ProductStatus.PENDING_REVIEW, ProductStatus.REJECTED, 'reviewer', decided, REJECT_REASONS[Math.floor(rng() * REJECT_REASONS.length)]);
  const approved = reviewed && fate !== ProductStatus.REJECTED;
  if (approved) step(ProductAction.APPROVE, ProductStatus.PENDING_REVIEW, ProductStatus.ACTIVE, 'reviewer', decided);
  if (fate === ProductStatus.DELISTED) step(ProductAction.DELIST, ProductStatus.ACTIVE, ProductStatus.DELISTED, 'owner', later);
  if (fate === 'REVISION') step(ProductAction.REVISE, ProductStatus.ACTIVE, ProductStatus.PENDING_REVIEW, 'owner', later);
  if (fate === ProductStatus.BANNED) step(ProductAction.BAN, ProductStatus.ACTIVE, ProductStatus.BANNED, 'risk', later, BAN_REASON);
  const listed = fate === ProductStatus.ACTIVE || fate === 'REVISION';
  const sales = listed ? Math.floor(rng() ** 3 * 20_000) : approved ? Math.floor(rng() ** 3 * 2_000) : 0;
  return {
    status: fate === 'REVISION' ? ProductStatus.PENDING_REVIEW : fate,
    listed,
    listed_at: approved ? iso(decided) : null,
    submitted_at: fate === 'REVISION' ? iso(later) : fate === ProductStatus.DRAFT ? null : iso(submitted),
    sales_count: sales,
    created_at: iso(created),
    updated_at: steps[steps.length - 1].at,
    steps,
  };
}

function productRow(shop: string, tpl: ProductTemplate, templateNo: number, flair: number, fate: Fate, rng: () => number, now: number): ProductRow {
  const title = TITLE_FLAIR[flair](tpl.title);
  const english = /^[A-Za-z]/.test(title);
  const sku = `${skuPrefix(shop)}-${String(templateNo).padStart(3, '0')}`;
  const images = Array.from({ length: 1 + Math.floor(rng() * 3) }, (_, i) => `https://img.demo.test/products/${shop}/${sku.toLowerCase()}-${i + 1}.jpg`);
  return {
    shop,
    category: tpl.category,
    brand: tpl.brand,
    title,
    description: tpl.description,
    tags: [...new Set([...tpl.tags, ...FLAIR_TAGS[flair]].map((tag) => tag.toLowerCase()))],
    images,
    attributes: tpl.attributes,
    revision_title: fate === 'REVISION' ? `${tpl.title} 升級版` : null,
    variants: variantsOf(tpl, rng, sku, english, 0.95 + rng() * 0.1),
    ...lifeCycle(fate, rng, now),
  };
}

/** blue-sea-digital, the demo merchant's shop, shows every state in its own product list. */
const BLUE_SEA_FATES: Fate[] = [ProductStatus.ACTIVE, ProductStatus.DRAFT, ProductStatus.PENDING_REVIEW, ProductStatus.REJECTED, ProductStatus.DELISTED, 'REVISION'];

function randomFate(rng: () => number): Fate {
  const r = rng();
  if (r < 0.84) return ProductStatus.ACTIVE;
  if (r < 0.88) return ProductStatus.DRAFT;
  if (r < 0.92) return ProductStatus.PENDING_REVIEW;
  if (r < 0.95) return ProductStatus.REJECTED;
  return ProductStatus.DELISTED;
}

interface Planned {
  shop: string;
  tpl: ProductTemplate;
  templateNo: number;
  flair: number;
  fate: Fate;
}

/** Every demo product: each template sold by two to four of the shops that sell its category (fewer when fewer do). */
export function demoProducts(now = Date.now()): ProductRow[] {
  const rng = randomFrom(20_261_123);
  const sellers: Seller[] = [...Object.entries(BASE_SHOP_SELLS).map(([slug, sells]) => ({ slug, sells })), ...DEMO_SHOPS];
  const plan: Planned[] = [];
  PRODUCT_TEMPLATES.forEach((tpl, i) => {
    const lineage = ANCESTORS.get(tpl.category) ?? [tpl.category];
    const candidates = sellers.filter((s) => s.sells.some((slug) => lineage.includes(slug)));
    const copies = Math.min(candidates.length, 2 + Math.floor(rng() * 3));
    for (let c = 0; c < copies; c++) plan.push({ shop: candidates[(i + c) % candidates.length].slug, tpl, templateNo: i + 1, flair: c, fate: randomFate(rng) });
  });
  plan.filter((p) => p.shop === 'blue-sea-digital').forEach((p, k) => (p.fate = BLUE_SEA_FATES[k] ?? p.fate));
  plan.push({ shop: 'stride-shoes', tpl: BANNED_TEMPLATE, templateNo: 900, flair: 0, fate: ProductStatus.BANNED });
  // Listed products of a SUSPENDED shop (on sale as far as the shop goes, hidden from shoppers) and drafts of an ONBOARDING one.
  PRODUCT_TEMPLATES.filter((tpl) => tpl.category === 'dresses')
    .slice(0, 2)
    .forEach((tpl, k) => plan.push({ shop: 'silk-road-fashion', tpl, templateNo: 800 + k, flair: 0, fate: ProductStatus.ACTIVE }));
  PRODUCT_TEMPLATES.filter((tpl) => ANCESTORS.get(tpl.category)?.includes('frozen-food'))
    .slice(0, 2)
    .forEach((tpl, k) => plan.push({ shop: 'fresh-frozen', tpl, templateNo: 810 + k, flair: 0, fate: ProductStatus.DRAFT }));
  return plan.map((p) => productRow(p.shop, p.tpl, p.templateNo, p.flair, p.fate, rng, now));
}

/**
 * Inserts the products that are not there yet (a product is known by its shop and title) with
 * their variants, initial stock movements and life-cycle history, in one statement, and returns
 * the new product ids.
 */
async function insertProducts(em: EntityManager, rows: ProductRow[], staff: { reviewerId: string | null; riskId: string | null }): Promise<string[]> {
  const inserted = await em.execute<{ id: string }[]>(
    `with src as (
       select * from jsonb_to_recordset(?::jsonb) as x(shop text, category text, brand text, title text, description text, tags text[],
         images jsonb, attributes jsonb, status text, listed boolean, listed_at timestamptz, submitted_at timestamptz, revision_title text,
         sales_count int, created_at timestamptz, updated_at timestamptz, variants jsonb, steps jsonb)
     ),
     candidate as (
       select x.*, s.id as shop_id, c.id as category_id, c.path as category_path, b.id as brand_id
       from src x
       join shop s on s.slug = x.shop
       join category c on c.slug = x.category
       left join brand b on lower(b.name) = lower(x.brand)
       where not exists (select 1 from product p where p.shop_id = s.id and p.title = x.title)
     ),
     ins as (
       insert into product (shop_id, category_id, category_path, brand_id, title, description, tags, image_urls, attributes, status, listed,
         listed_at, submitted_at, pending_revision, sales_count, created_at, updated_at)
       select shop_id, category_id, category_path, brand_id, title, description, tags, images, attributes, status, listed, listed_at, submitted_at,
         case when revision_title is not null then jsonb_build_object('title', revision_title, 'description', description,
           'categoryId', category_id::text, 'brandId', brand_id::text, 'tags', to_jsonb(tags), 'imageUrls', images, 'attributes', attributes) end,
         sales_count, created_at, updated_at
       from candidate
       returning id, shop_id, title
     ),
     created as (select ins.id, k.* from ins join candidate k on k.shop_id = ins.shop_id and k.title = ins.title),
     owner as (select distinct on (shop_id) shop_id, user_id from shop_member where role = 'OWNER' order by shop_id, id),
     variants as (
       insert into product_variant (product_id, shop_id, sku, title, options, price, compare_at_price, on_hand, low_stock_threshold, position, created_at, updated_at)
       select n.id, n.shop_id, v.sku, v.title, v.options, v.price, v.compare_at_price, v.on_hand, v.low_stock_threshold, v.position, n.created_at, n.created_at
       from created n, jsonb_to_recordset(n.variants) as v(sku text, title text, options jsonb, price bigint, compare_at_price bigint, on_hand int,
         low_stock_threshold int, position int)
       returning id, shop_id, on_hand, created_at
     ),
     movements as (
       insert into stock_movement (shop_id, variant_id, delta_on_hand, delta_reserved, reason, actor_id, created_at)
       select v.shop_id, v.id, v.on_hand, 0, 'INITIAL', o.user_id, v.created_at from variants v left join owner o on o.shop_id = v.shop_id where v.on_hand > 0
     ),
     steps as (
       insert into product_status_change (product_id, action, from_status, to_status, reason, by_staff, actor_id, at)
       select n.id, st.action, st.from_status, st.to_status, st.reason, st.by_staff,
         case st.actor when 'owner' then o.user_id when 'reviewer' then ?::bigint else ?::bigint end, st.at
       from created n left join owner o on o.shop_id = n.shop_id,
         jsonb_to_recordset(n.steps) as st(action text, from_status text, to_status text, reason text, by_staff boolean, actor text, at timestamptz)
     )
     select id from ins`,
    [JSON.stringify(rows), staff.reviewerId, staff.riskId],
  );
  return inserted.map((r) => String(r.id));
}

/** What a demo catalog run created. */
export interface DemoCatalogResult {
  brands: number;
  shops: number;
  products: number;
}

/**
 * The demo catalog, adding only what is missing: brands, the category tree, thirty ACTIVE shops
 * (owners sign in as `<shop slug>@demo.test` with `password`) and their products in every state.
 */
export function seedDemoCatalog(em: EntityManager, opts: { password: string; reviewerId: string | null; riskId: string | null }): Promise<DemoCatalogResult> {
  return em.transactional(async (tx) => {
    await seedCategoryTree(tx);
    const brands = await seedBrands(tx);
    const now = Date.now();
    const shops = await insertShops(
      tx,
      DEMO_SHOPS.map((s, i) => shopRow(s.slug, s.name, s.owner, s.city, [...new Set(s.sells.map((slug) => ANCESTORS.get(slug)![0]))], i, now)),
      opts.password,
      opts.reviewerId,
    );
    const ids = await insertProducts(tx, demoProducts(now), opts);
    if (ids.length) await refreshProducts(tx, { productIds: ids });
    return { brands, shops, products: ids.length };
  });
}

// ---------------------------------------------------------------------------------------------
// Bulk mode

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
