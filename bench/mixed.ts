/**
 * The `mixed` scenario: realistic traffic on one server. Of every 400 requests a connection sends,
 * 320 (80%) are reads by signed-in shoppers (the cart and checkout shoppers' tokens), spread over
 * 200 distinct reads; 60 (15%) are the same kind of reads anonymous; 20 (5%) are writes by the
 * merchant of MERCHANT_SHOP: price changes through updateProduct (the full variant list with one
 * variant's price moved by a cent: a variant change applies at once on a product on sale, unlike
 * listing content, which waits for review), stock changes through adjustStock (+1 and −1 in turn, so
 * stock stays where it was), and new DRAFT products through createProduct (a fresh SKU and title per
 * request, made by autocannon's setupRequest).
 *
 * The 200 reads: searches for words of real product titles of the bench catalog (Chinese runs and
 * English words, taken in SQL and each checked to match), filter combinations (categories, brands,
 * price ranges, in stock, the five sorts), some of them page 2 by the cursor page 1 answered, and
 * product details. autocannon sends the same list on every connection in turn; each connection
 * starts at its own offset of the shuffled list (chosen again each time it wraps), so the classes
 * interleave in the proportions above at any moment.
 */
import type autocannon from 'autocannon';
import { toGlobalId } from '../src/schema/shared/globalId';
import { gqlBody, gqlOk } from './client';
import type { BenchDatabase } from './database';
import { type Fixtures, MERCHANT_SHOP } from './fixtures';
import type { ClassResult } from './load';
import { ADJUST_STOCK, CREATE_PRODUCT, PRODUCT, PRODUCTS, UPDATE_PRODUCT } from './operations';
import { mulberry32 } from '../src/services/shared/random';

/** Requests of one pass over the list, per connection. */
export const MIXED_LIST = 400;
/** Distinct reads the browsing classes draw from. */
export const MIXED_READS = 200;
/** The classes and their requests per MIXED_LIST. */
export const MIXED_CLASSES = {
  'signed-in read': 320,
  'anonymous read': 60,
  'merchant price change': 7,
  'merchant stock change': 7,
  'merchant new product': 6,
} as const;
export type MixedClass = keyof typeof MIXED_CLASSES;
const SORTS = ['NEWEST', 'PRICE_ASC', 'PRICE_DESC', 'BEST_SELLING', 'TOP_RATED'] as const;
/** Price ranges of the filters, in yuan (min, max; null for none). */
const PRICE_RANGES: [string | null, string | null][] = [
  [null, '50.00'],
  ['50.00', '200.00'],
  ['200.00', '1000.00'],
  ['1000.00', null],
];

export interface MixedDetail {
  /** The distinct reads, by kind. */
  reads: { distinct: number; searches: number; filtered: number; secondPages: number; details: number };
  /** Search terms taken from product titles (each matched products), a few of each language. */
  terms: { zh: string[]; en: string[]; zhCount: number; enCount: number };
  /** What the writes touch. */
  writes: { priceProducts: number; stockVariants: number; draftsCreated: number };
  /** Shoppers whose tokens the signed-in reads carry. */
  shoppers: number;
  /** Per class: its answers and their share of all, req/s, latencies, cache hits and compiled answers. */
  classes: Record<string, ClassResult & { share: number; rps: number }>;
  problems: string[];
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

const yuan = (cents: number) => (cents / 100).toFixed(2);

interface Item {
  cls: MixedClass;
  token?: string;
  body?: string;
  /** A body made when the request is sent (writes: a fresh SKU, the next price). */
  make?: () => string;
}

interface MerchantVariant {
  id: string;
  product_id: string;
  sku: string;
  title: string;
  options: { name: string; value: string }[];
  price: string;
  compare_at_price: string | null;
}

export interface MixedLoad {
  requests: autocannon.Request[];
  classify: (context: Record<string, unknown>) => string | undefined;
  /** Marks the drafts this run creates (their SKUs start MIXED-<stamp>-). */
  stamp: string;
  detail: Omit<MixedDetail, 'classes' | 'problems' | 'writes'> & { writes: Omit<MixedDetail['writes'], 'draftsCreated'> };
}

/** Words of real product titles that the catalog search matches: Chinese runs of 2–6 characters, English words of 4+ letters. */
async function titleTerms(db: BenchDatabase, pattern: string, lower: boolean, minLength: number, maxLength: number, limit: number): Promise<string[]> {
  const rows = await db.sql<{ w: string }>(
    `select w from (
       select w, count(*) as n from (select regexp_split_to_table(${lower ? 'lower(title)' : 'title'}, ?) as w from product where visible) t
       where char_length(w) between ? and ? group by w
     ) words
     where exists (select 1 from product p where p.visible and p.search_vector @@ catalog_query(w))
     order by hashtext(w), w limit ?`,
    [pattern, minLength, maxLength, limit],
  );
  return rows.map((r) => r.w);
}

/** The request list of the mixed scenario (see the file's comment), built from the bench catalog and the fixtures. */
export async function prepareMixed(base: string, db: BenchDatabase, fx: Fixtures, log: (m: string) => void): Promise<MixedLoad> {
  const random = mulberry32(23);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];

  const zh = await titleTerms(db, '[^一-鿿]+', false, 2, 6, 40);
  const en = await titleTerms(db, '[^a-z]+', true, 4, 20, 40);
  const categories = await db.sql<{ id: string }>(
    `select c.id from category c join product p on p.visible and p.category_path like c.path || '%'
     group by c.id having count(p.id) >= 21 order by hashtext(c.id::text), c.id limit 12`,
  );
  const brands = await db.sql<{ id: string }>(
    `select b.id from brand b join product p on p.visible and p.brand_id = b.id
     group by b.id having count(p.id) >= 3 order by hashtext(b.id::text), b.id limit 12`,
  );
  if (!categories.length) throw new Error('mixed: no category holds 21 products on sale');

  // The 200 distinct reads: 60 searches, 80 filter combinations, 20 second pages, 40 product details.
  const reads = new Set<string>();
  const add = (body: string) => reads.add(body);
  const terms = [...zh.slice(0, 30), ...en.slice(0, 30)];
  for (let i = 0; reads.size < 60 && i < 600 && terms.length; i++) {
    const search = terms[i % terms.length];
    const sort = i < terms.length ? undefined : pick(['RELEVANCE', 'NEWEST', 'PRICE_ASC', 'BEST_SELLING']);
    add(gqlBody(PRODUCTS, { first: 20, filter: { search, ...(random() < 0.2 ? { inStock: true } : {}) }, ...(sort ? { sort } : {}) }));
  }
  const searches = reads.size;
  const combo = () => {
    const filter: Record<string, unknown> = { categoryId: toGlobalId('Category', pick(categories).id) };
    if (brands.length && random() < 0.3) filter.brandIds = [...new Set([pick(brands).id, ...(random() < 0.4 ? [pick(brands).id] : [])])].map((id) => toGlobalId('Brand', id));
    if (random() < 0.4) {
      const [priceMin, priceMax] = pick(PRICE_RANGES);
      if (priceMin) filter.priceMin = priceMin;
      if (priceMax) filter.priceMax = priceMax;
    }
    if (random() < 0.3) filter.inStock = true;
    return { filter, sort: pick(SORTS) };
  };
  for (let i = 0; reads.size < searches + 80 && i < 2000; i++) add(gqlBody(PRODUCTS, { first: 20, ...combo() }));
  const filtered = reads.size - searches;
  // Page 2 of category listings, by the cursor page 1 answers (asked once here, anonymous).
  for (let i = 0; reads.size < searches + filtered + 20 && i < 200; i++) {
    const variables = { first: 20, filter: { categoryId: toGlobalId('Category', pick(categories).id), ...(random() < 0.3 ? { inStock: true } : {}) }, sort: pick(SORTS) };
    const page1 = await gqlOk<{ products: { pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(base, PRODUCTS, variables);
    if (page1.products.pageInfo.hasNextPage) add(gqlBody(PRODUCTS, { ...variables, after: page1.products.pageInfo.endCursor }));
  }
  const secondPages = reads.size - searches - filtered;
  for (const id of shuffle([...fx.productIds], random)) {
    if (reads.size >= MIXED_READS) break;
    add(gqlBody(PRODUCT, { id }));
  }
  const details = reads.size - searches - filtered - secondPages;
  const readBodies = shuffle([...reads], random);

  // The merchant's writes: products on sale of its shop (not the checkout loop's variants), their live variants.
  const reserved = [fx.limited.variantKey, fx.warmup.variantKey];
  const variants = await db.sql<MerchantVariant>(
    `select v.id::text, v.product_id::text, v.sku, v.title, v.options, v.price::text, v.compare_at_price::text
     from product_variant v join product p on p.id = v.product_id join shop s on s.id = p.shop_id
     where s.slug = ? and p.visible and p.status = 'ACTIVE' and not v.archived
       and p.id in (
         select p2.id from product p2 join shop s2 on s2.id = p2.shop_id
         where s2.slug = ? and p2.visible and p2.status = 'ACTIVE'
           and not exists (select 1 from product_variant r where r.product_id = p2.id and r.id::text in (?))
         order by p2.id limit 20)
     order by v.product_id, v.position, v.id`,
    [MERCHANT_SHOP, MERCHANT_SHOP, reserved],
  );
  const products = [...new Set(variants.map((v) => v.product_id))]
    .map((id) => variants.filter((v) => v.product_id === id))
    .filter((vs) => Number(vs[0].price) > 1);
  if (!products.length) throw new Error(`mixed: ${MERCHANT_SHOP} has no product on sale for the price changes`);
  const stockVariants = await db.sql<{ id: string }>(
    `select v.id::text from product_variant v join product p on p.id = v.product_id join shop s on s.id = p.shop_id
     where s.slug = ? and not v.archived and v.on_hand - v.reserved >= 50 and v.id::text not in (?)
     order by v.id limit 20`,
    [MERCHANT_SHOP, reserved],
  );
  if (!stockVariants.length) throw new Error(`mixed: ${MERCHANT_SHOP} has no variant with 50 units available for the stock changes`);
  const [shop] = await db.sql<{ id: string; category_id: string }>(
    `select s.id::text, (select p.category_id::text from product p where p.shop_id = s.id and p.visible order by p.id limit 1) as category_id from shop s where s.slug = ?`,
    [MERCHANT_SHOP],
  );

  const stamp = Date.now().toString(36);
  let priceChanges = 0;
  let stockChanges = 0;
  let created = 0;
  const priceChange = () => {
    const n = priceChanges++;
    const vs = products[n % products.length];
    // The product's n-th change: its first variant a cent cheaper, then back (never above its compare-at price).
    const down = Math.floor(n / products.length) % 2 === 0;
    return gqlBody(UPDATE_PRODUCT, {
      input: {
        id: toGlobalId('Product', vs[0].product_id),
        variants: vs.map((v, i) => ({
          id: toGlobalId('ProductVariant', v.id),
          sku: v.sku,
          title: v.title,
          options: v.options,
          price: yuan(Number(v.price) - (i === 0 && down ? 1 : 0)),
          ...(v.compare_at_price != null ? { compareAtPrice: yuan(Number(v.compare_at_price)) } : {}),
        })),
      },
    });
  };
  const stockChange = () => {
    const n = stockChanges++;
    const v = stockVariants[n % stockVariants.length];
    const up = Math.floor(n / stockVariants.length) % 2 === 0;
    return gqlBody(ADJUST_STOCK, { input: { variantId: toGlobalId('ProductVariant', v.id), delta: up ? 1 : -1, reason: up ? 'RESTOCK' : 'DAMAGE', note: 'bench mixed' } });
  };
  const newProduct = () => {
    const n = ++created;
    return gqlBody(CREATE_PRODUCT, {
      input: {
        shopId: toGlobalId('Shop', shop.id),
        categoryId: toGlobalId('Category', shop.category_id),
        title: `Bench draft 測試商品 ${stamp}-${n}`,
        description: 'A draft product the benchmark creates while shoppers browse.',
        variants: [{ sku: `MIXED-${stamp}-${n}`, title: '標準版', price: '99.00', stockOnHand: 10, options: [{ name: '規格', value: '標準版' }] }],
      },
    });
  };

  const shoppers = [...fx.cartShoppers, ...fx.checkoutShoppers];
  const items: Item[] = [];
  let r = 0;
  for (let k = 0; k < MIXED_CLASSES['signed-in read']; k++) items.push({ cls: 'signed-in read', token: shoppers[k % shoppers.length].token, body: readBodies[r++ % readBodies.length] });
  for (let k = 0; k < MIXED_CLASSES['anonymous read']; k++) items.push({ cls: 'anonymous read', body: readBodies[r++ % readBodies.length] });
  for (let k = 0; k < MIXED_CLASSES['merchant price change']; k++) items.push({ cls: 'merchant price change', token: fx.merchant.token, make: priceChange });
  for (let k = 0; k < MIXED_CLASSES['merchant stock change']; k++) items.push({ cls: 'merchant stock change', token: fx.merchant.token, make: stockChange });
  for (let k = 0; k < MIXED_CLASSES['merchant new product']; k++) items.push({ cls: 'merchant new product', token: fx.merchant.token, make: newProduct });
  const list = shuffle(items, random);

  // Each pass of a connection over the list starts at an offset of its own (151 is prime to 400).
  let passes = 0;
  type Context = { offset?: number; cls?: MixedClass };
  const requests: autocannon.Request[] = list.map((_, i) => ({
    method: 'POST',
    path: '/graphql',
    setupRequest: (request: autocannon.Request, context: object) => {
      const c = context as Context;
      if (i === 0 || c.offset === undefined) c.offset = (passes++ * 151) % list.length;
      const item = list[(i + c.offset) % list.length];
      c.cls = item.cls;
      return {
        ...request,
        headers: { 'content-type': 'application/json', ...(item.token ? { authorization: `Bearer ${item.token}` } : {}) },
        body: item.body ?? item.make!(),
      };
    },
  }));
  log(
    `  mixed: ${readBodies.length} distinct reads (${searches} searches over ${zh.length} Chinese and ${en.length} English title words, ${filtered} filter combinations, ${secondPages} second pages, ${details} details); ` +
      `writes on ${products.length} products and ${stockVariants.length} variants of ${MERCHANT_SHOP}; ${shoppers.length} signed-in shoppers`,
  );
  return {
    requests,
    classify: (context) => (context as Context).cls,
    stamp,
    detail: {
      reads: { distinct: readBodies.length, searches, filtered, secondPages, details },
      terms: { zh: zh.slice(0, 8), en: en.slice(0, 8), zhCount: Math.min(zh.length, 30), enCount: Math.min(en.length, 30) },
      writes: { priceProducts: products.length, stockVariants: stockVariants.length },
      shoppers: shoppers.length,
    },
  };
}

/** The drafts the run created (all of warm-up and measured load). */
export async function draftsCreated(db: BenchDatabase, stamp: string): Promise<number> {
  const [{ n }] = await db.sql<{ n: number }>("select count(*)::int as n from product_variant where sku like ?", [`MIXED-${stamp}-%`]);
  return n;
}

/** Each class's figures: share of all answers and req/s over the measured seconds. */
export function mixedClasses(classes: Record<string, ClassResult> | undefined, seconds: number): MixedDetail['classes'] {
  const all = Object.values(classes ?? {}).reduce((n, c) => n + c.requests, 0);
  const out: MixedDetail['classes'] = {};
  for (const name of Object.keys(MIXED_CLASSES)) {
    const c = classes?.[name];
    if (!c) continue;
    out[name] = { ...c, share: Math.round((c.requests / Math.max(all, 1)) * 1000) / 1000, rps: Math.round((c.requests / Math.max(seconds, 0.001)) * 10) / 10 };
  }
  return out;
}
