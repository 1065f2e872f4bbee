import type { EntityManager } from '@mikro-orm/postgresql';
import { type CategoryAttribute, ProductAction, ProductStatus } from '../entities';
import { refreshProducts } from '../services/catalog';
import { hashPassword } from '../services/identity';
import { mulberry32 } from '../services/shared/random';
import {
  BAN_REASON,
  BANNED_TEMPLATE,
  BASE_SHOP_SELLS,
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
 * The demo catalog: brands, a category tree, thirty shops and a few hundred products in every
 * life-cycle state. Everything is written with set-based SQL — a statement per table, never a
 * flush per product — and every product inserted goes through REFRESH_PRODUCTS_SQL (by
 * refreshProducts), the one definition of the derived search columns. Safe to run again: it adds
 * only what is missing. The bulk generator (bulkCatalog.ts) builds on its writers of categories,
 * brands and shops.
 */

const DAY = 86_400_000;

/** A small deterministic generator (mulberry32), so the demo catalog is the same on every machine. */
const randomFrom = mulberry32;

// ---------------------------------------------------------------------------------------------
// Categories

export interface CategoryRow {
  slug: string;
  name: string;
  parent: string | null;
  rate: string | null;
  attributes: CategoryAttribute[];
  position: number;
}

/** Inserts the categories of each level that do not exist yet (parents come in an earlier level). */
export async function insertCategories(em: EntityManager, levels: CategoryRow[][]): Promise<number> {
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
export async function seedBrands(em: EntityManager): Promise<number> {
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
export async function insertShops(em: EntityManager, rows: ShopRow[], password: string, reviewerId: string | null): Promise<number> {
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

export function shopRow(slug: string, name: string, owner: string, city: [string, string], departments: string[], index: number, now: number): ShopRow {
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
// Products

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
