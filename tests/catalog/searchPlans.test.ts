import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { seedBulkCatalog } from '../../src/seeds/bulkCatalog';
import { type TestApp, createTestApp } from '../helpers/app';

/**
 * EXPLAIN evidence that every shopper filter and sort of `products` is served by an index, on a
 * catalog large enough (4,000 products) for PostgreSQL to choose plans as it would in production.
 */
const PRODUCTS = `query($filter: ProductFilter, $sort: ProductSort) { products(filter: $filter, sort: $sort, first: 20) { nodes { id } } }`;

let t: TestApp;
const pick: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  await seedBulkCatalog(t.orm.em.fork(), { products: 4000, parallel: 1 });
  const one = async (sql: string) => String((await t.sql(sql))[0].v);
  pick.category = toGlobalId('Category', await one("select c.id as v from category c where exists (select 1 from product p where p.category_id = c.id and p.visible) order by c.depth desc, c.id limit 1"));
  pick.brand = toGlobalId('Brand', await one('select brand_id as v from product where visible and brand_id is not null group by brand_id order by count(*) asc, brand_id limit 1'));
  pick.shop = toGlobalId('Shop', await one('select shop_id as v from product where visible group by shop_id order by count(*) asc, shop_id limit 1'));
  pick.tag = await one('select t as v from product, unnest(tags) t where visible group by t having count(*) >= 2 order by count(*) asc, t limit 1');
}, 120_000);
afterAll(() => t.close());

async function plan(filter: Record<string, unknown>, sort: string): Promise<string> {
  const { result, statements } = await t.captureQueries(PRODUCTS, { filter, sort });
  expect(result.errors).toBeUndefined();
  const listing = statements.find((s) => /from product p where p\.visible/.test(s.sql))!;
  // The compiled catalog reads (src/catalogReads) number their parameters ($1 …) for node-postgres.
  const client = t.orm.em.getConnection().getKnex().client as { acquireConnection(): Promise<any>; releaseConnection(c: unknown): Promise<void> };
  const connection = await client.acquireConnection();
  try {
    const { rows } = await connection.query({ text: `explain (format json) ${listing.sql}`, values: [...listing.params] });
    return JSON.stringify(rows);
  } finally {
    await client.releaseConnection(connection);
  }
}

describe('query plans of the catalog', () => {
  it.each([
    ['Chinese search', () => ({ search: '吸塵器' }), 'RELEVANCE', ['product_search_idx']],
    ['English search', () => ({ search: 'vacuum' }), 'RELEVANCE', ['product_search_idx']],
    ['category subtree', () => ({ categoryId: pick.category }), 'PRICE_ASC', ['product_category_path_idx']],
    ['brand', () => ({ brandIds: [pick.brand] }), 'NEWEST', ['product_visible_brand_idx']],
    ['shop', () => ({ shopId: pick.shop }), 'NEWEST', ['product_shop_idx']],
    ['price range', () => ({ priceMin: '100.00', priceMax: '101.00' }), 'PRICE_DESC', ['product_price_idx']],
    ['tag', () => ({ tags: [pick.tag] }), 'BEST_SELLING', ['product_tags_idx']],
    ['in stock', () => ({ inStock: true }), 'NEWEST', ['product_newest_idx', 'product_variant_in_stock_idx']],
    ['NEWEST sort', () => ({}), 'NEWEST', ['product_newest_idx']],
    ['BEST_SELLING sort', () => ({}), 'BEST_SELLING', ['product_best_selling_idx']],
    ['PRICE_ASC sort', () => ({}), 'PRICE_ASC', ['product_price_idx']],
  ])('serves the %s from an index', async (_name, filter, sort, indexes) => {
    const text = await plan(filter(), sort);
    expect(text).not.toMatch(/"Node Type":"Seq Scan"[^}]*"Relation Name":"product"/);
    for (const index of indexes) expect(text, text).toContain(`"Index Name":"${index}"`);
  });
});
