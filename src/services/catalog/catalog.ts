import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { Brand, Category, Product, ProductStatus, type Shop } from '../../entities';
import { BadInputError, Problems } from '../../errors';
import type { ProductFacets } from '../../schema/catalog/catalog';
import { applyKeyset, type CursorKind, keysetClause, type Page, page, type PageArgs, type PageWindow, pageWindow, type SortKey, type SortValue } from '../../db/keyset';
import { largeCounts } from './counts';
import { toMinor } from '../shared';

/**
 * The shopper catalog: search, filters, sorts and facets over visible products only. Every query
 * is hand-written SQL over indexed columns (see the product entity's indexes); a page is one
 * statement, its total one more, its facets one more.
 */

export type ProductSortKey = 'RELEVANCE' | 'NEWEST' | 'PRICE_ASC' | 'PRICE_DESC' | 'BEST_SELLING' | 'TOP_RATED';

/** Catalog filters; categoryId, brandIds and shopId are database keys. */
export interface ProductFilterInput {
  search?: string | null;
  categoryId?: string | null;
  brandIds?: string[] | null;
  shopId?: string | null;
  priceMin?: string | null;
  priceMax?: string | null;
  inStock?: boolean | null;
  tags?: string[] | null;
}

/** Title matches count most, then tags and brand, then category names, then the description. */
const RANK = "ts_rank('{0.1, 0.2, 0.4, 1.0}', p.search_vector, catalog_query(?))::float8";
/**
 * The same for a prepared statement: its generic plan cannot fold `catalog_query($n)` into a
 * constant and would compute it once per row ranked (3,600 matches: 76 ms instead of 8), so the
 * query is computed once, as a subquery, which the search index takes as its condition too.
 */
const RANK_ONCE = "ts_rank('{0.1, 0.2, 0.4, 1.0}', p.search_vector, (select catalog_query(?)))::float8";
const SEARCHABLE = /[\p{L}\p{N}]/u;

export interface SortSpec {
  keys: SortKey[];
  kinds: CursorKind[];
  keyOf: (p: Product, rank: number) => SortValue[];
}

const SORTS: Record<ProductSortKey, SortSpec> = {
  RELEVANCE: {
    keys: [{ column: 'p.rank', direction: 'desc' }, { column: 'p.id', direction: 'desc' }],
    kinds: ['number', 'id'],
    keyOf: (p, rank) => [rank, p.id],
  },
  NEWEST: {
    keys: [{ column: 'p.listed_at', direction: 'desc' }, { column: 'p.id', direction: 'desc' }],
    kinds: ['timestamp', 'id'],
    keyOf: (p) => [p.listedAt!.toISOString(), p.id],
  },
  PRICE_ASC: {
    keys: [{ column: 'p.min_price', direction: 'asc' }, { column: 'p.id', direction: 'asc' }],
    kinds: ['int', 'id'],
    keyOf: (p) => [p.minPrice, p.id],
  },
  PRICE_DESC: {
    keys: [{ column: 'p.min_price', direction: 'desc' }, { column: 'p.id', direction: 'desc' }],
    kinds: ['int', 'id'],
    keyOf: (p) => [p.minPrice, p.id],
  },
  BEST_SELLING: {
    keys: [{ column: 'p.sales_count', direction: 'desc' }, { column: 'p.id', direction: 'desc' }],
    kinds: ['int', 'id'],
    keyOf: (p) => [p.salesCount, p.id],
  },
  TOP_RATED: {
    keys: [{ column: 'p.rating_rank', direction: 'desc' }, { column: 'p.id', direction: 'desc' }],
    kinds: ['int', 'id'],
    keyOf: (p) => [p.ratingRank, p.id],
  },
};

/**
 * The shoppers' catalog reads go to a read replica when DATABASE_REPLICA_URLS names one (they
 * tolerate replication lag); otherwise this is the primary.
 */
function catalogRead(ctx: CountScope) {
  return ctx.em.getConnection('read');
}

let columnList: string | undefined;
/** Every loaded column of `product` (the search document is never read back). */
export function productColumns(em: EntityManager): string {
  columnList ??= em
    .getMetadata()
    .get(Product)
    .props.filter((prop) => prop.fieldNames?.length && !prop.lazy && prop.persist !== false)
    .flatMap((prop) => prop.fieldNames.map((f) => `p."${f}"`))
    .join(', ');
  return columnList;
}

export interface Where {
  clauses: string[];
  params: unknown[];
}

export interface ParsedFilter {
  search: string | null;
  categoryKey: string | null;
  brandKeys: string[] | null;
  shopKey: string | null;
  priceMin: number | null;
  priceMax: number | null;
  inStock: boolean | null;
  tags: string[] | null;
}

function parseFilter(currency: string, filter: ProductFilterInput | null | undefined): ParsedFilter {
  const f = filter ?? {};
  const search = f.search?.trim() ?? '';
  if (search.length > 100) throw new BadInputError('`search` has at most 100 characters', 'filter.search');
  const problems = new Problems();
  const price = (value: string | null | undefined, name: string) => (value == null ? null : toMinor(value, currency, problems, ['filter', name]));
  const parsed: ParsedFilter = {
    search: SEARCHABLE.test(search) ? search : null,
    categoryKey: f.categoryId || null,
    brandKeys: f.brandIds ?? null,
    shopKey: f.shopId || null,
    priceMin: price(f.priceMin, 'priceMin'),
    priceMax: price(f.priceMax, 'priceMax'),
    inStock: f.inStock ?? null,
    tags: f.tags ? f.tags.map((t) => t.trim().toLowerCase()).filter(Boolean) : null,
  };
  if (!problems.empty) throw new BadInputError('`priceMin` and `priceMax` are amounts such as "19.90" in the currency’s digits', 'filter.price');
  return parsed;
}

/** The WHERE of a catalog query; `omit` leaves one facet's own filter out (disjunctive facets). */
function whereOf(f: ParsedFilter, omit?: 'category' | 'brand', prepared = false): Where {
  const w: Where = { clauses: ['p.visible'], params: [] };
  const add = (sql: string, ...params: unknown[]) => {
    w.clauses.push(sql);
    w.params.push(...params);
  };
  if (f.search) add(prepared ? 'p.search_vector @@ (select catalog_query(?))' : 'p.search_vector @@ catalog_query(?)', f.search);
  if (f.categoryKey && omit !== 'category') {
    // A range over the materialized path (not LIKE with a computed pattern), so the path index serves it.
    add(
      "p.category_path ~>=~ (select path from category where id = ?) and p.category_path ~<~ (select left(path, -1) || '0' from category where id = ?)",
      f.categoryKey,
      f.categoryKey,
    );
  }
  if (f.brandKeys?.length && omit !== 'brand') add('p.brand_id in (?)', f.brandKeys);
  if (f.shopKey) add('p.shop_id = ?', f.shopKey);
  if (f.priceMin != null) add('p.min_price >= ?', f.priceMin);
  if (f.priceMax != null) add('p.min_price <= ?', f.priceMax);
  if (f.inStock != null) {
    add(`${f.inStock ? '' : 'not '}exists (select 1 from product_variant v where v.product_id = p.id and v.in_stock)`);
  }
  if (f.tags?.length) add('p.tags && array[?]::text[]', f.tags);
  return w;
}

/**
 * A catalog page's query, decided from its arguments: the filter's WHERE, the sort, the page window
 * and its keyset. Shared by searchProducts and the compiled catalog reads (src/catalogReads), so
 * both answer the same arguments with the same rows. Throws BadInputError for bad arguments.
 */
/** What counting needs of a request: its EntityManager, configuration and clock. */
export type CountScope = Pick<Context, 'em' | 'deps' | 'now'>;

export interface CatalogQuery {
  filter: ParsedFilter;
  sortKey: ProductSortKey;
  sort: SortSpec;
  window: PageWindow;
  where: Where;
  /**
   * The page's rows in travel order (`limit` = page size + 1): `select <select> from product p` with
   * the filter, as a subquery `p` with the keyset applied. `select` may use `rank` only with RELEVANCE
   * (its first parameter is then the search), and refers to the product's own columns as `p.*`.
   */
  pageSql(select: string): { sql: string; params: unknown[] };
}

/** `prepared`: for a prepared statement's generic plan (the search computed once; see RANK_ONCE). */
export function catalogQuery(currency: string, args: PageArgs & { filter?: ProductFilterInput | null; sort?: ProductSortKey | null }, prepared = false): CatalogQuery {
  const filter = parseFilter(currency, args.filter);
  const sortKey: ProductSortKey = args.sort === 'RELEVANCE' || args.sort == null ? (filter.search ? 'RELEVANCE' : 'NEWEST') : args.sort;
  const sort = SORTS[sortKey];
  const window = pageWindow(args, sort.kinds);
  const where = whereOf(filter, undefined, prepared);
  const keyset = keysetClause(sort.keys, window);
  const orderBy = Object.entries(keyset.orderBy).map(([c, d]) => `${c} ${d}`).join(', ');
  return {
    filter,
    sortKey,
    sort,
    window,
    where,
    pageSql: (select) => ({
      sql: `select * from (select ${sortKey === 'RELEVANCE' ? `${select}, ${prepared ? RANK_ONCE : RANK} as rank` : select} from product p where ${where.clauses.join(' and ')}) p
    ${keyset.where ? `where ${keyset.where.sql}` : ''}
    order by ${orderBy}
    limit ?`,
      params: [...(sortKey === 'RELEVANCE' ? [filter.search] : []), ...where.params, ...(keyset.where?.params ?? []), window.limit],
    }),
  };
}

/** The SQL ORDER BY of a catalog page in travel order, over the page subquery `p` (what pageSql orders by). */
export function travelOrder(q: CatalogQuery): string {
  return Object.entries(keysetClause(q.sort.keys, q.window).orderBy).map(([c, d]) => `${c} ${d}`).join(', ');
}

export async function searchProducts(
  ctx: Context,
  args: PageArgs & { filter?: ProductFilterInput | null; sort?: ProductSortKey | null },
): Promise<Page<Product> & { facetsOf: () => Promise<ProductFacets> }> {
  const q = catalogQuery(ctx.deps.config.currency, args);
  const { sql, params } = q.pageSql(productColumns(ctx.em));
  const rows = await catalogRead(ctx).execute<Record<string, unknown>[]>(sql, params);
  const ranks = new Map<Product, number>();
  const products = rows.map((row) => {
    const product = ctx.em.map(Product, row);
    if (q.sortKey === 'RELEVANCE') ranks.set(product, Number(row.rank));
    return product;
  });
  const found = page(products, q.window, (p) => q.sort.keyOf(p, ranks.get(p) ?? 0), () => catalogCount(ctx, q.where));
  let facets: Promise<ProductFacets> | undefined;
  return { ...found, facetsOf: () => (facets ??= productFacets(ctx, q.filter)) };
}

/**
 * How many visible products match `where`. Exact when at most `config.catalog.exactCountLimit`
 * match (a count that stops there: its cost is bounded by the limit, whatever the catalog's size);
 * above it, the exact count of the whole set, kept per filter for `countTtlSeconds` in this process
 * (src/services/catalog/counts.ts), so a large set's total may lag changes by that long.
 * `bounded` is that first, stopping count when the caller already has it (the compiled reads
 * compute it in their page statement).
 */
export async function catalogCount(ctx: CountScope, where: Where, bounded?: number): Promise<number> {
  const limit = ctx.deps.config.catalog.exactCountLimit;
  const clauses = where.clauses.join(' and ');
  const key = countKey(where);
  if (bounded === undefined) {
    const [row] = await catalogRead(ctx).execute<{ n: number }[]>(`select count(*)::int as n from (select 1 from product p where ${clauses} limit ?) p`, [...where.params, limit + 1]);
    bounded = row.n;
  }
  if (bounded <= limit) return bounded;
  return largeCounts.get(ctx, key, async () => {
    const [row] = await catalogRead(ctx).execute<{ n: number }[]>(`select count(*)::int as n from product p where ${clauses}`, where.params);
    return row.n;
  });
}

/** A fixed-size key for a filter however long its lists. */
const digest = (text: string) => createHash('sha1').update(text).digest('base64url');

/** Where a large set's count is kept (src/services/catalog/counts.ts). */
function countKey(where: Where): string {
  // The same filter whether its statement is prepared or not (the search's two spellings).
  return digest(`count\0${where.clauses.join(' and ').replaceAll('(select catalog_query(?))', 'catalog_query(?)')}\0${JSON.stringify(where.params)}`);
}

/** The bounded count's SQL (a scalar subquery) for a statement that computes it alongside its page. */
export function boundedCountSql(where: Where, limit: number): { sql: string; params: unknown[] } {
  return { sql: `(select count(*)::int from (select 1 from product p where ${where.clauses.join(' and ')} limit ?) c)`, params: [...where.params, limit + 1] };
}

export interface FacetCount {
  kind: 'c' | 'b';
  id: string;
  n: number;
}

/**
 * The facet counts of a filter: products per category (without the filter's own category) and per
 * brand (without its own brands), 100 of each, most first. Exact when both sets have at most
 * `exactCountLimit` products (told by one bounded count), else kept per filter like large totals.
 */
export async function facetCounts(ctx: CountScope, f: ParsedFilter): Promise<FacetCount[]> {
  const byCategory = whereOf(f, 'category');
  const byBrand = whereOf(f, 'brand');
  const count = async () =>
    (
      await catalogRead(ctx).execute<FacetCount[]>(
        `(select 'c' as kind, p.category_id::text as id, count(*)::int as n from product p where ${byCategory.clauses.join(' and ')}
       group by p.category_id order by n desc, p.category_id limit 100)
     union all
     (select 'b', p.brand_id::text, count(*)::int as n from product p where ${byBrand.clauses.join(' and ')} and p.brand_id is not null
       group by p.brand_id order by n desc, p.brand_id limit 100)`,
        [...byCategory.params, ...byBrand.params],
      )
    ).map((r) => ({ kind: r.kind, id: String(r.id), n: r.n }));
  const key = digest(`facets\0${byCategory.clauses.join(' and ')}\0${byBrand.clauses.join(' and ')}\0${JSON.stringify([byCategory.params, byBrand.params])}`);
  const limit = ctx.deps.config.catalog.exactCountLimit;
  const c = boundedCountSql(byCategory, limit);
  const b = boundedCountSql(byBrand, limit);
  const [sizes] = await catalogRead(ctx).execute<{ c: number; b: number }[]>(`select ${c.sql} as c, ${b.sql} as b`, [...c.params, ...b.params]);
  if (sizes.c <= limit && sizes.b <= limit) return count();
  return largeCounts.get(ctx, key, count);
}

async function productFacets(ctx: Context, f: ParsedFilter): Promise<ProductFacets> {
  const rows = await facetCounts(ctx, f);
  const categoryRows = rows.filter((r) => r.kind === 'c');
  const brandRows = rows.filter((r) => r.kind === 'b');
  const [categories, brands] = await Promise.all([
    ctx.loaders.categoryById.loadMany(categoryRows.map((r) => r.id)),
    ctx.loaders.brandById.loadMany(brandRows.map((r) => r.id)),
  ]);
  return {
    categories: categoryRows.flatMap((r, i) => (categories[i] instanceof Category ? [{ category: categories[i], count: r.n }] : [])),
    brands: brandRows.flatMap((r, i) => (brands[i] instanceof Brand ? [{ brand: brands[i], count: r.n }] : [])),
  };
}

/** Whether the viewer is staff or a member of the product's shop: they see it in any state. */
export function isProductInsider(ctx: Context, product: Product): Promise<boolean> {
  return ctx.viewer.isInsiderOf(product.shop.id);
}

/** One product by database key, or null when absent or not for the viewer's eyes. */
export async function visibleProduct(ctx: Context, key: string): Promise<Product | null> {
  const product = await ctx.loaders.productById.load(key);
  if (!product) return null;
  return product.visible || (await isProductInsider(ctx, product)) ? product : null;
}

/**
 * A shop's products. Its members and staff see every state (optionally one); everyone else sees
 * what is on sale. Newest first, keyset on the id.
 */
export async function shopProducts(ctx: Context, shop: Shop, args: PageArgs & { status?: ProductStatus | null }): Promise<Page<Product>> {
  const window = pageWindow(args, ['id']);
  const insider = await ctx.viewer.isInsiderOf(shop.id);
  const where: Record<string, unknown> = { shop: shop.id };
  if (insider) {
    if (args.status) where.status = args.status;
  } else {
    // The public sees products on sale only, and every one of those is ACTIVE to them.
    if (args.status && args.status !== ProductStatus.ACTIVE) return page([], window, (p: Product) => [p.id], async () => 0);
    where.visible = true;
  }
  return pageProducts(ctx, where, [{ column: 'p.id', direction: 'desc' }], window, (p) => [p.id]);
}

/** The review queue: products waiting for review, oldest submission first. */
export async function productsForReview(ctx: Context, args: PageArgs): Promise<Page<Product>> {
  const window = pageWindow(args, ['timestamp', 'id']);
  return pageProducts(
    ctx,
    { status: ProductStatus.PENDING_REVIEW },
    [{ column: 'p.submitted_at', direction: 'asc' }, { column: 'p.id', direction: 'asc' }],
    window,
    (p) => [p.submittedAt!.toISOString(), p.id],
  );
}

async function pageProducts(
  ctx: Context,
  where: Record<string, unknown>,
  keys: SortKey[],
  window: ReturnType<typeof pageWindow>,
  keyOf: (p: Product) => SortValue[],
): Promise<Page<Product>> {
  const rows = await applyKeyset(ctx.em.createQueryBuilder(Product, 'p').select('*').where(where), keys, window).getResultList();
  return page(rows, window, keyOf, () => ctx.em.count(Product, where));
}
