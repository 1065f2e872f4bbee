import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { type TestApp, createTestApp } from '../helpers/app';
import { createProduct, listedProduct, productInput, type Seller, seller, staff } from '../helpers/catalog';
import { code } from '../helpers/kit';

const CATEGORY = `mutation($input: CategoryInput!) { createCategory(input: $input) { category { id } errors { code } } }`;
const BRAND = `mutation($input: BrandInput!) { createBrand(input: $input) { brand { id name } errors { code field } } }`;
const PRODUCTS = `query($filter: ProductFilter, $sort: ProductSort, $first: Int, $after: String) {
  products(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    nodes { id title priceRange { min { amountMinor } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

let t: TestApp;
let shopA: Seller;
let shopB: Seller;
let reviewer: { token: string };
const cat: Record<string, string> = {};
const brand: Record<string, string> = {};
const p: Record<string, string> = {};

async function ids(filter: Record<string, unknown>, sort?: string): Promise<string[]> {
  const res = await t.gql(PRODUCTS, { filter, sort, first: 100 });
  expect(res.errors).toBeUndefined();
  return res.data!.products.nodes.map((n: { id: string }) => n.id);
}

const variant = (sku: string, price: string, stockOnHand = 5) => ({ sku, title: 'Default', options: [], price, stockOnHand });

beforeAll(async () => {
  t = await createTestApp();
  const ops = await staff(t, StaffRole.OPERATIONS);
  reviewer = await staff(t, StaffRole.REVIEWER);
  const mkCat = async (name: string, parent?: string) => {
    const res = await t.gql(CATEGORY, { input: { name, parentId: parent } }, { token: ops.token });
    return res.data!.createCategory.category.id as string;
  };
  cat.electronics = await mkCat('Electronics 電子');
  cat.audio = await mkCat('Audio 音響', cat.electronics);
  cat.earphones = await mkCat('Earphones 耳機', cat.audio);
  cat.home = await mkCat('Home 家居');
  for (const name of ['Sony', '小米']) brand[name] = (await t.gql(BRAND, { input: { name } }, { token: ops.token })).data!.createBrand.brand.id;

  shopA = await seller(t);
  shopB = await seller(t);
  const list = (s: Seller, categoryId: string, o: Record<string, unknown>) => listedProduct(t, s, reviewer.token, productInput(s.shopId, categoryId, o));
  p.earphones = await list(shopA, cat.earphones, { title: '無線藍牙耳機 降噪版', brandId: brand.Sony, variants: [variant('E1', '199.00')], tags: ['降噪'] });
  p.headphones = await list(shopA, cat.audio, {
    title: 'Sony WH-1000XM5 Wireless Headphones',
    brandId: brand.Sony,
    tags: ['noise-cancelling'],
    variants: [variant('H1', '2499.00'), { ...variant('H2', '2599.00'), options: [{ name: 'Colour', value: 'Silver' }] }],
  });
  p.speaker = await list(shopB, cat.audio, {
    title: '藍牙音箱 便攜',
    brandId: brand['小米'],
    description: '小巧便攜的藍牙音箱，可以連接耳機和手機，續航十二小時。',
    variants: [variant('S1', '129.00')],
  });
  p.mug = await list(shopB, cat.home, { title: 'Ceramic Coffee Mug', tags: ['kitchen'], variants: [variant('M1', '39.00', 0)] });
  p.shoes = await list(shopB, cat.home, { title: 'Running Shoes for Everyday Training', variants: [variant('R1', '399.00')] });

  // Never visible to the public: a draft, a product of an onboarding shop, of a suspended shop, a banned one.
  p.draft = await createProduct(t, shopA.owner.token, productInput(shopA.shopId, cat.earphones, { title: '耳機 草稿 draft earphones' }));
  const onboarding = await seller(t, 'ONBOARDING');
  p.onboarding = await list(onboarding, cat.earphones, { title: '耳機 onboarding shop earphones' });
  const suspended = await seller(t);
  p.suspended = await list(suspended, cat.earphones, { title: '耳機 suspended shop earphones' });
  const risk = await staff(t, StaffRole.RISK);
  await t.gql(`mutation($input: ShopModerationInput!) { suspendShop(input: $input) { errors { code } } }`, { input: { shopId: suspended.shopId, reason: 'Counterfeit goods' } }, { token: risk.token });
  p.banned = await list(shopA, cat.earphones, { title: '耳機 banned earphones' });
  await t.gql(`mutation($input: ProductModerationInput!) { banProduct(input: $input) { errors { code } } }`, { input: { productId: p.banned, reason: 'Counterfeit goods' } }, { token: risk.token });
});
afterAll(() => t.close());

describe('Chinese search', () => {
  it('finds any substring of two or more characters and ranks title matches first', async () => {
    expect(await ids({ search: '耳機' })).toEqual([p.earphones, p.speaker]);
    expect(await ids({ search: '牙耳機' })).toEqual([p.earphones]);
    expect(await ids({ search: '降噪版' })).toEqual([p.earphones]);
  });

  it('does not match characters that are not adjacent', async () => {
    expect(await ids({ search: '線耳' })).toEqual([]);
  });

  it('matches category names and tags', async () => {
    expect(await ids({ search: '音響' })).toEqual(expect.arrayContaining([p.earphones, p.headphones, p.speaker]));
    expect(await ids({ search: '降噪' })).toEqual([p.earphones]);
  });
});

describe('English search', () => {
  it('is case-insensitive, stemmed and matches prefixes', async () => {
    expect(await ids({ search: 'HEADPHONE' })).toEqual([p.headphones]);
    expect(await ids({ search: 'head' })).toEqual([p.headphones]);
    expect(await ids({ search: 'running shoe' })).toEqual([p.shoes]);
    expect(await ids({ search: 'sony' })).toEqual(expect.arrayContaining([p.earphones, p.headphones]));
  });

  it('requires every word', async () => {
    expect(await ids({ search: 'wireless mug' })).toEqual([]);
  });
});

describe('filters', () => {
  it('includes every descendant of a category', async () => {
    expect((await ids({ categoryId: cat.electronics })).sort()).toEqual([p.earphones, p.headphones, p.speaker].sort());
    expect(await ids({ categoryId: cat.earphones })).toEqual([p.earphones]);
  });

  it('filters by brands, shop, price range, stock and tags', async () => {
    expect((await ids({ brandIds: [brand.Sony] })).sort()).toEqual([p.earphones, p.headphones].sort());
    expect((await ids({ shopId: shopB.shopId })).sort()).toEqual([p.speaker, p.mug, p.shoes].sort());
    expect((await ids({ priceMin: '100', priceMax: 399 })).sort()).toEqual([p.earphones, p.speaker, p.shoes].sort());
    expect(await ids({ inStock: false })).toEqual([p.mug]);
    expect(await ids({ tags: ['Kitchen'] })).toEqual([p.mug]);
  });

  it('refuses a price with more decimals than the currency has', async () => {
    const res = await t.gql(PRODUCTS, { filter: { priceMin: '1.999' } });
    expect(code(res)).toBe('BAD_USER_INPUT');
  });
});

describe('visibility', () => {
  it('never shows drafts, banned products or products of shops that are not ACTIVE', async () => {
    const hidden = [p.draft, p.onboarding, p.suspended, p.banned];
    expect(await ids({ search: '耳機' })).not.toEqual(expect.arrayContaining([hidden[0]]));
    const all = await ids({});
    for (const id of hidden) expect(all).not.toContain(id);
    for (const id of hidden) {
      const res = await t.gql(`query($id: ID!) { product(id: $id) { id } node(id: $id) { id } }`, { id });
      expect(res.data).toEqual({ product: null, node: null });
    }
  });

  it('shows the shop its own draft', async () => {
    const res = await t.gql(`query($id: ID!) { product(id: $id) { status } }`, { id: p.draft }, { token: shopA.owner.token });
    expect(res.data!.product).toEqual({ status: 'DRAFT' });
    const other = await t.gql(`query($id: ID!) { product(id: $id) { status } }`, { id: p.draft }, { token: shopB.owner.token });
    expect(other.data!.product).toBeNull();
  });
});

describe('sorting and pagination', () => {
  async function walk(sort: string, filter: Record<string, unknown> = {}): Promise<{ id: string; price: number }[]> {
    const seen: { id: string; price: number }[] = [];
    let after: string | null = null as string | null;
    for (let page = 0; page < 10; page++) {
      const res = await t.gql(PRODUCTS, { filter, sort, first: 2, after });
      expect(res.errors).toBeUndefined();
      const { nodes, pageInfo } = res.data!.products;
      seen.push(...nodes.map((n: { id: string; priceRange: { min: { amountMinor: number } } }) => ({ id: n.id, price: n.priceRange.min.amountMinor })));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    return seen;
  }

  it.each(['NEWEST', 'PRICE_ASC', 'PRICE_DESC', 'BEST_SELLING', 'RELEVANCE'])('pages through %s without gaps or duplicates', async (sort) => {
    const all = await walk(sort);
    expect(all.map((x) => x.id).sort()).toEqual([p.earphones, p.headphones, p.speaker, p.mug, p.shoes].sort());
  });

  it('orders by price both ways', async () => {
    const asc = (await walk('PRICE_ASC')).map((x) => x.price);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    const desc = (await walk('PRICE_DESC')).map((x) => x.price);
    expect(desc).toEqual([...asc].reverse());
  });

  it('pages a relevance-ranked search without gaps', async () => {
    const all = await walk('RELEVANCE', { search: '耳機' });
    expect(all.map((x) => x.id)).toEqual([p.earphones, p.speaker]);
  });
});

describe('facets', () => {
  it('counts per category and brand, each ignoring its own filter', async () => {
    const res = await t.gql(`query($filter: ProductFilter) { products(filter: $filter) { totalCount facets { categories { category { id } count } brands { brand { name } count } } } }`, {
      filter: { categoryId: cat.electronics, brandIds: [brand.Sony] },
    });
    expect(res.errors).toBeUndefined();
    const { totalCount, facets } = res.data!.products;
    expect(totalCount).toBe(2);
    expect(facets.brands).toEqual([
      { brand: { name: 'Sony' }, count: 2 },
      { brand: { name: '小米' }, count: 1 },
    ]);
    expect(facets.categories).toEqual(expect.arrayContaining([{ category: { id: cat.earphones }, count: 1 }, { category: { id: cat.audio }, count: 1 }]));
    expect(facets.categories).toHaveLength(2);
  });
});

describe('cost', () => {
  const PAGE = `query($first: Int) { products(first: $first, sort: NEWEST) {
    totalCount
    nodes { id title priceRange { min { amount } } shop { name } category { name } brand { name } variants { sku price { amount } inStock } }
  } }`;

  it('costs the same few SQL queries for a page of 1 and a page of 20', async () => {
    const more = await seller(t);
    for (let i = 0; i < 16; i++) {
      await listedProduct(t, more, reviewer.token, productInput(more.shopId, cat.home, { title: `Bamboo Cutting Board ${i}`, brandId: i % 2 ? brand.Sony : brand['小米'] }));
    }
    const one = await t.countQueries(PAGE, { first: 1 });
    const twenty = await t.countQueries(PAGE, { first: 20 });
    expect(twenty.result.errors).toBeUndefined();
    expect(twenty.result.data!.products.nodes).toHaveLength(20);
    // products, total, variants, shops, categories, brands
    expect(twenty.queries).toBe(one.queries);
    expect(twenty.queries).toBeLessThanOrEqual(6);
  });

});

describe('read replicas', () => {
  it('sends only the shoppers’ catalog queries to DATABASE_REPLICA_URLS', async () => {
    // A replica URL that cannot answer shows exactly which queries go there.
    const broken = new URL(process.env.TEST_DB_URL!);
    broken.pathname = '/no_such_replica';
    const replicated = await createTestApp({ DATABASE_REPLICA_URLS: broken.toString() });
    try {
      const catalog = await replicated.gql(PRODUCTS, { first: 5 });
      expect(code(catalog)).toBe('INTERNAL_SERVER_ERROR');
      const categories = await replicated.gql('{ categories { id } }');
      expect(categories.errors).toBeUndefined();
      const product = await replicated.gql('query($id: ID!) { product(id: $id) { id } }', { id: p.earphones });
      expect(product.data!.product).toEqual({ id: p.earphones });
    } finally {
      await replicated.close();
    }
  });
});
