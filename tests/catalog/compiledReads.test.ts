import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { type TestApp, createTestApp } from '../helpers/app';
import { createProduct, listedProduct, productInput, type Seller, seller, staff, UPDATE_PRODUCT } from '../helpers/catalog';
import { type Answer, expectSameAnswer, post, type PostOptions } from '../helpers/compiledReads';
import { userWithToken } from '../helpers/factories';
import { idOf, keyOf, okPayload } from '../helpers/kit';
import { CREATE_REVIEW, insertOrder, signedIn } from '../helpers/reviews';

/**
 * Compiled catalog reads (src/catalogReads) answer the shoppers' `products` / `product` queries with
 * one SQL statement that builds the JSON; everything else goes to Apollo. Every answer here is
 * compared with an app that has CATALOG_COMPILED off, on the same database: same status, same JSON.
 */

const CATEGORY = `mutation($input: CategoryInput!) { createCategory(input: $input) { category { id } errors { code field } } }`;
const BRAND = `mutation($input: BrandInput!) { createBrand(input: $input) { brand { id } errors { code field } } }`;

const FRAGMENTS = `
fragment Cat on Category { __typename id name slug depth }
fragment Amount on Money { __typename amount amountMinor currency }
fragment Full on Product {
  __typename id title description imageUrls tags salesCount listedAt createdAt status
  attributes { __typename name value }
  priceRange { __typename min { ...Amount } max { ...Amount } }
  shop { __typename id name slug logoUrl }
  brand { __typename id name slug logoUrl }
  category { ...Cat }
  breadcrumb { ...Cat }
  variants { __typename id sku title inStock price { ...Amount } compareAtPrice { ...Amount } options { __typename name value } createdAt }
  rating { __typename average count distribution aspects { __typename description service logistics count } }
}`;

const PAGE = `query Page($first: Int, $after: String, $last: Int, $before: String, $sort: ProductSort, $filter: ProductFilter) {
  __typename
  products(first: $first, after: $after, last: $last, before: $before, sort: $sort, filter: $filter) {
    __typename
    totalCount
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
    edges { __typename cursor node { ...Full } }
    nodes { ...Full }
  }
}
${FRAGMENTS}`;

const FACETS = `query Facets($filter: ProductFilter) {
  products(filter: $filter, first: 2) {
    totalCount
    facets {
      __typename
      categories { __typename count category { ...Cat } }
      brands { __typename count brand { __typename id name slug logoUrl } }
    }
    nodes { id }
  }
}
fragment Cat on Category { __typename id name slug depth }`;

const PRODUCT = `query One($id: ID!) { product(id: $id) { ...Full } } ${FRAGMENTS}`;

const SORTS = [undefined, 'RELEVANCE', 'NEWEST', 'PRICE_ASC', 'PRICE_DESC', 'BEST_SELLING', 'TOP_RATED'] as const;

let on: TestApp;
let off: TestApp;
const apps = () => ({ on, off });

let ops: { token: string };
let reviewer: { token: string };
let shopA: Seller;
let shopB: Seller;
let shopC: Seller;
let shopper: { user: { id: string }; token: string };
const cat: Record<string, string> = {};
const brand: Record<string, string> = {};
const p: Record<string, string> = {};

const variant = (sku: string, price: string, stockOnHand = 5, extra: Record<string, unknown> = {}) => ({ sku, title: sku, options: [], price, stockOnHand, ...extra });

/** The request `{ query, variables }` sent to both apps, compared. */
const same = (query: string, variables: Record<string, unknown> | undefined, opts: PostOptions, expected: 'compiled' | 'apollo') =>
  expectSameAnswer(apps(), { query, variables }, opts, expected);

async function newCategory(name: string, parentId?: string, attributes?: unknown[]): Promise<string> {
  const res = await on.gql(CATEGORY, { input: { name, parentId, attributes } }, { token: ops.token });
  return okPayload(res, 'createCategory', 'category').id;
}

async function variantKeys(productId: string): Promise<string[]> {
  return (await on.sql('select id from product_variant where product_id = ? and not archived order by position, id', [keyOf(productId)])).map((r) => String(r.id));
}

beforeAll(async () => {
  [on, off] = await Promise.all([createTestApp(), createTestApp({ CATALOG_COMPILED: 'off' })]);
  [ops, reviewer] = [await staff(on, StaffRole.OPERATIONS), await staff(on, StaffRole.REVIEWER)];
  [shopA, shopB, shopC] = [await seller(on), await seller(on), await seller(on)];
  shopper = await userWithToken(on);
  await on.sql(`update shop set logo_url = 'https://img.example.com/shop-a.png' where id = ?`, [shopA.shop.id]);

  // Categories: Electronics > Audio > Earphones (depth 2), Home, Clothing > Shirts (with attribute templates).
  cat.electronics = await newCategory('Electronics 電子');
  cat.audio = await newCategory('Audio 音響', cat.electronics);
  cat.earphones = await newCategory('Earphones 耳機', cat.audio);
  cat.home = await newCategory('Home 家居');
  cat.clothing = await newCategory('Clothing', undefined, [{ name: 'Material', type: 'TEXT', required: true }]);
  cat.shirts = await newCategory('Shirts', cat.clothing, [
    { name: 'Size', type: 'ENUM', allowedValues: ['S', 'M', 'L'], required: true },
    { name: 'Weight (g)', type: 'NUMBER', required: true },
  ]);
  for (const name of ['Sony', '小米']) brand[name] = okPayload(await on.gql(BRAND, { input: { name } }, { token: ops.token }), 'createBrand', 'brand').id;
  await on.sql(`update brand set logo_url = 'https://img.example.com/sony.png' where id = ?`, [keyOf(brand.Sony)]);

  const list = (s: Seller, categoryId: string, o: Record<string, unknown>) => listedProduct(on, s, reviewer.token, productInput(s.shopId, categoryId, o));
  p.earphones = await list(shopA, cat.earphones, {
    title: '無線藍牙耳機 降噪版',
    brandId: brand.Sony,
    tags: ['降噪', 'audio'],
    imageUrls: ['https://img.example.com/e1.jpg', 'https://img.example.com/e2.jpg'],
    variants: [
      variant('E-BLK', '199.00', 10, { title: 'Black', options: [{ name: 'Colour', value: 'Black' }], compareAtPrice: '249.00' }),
      variant('E-WHT', '209.00', 0, { title: 'White', options: [{ name: 'Colour', value: 'White' }] }),
      variant('E-RED', '219.00', 3, { title: 'Red', options: [{ name: 'Colour', value: 'Red' }] }),
    ],
  });
  // An archived variant: gone from `variants` on both paths.
  await on.sql(`update product_variant set archived = true where product_id = ? and sku = 'E-RED'`, [keyOf(p.earphones)]);
  p.headphones = await list(shopA, cat.audio, {
    title: 'Sony WH-1000XM5 Wireless Headphones',
    brandId: brand.Sony,
    tags: ['noise-cancelling'],
    variants: [variant('H1', '2499.00'), variant('H2', '2599.00', 2, { options: [{ name: 'Colour', value: 'Silver' }, { name: 'Edition', value: '2024' }] })],
  });
  p.speaker = await list(shopB, cat.audio, {
    title: '藍牙音箱 便攜',
    brandId: brand['小米'],
    description: '小巧便攜的藍牙音箱，可以連接耳機和手機，續航十二小時。',
    tags: [],
    variants: [variant('S1', '129.00')],
  });
  p.mug = await list(shopB, cat.home, { title: 'Ceramic Coffee Mug', tags: ['kitchen'], variants: [variant('M1', '39.00', 0, { options: [{ name: 'Size', value: '350ml' }] }), variant('M2', '45.00', 0, { options: [{ name: 'Size', value: '500ml' }] })] });
  p.shoes = await list(shopB, cat.home, { title: 'Running Shoes for Everyday Training', variants: [variant('R1', '399.00')] });
  p.shirt = await list(shopC, cat.shirts, {
    title: 'Oxford Cotton Shirt',
    attributes: [
      { name: 'Material', value: 'Cotton "Oxford" \\ weave' },
      { name: 'Size', value: 'M' },
      { name: 'Weight (g)', value: '180.50' },
    ],
    variants: [
      variant('SH-S', '99.00', 4, { title: 'S', options: [{ name: 'Size', value: 'S' }], compareAtPrice: '129.00' }),
      variant('SH-M', '99.00', 1, { title: 'M', options: [{ name: 'Size', value: 'M' }] }),
    ],
  });
  p.rated = await list(shopB, cat.earphones, { title: 'Rated Earbuds 評分耳機', brandId: brand['小米'], variants: [variant('RT1', '99.00')] });
  for (const [i, price] of ['99.00', '99.00', '59.90', '1999.00', '0.50', '15.00'].entries()) {
    p[`filler${i}`] = await list(shopC, i % 2 ? cat.electronics : cat.earphones, { title: `Filler product number ${i}`, tags: i % 3 ? ['filler'] : [], variants: [variant(`F${i}`, price, i % 4)] });
  }
  // Listed, then edited in a way that needs review: PENDING_REVIEW while still on sale.
  p.pending = await list(shopA, cat.earphones, { title: 'Pending Edit Earphones', variants: [variant('P1', '149.00')] });
  okPayload(await on.gql(UPDATE_PRODUCT, { input: { id: p.pending, title: 'Pending Edit Earphones, Second Edition' } }, { token: shopA.owner.token }), 'updateProduct');
  p.draft = await createProduct(on, shopA.owner.token, productInput(shopA.shopId, cat.earphones, { title: '耳機 草稿 draft earphones' }));

  // Text JSON must escape: control characters (U+001E separates node texts inside the compiled statement), quotes, backslashes, emoji, U+2028.
  await on.sql('update product set title = ?, description = ?, tags = array[?, ?, ?] where id = ?', [
    'Filler\u001e5 "quoted" \\ 😀',
    'Tabs\tand\nnewlines, "quotes", back\\slash, record\u001eseparator, bell\u0007, emoji 😀, line\u2028separator',
    'a,b',
    'quote"d',
    '{brace}',
    keyOf(p.filler5),
  ]);

  // Sales (BEST_SELLING, with a tie) and published reviews with aspects (rating, TOP_RATED).
  for (const [name, n] of [['earphones', 12], ['speaker', 12], ['shoes', 3], ['filler1', 7]] as const) await on.sql('update product set sales_count = ? where id = ?', [n, keyOf(p[name])]);
  const buyer = await signedIn(on, '錢多多');
  const [rv] = await variantKeys(p.rated);
  const reviews = [
    { rating: 5, aspects: { description: 5, service: 4, logistics: 4 } },
    { rating: 4, aspects: { description: 4, service: 4, logistics: 3 } },
    { rating: 4, aspects: { description: 3, service: 5, logistics: 5 } },
    { rating: 2, aspects: null },
  ];
  for (const r of reviews) {
    const { lineIds } = await insertOrder(on, { buyerKey: buyer.user.id, shopKey: shopB.shop.id, lines: [{ productKey: keyOf(p.rated), variantKey: rv }], deliveredAt: new Date(Date.now() - 3_600_000) });
    const review = okPayload(await on.gql(CREATE_REVIEW, { input: { orderLineId: lineIds[0], body: '音質清晰，佩戴舒適。', ...r } }, { token: buyer.token }), 'createReview', 'review');
    expect(review.status).toBe('PUBLISHED');
  }
  const [shoeVariant] = await variantKeys(p.shoes);
  const { lineIds } = await insertOrder(on, { buyerKey: buyer.user.id, shopKey: shopB.shop.id, lines: [{ productKey: keyOf(p.shoes), variantKey: shoeVariant }], deliveredAt: new Date(Date.now() - 3_600_000) });
  okPayload(await on.gql(CREATE_REVIEW, { input: { orderLineId: lineIds[0], rating: 3 } }, { token: buyer.token }), 'createReview', 'review');
}, 60_000);
afterAll(async () => {
  await Promise.all([on?.close(), off?.close()]);
});

/** Pages forward through the whole result, then backward from its end; every page compared. Returns the ids in order. */
async function pageThrough(vars: Record<string, unknown>, opts: PostOptions, size = 3): Promise<string[]> {
  const forward: string[] = [];
  let after: string | null = null;
  let total = -1;
  for (let i = 0; i < 30; i++) {
    const res: Answer = await same(PAGE, { ...vars, first: size, after }, opts, 'compiled');
    const page = res.body.data.products;
    expect(page.edges.map((e: any) => e.node)).toEqual(page.nodes);
    forward.push(...page.nodes.map((n: any) => n.id));
    total = page.totalCount;
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  expect(new Set(forward).size).toBe(forward.length);
  expect(forward.length).toBe(total);

  const backward: string[] = [];
  let before: string | null = null;
  for (let i = 0; i < 30; i++) {
    const res: Answer = await same(PAGE, { ...vars, last: size, before }, opts, 'compiled');
    const page = res.body.data.products;
    backward.unshift(...page.nodes.map((n: any) => n.id));
    if (!page.pageInfo.hasPreviousPage) break;
    before = page.pageInfo.startCursor;
  }
  expect(backward).toEqual(forward);
  return forward;
}

describe('compiled catalog reads answer exactly as Apollo does', () => {
  it.each(SORTS.map((s) => [s ?? 'no sort', s]))('pages forward and backward through the whole catalog sorted by %s, every page identical', async (_name, sort) => {
    const ids = await pageThrough({ sort }, {});
    expect(ids.length).toBeGreaterThanOrEqual(14);
    expect(ids).not.toContain(p.draft);
  });

  it.each(SORTS.map((s) => [s ?? 'no sort', s]))('pages through a search (RELEVANCE by default) sorted by %s, identical', async (_name, sort) => {
    const ids = await pageThrough({ sort, filter: { search: '耳機' } }, {}, 2);
    expect(ids.length).toBeGreaterThan(1);
  });

  it('pages identically for a signed-in shopper and for a member of a shop', async () => {
    await pageThrough({ sort: 'PRICE_ASC' }, { token: shopper.token }, 4);
    await pageThrough({ sort: 'NEWEST' }, { token: shopA.owner.token }, 5);
  });

  it.each([
    ['a Chinese search', { search: '藍牙' }],
    ['an English search', { search: 'wireless' }],
    ['a search nobody matches', { search: 'zzzqqq' }],
    ['a search without letters', { search: '  ***  ' }],
    ['a parent category (its descendants included)', { categoryId: 'electronics' }],
    ['a leaf category', { categoryId: 'earphones' }],
    ['brands', { brandIds: ['Sony', '小米'] }],
    ['one brand', { brandIds: ['Sony'] }],
    ['a shop', { shopId: 'B' }],
    ['a price range', { priceMin: '50', priceMax: '300.00' }],
    ['a lowest price', { priceMin: '1999.00' }],
    ['in stock', { inStock: true }],
    ['out of stock', { inStock: false }],
    ['tags', { tags: ['降噪', ' Kitchen '] }],
    ['everything at once', { search: '耳機', categoryId: 'audio', brandIds: ['小米', 'Sony'], priceMax: '500', inStock: true }],
  ])('filters by %s with the same page, total and facets', async (_name, raw) => {
    const filter: Record<string, unknown> = { ...raw };
    if (typeof filter.categoryId === 'string') filter.categoryId = cat[filter.categoryId];
    if (Array.isArray(filter.brandIds)) filter.brandIds = filter.brandIds.map((b: string) => brand[b]);
    if (filter.shopId === 'B') filter.shopId = shopB.shopId;
    await same(PAGE, { filter, first: 20 }, {}, 'compiled');
    await same(FACETS, { filter }, {}, 'compiled');
  });

  it('answers facets with their categories and brands, signed in too', async () => {
    const res = await same(FACETS, {}, {}, 'compiled');
    const { categories, brands } = res.body.data.products.facets;
    expect(categories.length).toBeGreaterThan(2);
    expect(brands.map((b: any) => b.brand.name).sort()).toEqual(['Sony', '小米']);
    await same(FACETS, { filter: { brandIds: [brand.Sony] } }, { token: shopper.token }, 'compiled');
  });

  it('answers aliases, named and inline fragments, a key selected twice (merged) and __typename at every level', async () => {
    const query = `query Mixed($id: ID!, $first: Int = 4) {
      t1: __typename
      list: products(first: $first, sort: PRICE_DESC) {
        count: totalCount
        info: pageInfo { more: hasNextPage ...on PageInfo { endCursor } }
        edges { c: cursor node { ...Card } }
        items: nodes { ...Card }
        facets { brands { count brand { name } } brands { brand { id } } }
      }
      one: product(id: $id) {
        ...on Product { title shop { name } }
        shop { id }
        variants { sku price { amount } }
        variants { price { currency } compareAtPrice { amountMinor } }
        cheapest: priceRange { min { amount } }
        rating { average }
        rating { count aspects { count } }
      }
      again: product(id: $id) { id }
    }
    fragment Card on Product {
      key: id
      title
      ...Price
      ... { brand { name } }
      brand { slug }
    }
    fragment Price on Product { priceRange { min { amount } max { amountMinor } } }`;
    const res = await same(query, { id: p.rated }, {}, 'compiled');
    expect(res.body.data.one.rating).toMatchObject({ average: 3.75, count: 4, aspects: { count: 3 } });
    expect(Object.keys(res.body.data)).toEqual(['t1', 'list', 'one', 'again']);
  });

  it('answers every supported field of a product as Apollo does: variants (archived ones left out), options, attributes, money, rating', async () => {
    for (const id of [p.earphones, p.headphones, p.speaker, p.mug, p.shirt, p.rated, p.pending, p.filler4]) await same(PRODUCT, { id }, {}, 'compiled');
    const earphones = (await same(PRODUCT, { id: p.earphones }, {}, 'compiled')).body.data.product;
    expect(earphones.variants.map((v: any) => v.sku)).toEqual(['E-BLK', 'E-WHT']);
    expect(earphones.variants.map((v: any) => [v.inStock, v.compareAtPrice?.amount ?? null])).toEqual([
      [true, '249.00'],
      [false, null],
    ]);
    expect(earphones.breadcrumb.map((c: any) => c.depth)).toEqual([0, 1, 2]);
    const rated = (await same(PRODUCT, { id: p.rated }, {}, 'compiled')).body.data.product;
    expect(rated.rating).toMatchObject({ average: 3.75, count: 4, distribution: [0, 1, 0, 2, 1], aspects: { count: 3, description: 4, service: 4.33, logistics: 4 } });
  });

  it('answers product(id) for an unknown id (null) and leaves a malformed id to Apollo', async () => {
    expect((await same(PRODUCT, { id: idOf('Product', '987654321') }, {}, 'compiled')).body.data.product).toBeNull();
    expect((await same(PRODUCT, { id: idOf('Product', '987654321') }, { token: shopper.token }, 'compiled')).body.data.product).toBeNull();
    for (const id of ['not-an-id', idOf('Shop', shopA.shop.id), idOf('Product', '007'), '']) await same(PRODUCT, { id }, {}, 'apollo');
  });

  it('hides a DRAFT from the public (compiled null), shows it to its shop through Apollo, and gives a shopper null', async () => {
    expect((await same(PRODUCT, { id: p.draft }, {}, 'compiled')).body.data.product).toBeNull();
    const member = await same(PRODUCT, { id: p.draft }, { token: shopA.owner.token }, 'apollo');
    expect(member.body.data.product).toMatchObject({ id: p.draft, status: 'DRAFT' });
    expect((await same(PRODUCT, { id: p.draft }, { token: shopper.token }, 'apollo')).body.data.product).toBeNull();
  });

  it('shows a pending edit as PENDING_REVIEW to its shop and as ACTIVE to everyone else, compiled', async () => {
    const status = async (opts: PostOptions) => (await same(PRODUCT, { id: p.pending }, opts, 'compiled')).body.data.product.status;
    expect(await status({})).toBe('ACTIVE');
    expect(await status({ token: shopper.token })).toBe('ACTIVE');
    expect(await status({ token: shopB.owner.token })).toBe('ACTIVE');
    expect(await status({ token: shopA.owner.token })).toBe('PENDING_REVIEW');
    const listing = await same(PAGE, { filter: { shopId: shopA.shopId }, first: 10 }, { token: shopA.owner.token }, 'compiled');
    expect(listing.body.data.products.nodes.find((n: any) => n.id === p.pending).status).toBe('PENDING_REVIEW');
  });

  it('leaves staff, malformed tokens and revoked sessions to Apollo, with its answer', async () => {
    const query = `{ products(first: 5) { totalCount nodes { id status } } }`;
    await same(query, undefined, { token: reviewer.token }, 'apollo');
    await same(PRODUCT, { id: p.pending }, { token: reviewer.token }, 'apollo');
    const malformed = await same(query, undefined, { authorization: 'Bearer not.a.token' }, 'apollo');
    expect(malformed.status).toBe(401);
    await same(query, undefined, { authorization: 'Basic abc' }, 'apollo');
    const revoked = await userWithToken(on);
    await same(query, undefined, { token: revoked.token }, 'compiled');
    await on.sql('update auth_session set revoked_at = now() where user_id = ?', [revoked.user.id]);
    expect((await same(query, undefined, { token: revoked.token }, 'apollo')).status).toBe(401);
  });

  it.each([undefined, 'application/json', 'application/graphql-response+json', 'application/graphql-response+json, application/json;q=0.9', '*/*'])(
    'answers with the content type Apollo negotiates for Accept: %s',
    async (accept) => {
      const payload = { query: '{ products(first: 1) { totalCount } }' };
      const opts: PostOptions = { headers: accept ? { accept } : {} };
      const [a, b] = await Promise.all([post(on, payload, opts), post(off, payload, opts)]);
      expect(a.path).toBe('compiled');
      expect(a.body).toEqual(b.body);
      expect(a.contentType).toBe(b.contentType);
    },
  );
});

describe('requests the compiled reads decline get Apollo’s answer, errors included', () => {
  it.each([
    ['first: 101', `{ products(first: 101) { nodes { id } } }`, undefined],
    ['first and last together', `{ products(first: 2, last: 2) { nodes { id } } }`, undefined],
    ['a garbage cursor', `query($c: String) { products(first: 2, after: $c) { nodes { id } } }`, { c: 'garbage' }],
    ['a bad Decimal in priceMin', `query($f: ProductFilter) { products(filter: $f) { nodes { id } } }`, { f: { priceMin: 'cheap' } }],
    ['too many decimals in priceMax', `query($f: ProductFilter) { products(filter: $f) { nodes { id } } }`, { f: { priceMax: '1.999' } }],
    ['a malformed categoryId', `query($f: ProductFilter) { products(filter: $f) { nodes { id } } }`, { f: { categoryId: 'nope' } }],
    ['a variable of the wrong type', `query($n: Int) { products(first: $n) { nodes { id } } }`, { n: 'ten' }],
    ['an unknown field', `{ products(first: 2) { nodes { id nope } } }`, undefined],
    ['a field outside the compiled set', `{ products(first: 2) { nodes { id promotions { id badge } } } }`, undefined],
    ['another root field', `{ products(first: 2) { nodes { id } } categories { id } }`, undefined],
    ['a directive', `query($x: Boolean!) { products(first: 2) { nodes { id title @include(if: $x) } } }`, { x: false }],
    ['nodes and edges.node with different selections', `{ products(first: 2) { nodes { id } edges { node { title } } } }`, undefined],
    ['a syntax error', `{ products(first: 2) { nodes { id }`, undefined],
    ['a mutation', `mutation { logout { ok } }`, undefined],
    ['__typename alone', `{ __typename }`, undefined],
    ['a control character in the search (the text rule)', `query($f: ProductFilter) { products(filter: $f) { nodes { id } } }`, { f: { search: 'red\tshoe' } }],
    ['a lone surrogate in a tag (the text rule)', `query($f: ProductFilter) { products(filter: $f) { nodes { id } } }`, { f: { tags: ['\ud800x'] } }],
  ])('%s', async (_name, query, variables) => {
    await same(query, variables, {}, 'apollo');
  });

  it('an empty operation name', async () => {
    await expectSameAnswer(apps(), { query: 'query Named { products(first: 1) { nodes { id } } }', operationName: '' }, {}, 'apollo');
  });

  it('a field guarded by permissions (variant stock) as a shopper, and as the shop', async () => {
    const query = `query($id: ID!) { product(id: $id) { id variants { sku stock { onHand } } } }`;
    const res = await same(query, { id: p.earphones }, { token: shopper.token }, 'apollo');
    expect(res.body.errors?.length).toBeGreaterThan(0);
    await same(query, { id: p.earphones }, {}, 'apollo');
    const insider = await same(query, { id: p.earphones }, { token: shopA.owner.token }, 'apollo');
    expect(insider.body.errors).toBeUndefined();
  });

  it('an operation picked by name from several, and an unknown operation name', async () => {
    const doc = `query A { products(first: 1) { nodes { id } } } query B { me { id } }`;
    await expectSameAnswer(apps(), { query: doc, operationName: 'A' }, {}, 'compiled');
    await expectSameAnswer(apps(), { query: doc, operationName: 'B' }, {}, 'apollo');
    await expectSameAnswer(apps(), { query: doc, operationName: 'C' }, {}, 'apollo');
    await expectSameAnswer(apps(), { query: doc }, {}, 'apollo');
  });

  it('a batched request', async () => {
    await expectSameAnswer(apps(), [{ query: '{ products(first: 1) { nodes { id } } }' }, { query: '{ product(id: "x") { id } }' }], {}, 'apollo');
  });

  it('extensions.persistedQuery null (no persisted query) is answered like Apollo answers it', async () => {
    // Apollo treats a null persistedQuery as none; the compiled reads must not fail on it.
    await expectSameAnswer(apps(), { query: '{ products(first: 1) { totalCount } }', extensions: { persistedQuery: null } }, {}, 'compiled');
  });
});

describe('automatic persisted queries', () => {
  const QUERY = `query Persisted($first: Int) { products(first: $first, sort: PRICE_ASC) { totalCount nodes { id title priceRange { min { amount } } } } }`;
  const hash = createHash('sha256').update(QUERY).digest('hex');
  const persisted = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });

  it('answers the query with its hash compiled, then the hash alone compiled with the same body', async () => {
    const first = await expectSameAnswer(apps(), { query: QUERY, variables: { first: 3 }, extensions: persisted(hash) }, {}, 'compiled');
    const again = await expectSameAnswer(apps(), { variables: { first: 3 }, extensions: persisted(hash) }, {}, 'compiled');
    expect(again.body).toEqual(first.body);
    await expectSameAnswer(apps(), { variables: { first: 5 }, extensions: persisted(hash) }, { token: shopper.token }, 'compiled');
  });

  it('refuses a hash that is not the query’s, and an unknown hash, as Apollo does', async () => {
    const wrong = await expectSameAnswer(apps(), { query: QUERY, extensions: persisted('0'.repeat(64)) }, {}, 'apollo');
    expect(wrong.status).toBe(400);
    const unknown = await expectSameAnswer(apps(), { extensions: persisted('ab'.repeat(32)) }, {}, 'apollo');
    expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    await expectSameAnswer(apps(), { query: QUERY, extensions: { persistedQuery: { version: 2, sha256Hash: hash } } }, {}, 'apollo');
  });

  it.each([
    ['a staff viewer', true, {}],
    ['variables the services refuse (first: 101)', false, { first: 101 }],
  ])('answers the hash alone like Apollo once the query was registered, for a request the compiled reads decline: %s', async (name, asStaff, variables) => {
    const query = `query PersistedDeclined($first: Int = 2) { products(first: $first, sort: PRICE_DESC) { nodes { id } } } # ${name}`;
    const sha = createHash('sha256').update(query).digest('hex');
    const opts: PostOptions = asStaff ? { token: reviewer.token } : {};
    // Registered by a request the compiled app answers itself (its Apollo never sees it)…
    await expectSameAnswer(apps(), { query, extensions: persisted(sha) }, {}, 'compiled');
    // …then the hash alone, which the compiled reads hand to Apollo.
    await expectSameAnswer(apps(), { variables, extensions: persisted(sha) }, opts, 'apollo');
  });
});

describe('the viewer’s session is checked in the same statement', () => {
  const QUERY = `{ products(first: 3) { totalCount nodes { id status } } }`;

  it('answers 401 like Apollo once the shopper signs out', async () => {
    const user = await userWithToken(on);
    await same(QUERY, undefined, { token: user.token }, 'compiled');
    okPayload(await on.gql(`mutation { logout { ok errors { code } } }`, {}, { token: user.token }), 'logout');
    const res = await same(QUERY, undefined, { token: user.token }, 'apollo');
    expect(res.status).toBe(401);
    expect((await same(PRODUCT, { id: p.rated }, { token: user.token }, 'apollo')).status).toBe(401);
  });

  it('answers 401 like Apollo once the session is revoked or expired in SQL', async () => {
    const user = await userWithToken(on);
    await same(PRODUCT, { id: p.rated }, { token: user.token }, 'compiled');
    await on.sql(`update auth_session set expires_at = now() - interval '1 second' where user_id = ?`, [user.user.id]);
    expect((await same(PRODUCT, { id: p.rated }, { token: user.token }, 'apollo')).status).toBe(401);
    const other = await userWithToken(on);
    await on.sql('update auth_session set revoked_at = now() where user_id = ?', [other.user.id]);
    expect((await same(QUERY, undefined, { token: other.token }, 'apollo')).status).toBe(401);
  });

  it('refuses a user whose password change is required with PASSWORD_CHANGE_REQUIRED, like Apollo', async () => {
    const user = await userWithToken(on);
    await on.sql('update users set password_change_required = true where id = ?', [user.user.id]);
    const res = await same(QUERY, undefined, { token: user.token }, 'apollo');
    expect(res.body.errors[0].extensions.code).toBe('PASSWORD_CHANGE_REQUIRED');
    await same(PRODUCT, { id: p.rated }, { token: user.token }, 'apollo');
  });

  it('leaves a user made staff mid-session to Apollo', async () => {
    const user = await userWithToken(on);
    await same(QUERY, undefined, { token: user.token }, 'compiled');
    await on.sql(`update users set staff_roles = '{REVIEWER}' where id = ?`, [user.user.id]);
    await same(QUERY, undefined, { token: user.token }, 'apollo');
  });
});

describe('one SQL statement per compiled read', () => {
  const LIST = `query($first: Int!, $shop: ID!) { products(first: $first, filter: { shopId: $shop }) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id title status shop { name } brand { name } category { name } breadcrumb { name } variants { sku price { amount } inStock } rating { average } } }
  } }`;
  let shopD: Seller;

  beforeAll(async () => {
    shopD = await seller(on);
    const inputs = Array.from({ length: 100 }, (_, i) =>
      productInput(shopD.shopId, i % 2 ? cat.earphones : cat.home, { title: `Bulk product ${i}`, brandId: i % 3 ? brand.Sony : null }),
    );
    for (let i = 0; i < inputs.length; i += 10) await Promise.all(inputs.slice(i, i + 10).map((input) => listedProduct(on, shopD, reviewer.token, input)));
  }, 60_000);

  it.each([1, 20, 100])('lists %i products with variants, shop, brand, category and totalCount in one statement, anonymous and signed in', async (first) => {
    for (const token of [undefined, shopper.token]) {
      const { result, queries } = await on.countQueries(LIST, { first, shop: shopD.shopId }, { token });
      expect(result.headers['x-catalog-path']).toBe('compiled');
      expect(result.errors).toBeUndefined();
      expect(result.data!.products.edges).toHaveLength(first);
      expect(result.data!.products.totalCount).toBe(100);
      expect(queries).toBe(1);
    }
    await same(LIST, { first, shop: shopD.shopId }, { token: shopper.token }, 'compiled');
  });

  it('reads product(id) in one statement, the session checked in it', async () => {
    for (const token of [undefined, shopper.token]) {
      const { result, statements } = await on.captureQueries(PRODUCT, { id: p.rated }, { token });
      expect(result.headers['x-catalog-path']).toBe('compiled');
      expect(statements).toHaveLength(1);
      expect(statements[0].sql.includes('auth_session')).toBe(token !== undefined);
    }
  });
});

describe('totalCount and facets above CATALOG_EXACT_COUNT_LIMIT', () => {
  const clock = new ManualClock(new Date());
  let lowOn: TestApp;
  let lowOff: TestApp;
  let shopE: Seller;
  const QUERY = `query($shop: ID!) { products(filter: { shopId: $shop }, first: 10) {
    totalCount nodes { id } facets { categories { count category { id } } brands { count brand { id } } }
  } }`;

  beforeAll(async () => {
    [lowOn, lowOff] = await Promise.all([
      createTestApp({ CATALOG_EXACT_COUNT_LIMIT: '3' }, { clock }),
      createTestApp({ CATALOG_EXACT_COUNT_LIMIT: '3', CATALOG_COMPILED: 'off' }, { clock }),
    ]);
    shopE = await seller(on);
  });
  afterAll(async () => {
    await Promise.all([lowOn?.close(), lowOff?.close()]);
  });

  const add = (i: number) => listedProduct(on, shopE, reviewer.token, productInput(shopE.shopId, cat.home, { title: `Counted product ${i}`, brandId: brand.Sony }));
  /** The total, the number of nodes and the facet counts, the same on both apps (the compiled one compiled). */
  async function counts(): Promise<[number, number, number, number]> {
    const res = await expectSameAnswer({ on: lowOn, off: lowOff }, { query: QUERY, variables: { shop: shopE.shopId } }, {}, 'compiled');
    const { totalCount, nodes, facets } = res.body.data.products;
    return [totalCount, nodes.length, facets.categories.find((c: any) => c.category.id === cat.home)?.count ?? 0, facets.brands.find((b: any) => b.brand.id === brand.Sony)?.count ?? 0];
  }

  it('are exact up to the limit, then kept per filter for CATALOG_COUNT_TTL_SECONDS of the business clock', async () => {
    await add(1);
    await add(2);
    expect(await counts()).toEqual([2, 2, 2, 2]);
    await add(3);
    expect(await counts()).toEqual([3, 3, 3, 3]);
    await add(4);
    // Above the limit: counted exactly once, then kept.
    expect(await counts()).toEqual([4, 4, 4, 4]);
    await add(5);
    expect(await counts()).toEqual([4, 5, 4, 4]);
    clock.advance(9_000);
    expect(await counts()).toEqual([4, 5, 4, 4]);
    clock.advance(2_000);
    expect(await counts()).toEqual([5, 5, 5, 5]);
    // The default apps (limit 1000) count exactly all along.
    const exact = await same(QUERY, { shop: shopE.shopId }, {}, 'compiled');
    expect(exact.body.data.products.totalCount).toBe(5);
  });

  it('are exact again at once when a kept set falls to the limit or below', async () => {
    const delist = (id: string) => on.gql(`mutation($input: IdInput!) { delistProduct(input: $input) { errors { code } } }`, { input: { id } }, { token: shopE.owner.token });
    clock.advance(11_000);
    expect(await counts()).toEqual([5, 5, 5, 5]);
    const ids = (await on.sql(`select id from product where shop_id = ? and visible order by id limit 3`, [shopE.shop.id])).map((r) => idOf('Product', r.id));
    for (const id of ids) okPayload(await delist(id), 'delistProduct');
    // 2 products match: at most the limit, so exact (CATALOG_EXACT_COUNT_LIMIT), both paths.
    expect(await counts()).toEqual([2, 2, 2, 2]);
  });
});

describe('shared compiled answers (the catalog cache on)', () => {
  const clock = new ManualClock(new Date());
  let cached: TestApp;
  let shopS: Seller;
  const LIST = `query Shared($shop: ID!) { products(filter: { shopId: $shop }, first: 10) { totalCount nodes { id title priceRange { min { amount } } } } }`;
  const STATUS = `query Personal($shop: ID!) { products(filter: { shopId: $shop }, first: 10) { nodes { id status } } }`;

  beforeAll(async () => {
    cached = await createTestApp({ CATALOG_CACHE_ENTRIES: '100', CATALOG_STALE_MS: '1000' }, { clock });
    shopS = await seller(cached);
    await listedProduct(cached, shopS, reviewer.token, productInput(shopS.shopId, cat.home, { title: 'Shared answer kettle' }));
  });
  afterAll(() => cached?.close());

  /**
   * Waiting for a shared answer (`hit`): a late notification of the set-up's writes may have made
   * the kept answer stale, and this clock stands still, so time is moved past CATALOG_STALE_MS for
   * the next request to compute it again, as a moving clock would.
   */
  const hitOrMoveOn = (a: { cache?: string }) => {
    if (a.cache === 'stale') clock.advance(1_001);
    return a.cache === 'hit';
  };

  /** Sends `query` until the answer comes from the shared answers (`x-catalog-cache`), or gives the last answer. */
  async function until(query: string, opts: PostOptions, done: (a: Awaited<ReturnType<typeof post>> & { cache?: string }) => boolean) {
    let last!: Awaited<ReturnType<typeof post>> & { cache?: string };
    for (let i = 0; i < 50; i++) {
      const res = await cached.app.http.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
        payload: JSON.stringify({ query, variables: { shop: shopS.shopId } }),
      });
      last = { status: res.statusCode, body: res.json(), path: res.headers['x-catalog-path'] as string | undefined, contentType: undefined, cache: res.headers['x-catalog-cache'] as string | undefined };
      if (done(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    return last;
  }

  it('serves a signed-in shopper the answer computed for anyone, checking the session in one statement', async () => {
    const first = await until(LIST, { token: shopper.token }, () => true);
    const hit = await until(LIST, { token: shopper.token }, hitOrMoveOn);
    expect(hit.cache).toBe('hit');
    expect(hit.body).toEqual(first.body);
    const { result, statements } = await cached.captureQueries(LIST, { shop: shopS.shopId }, { token: shopper.token });
    // (A late notification of the set-up's writes may have made it stale since: kept all the same.)
    expect(['hit', 'stale']).toContain(result.headers['x-catalog-cache']);
    expect(statements).toHaveLength(1);
    expect(statements[0].sql).toContain('auth_session');
    // An anonymous caller gets the same answer.
    expect((await until(LIST, {}, (a) => a.cache !== undefined)).body).toEqual(first.body);
  });

  it('answers a revoked session 401 even while an answer is kept', async () => {
    const gone = await userWithToken(cached);
    await until(LIST, { token: gone.token }, hitOrMoveOn);
    await cached.sql('update auth_session set revoked_at = now() where user_id = ?', [gone.user.id]);
    const res = await until(LIST, { token: gone.token }, () => true);
    expect(res.status).toBe(401);
    expect(res.cache).toBeUndefined();
  });

  it('never shares the public’s null for a product off sale with its own shop, who see it', async () => {
    const draft = await createProduct(cached, shopS.owner.token, productInput(shopS.shopId, cat.home, { title: 'Unshared draft kettle' }));
    const ONE = `query One($id: ID!) { product(id: $id) { id title } }`;
    const ask = (token?: string) =>
      cached.app.http.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, payload: JSON.stringify({ query: ONE, variables: { id: draft } }) });
    expect((await ask()).json().data.product).toBeNull();
    expect((await ask()).json().data.product).toBeNull();
    const own = await ask(shopS.owner.token);
    expect(own.json().data.product).toEqual({ id: draft, title: 'Unshared draft kettle' });
    expect(own.headers['x-catalog-cache']).toBeUndefined();
  });

  it('shares an answer with a product’s status among shoppers of no shop, never with a shop’s members', async () => {
    const first = await until(STATUS, { token: shopper.token }, () => true);
    const shared = await until(STATUS, { token: shopper.token }, hitOrMoveOn);
    expect(shared.cache).toBe('hit');
    expect(shared.body).toEqual(first.body);
    // The shop's own member may see a pending edit: computed for them, and not kept for others.
    for (let i = 0; i < 2; i++) {
      const own = await until(STATUS, { token: shopS.owner.token }, () => true);
      expect(own.path).toBe('compiled');
      expect(own.cache).toBeUndefined();
    }
    expect((await until(STATUS, {}, () => true)).body).toEqual(first.body);
  });

  it('serves a kept answer for CATALOG_STALE_MS after a catalog change, then the changed catalog', async () => {
    const before = await until(LIST, { token: shopper.token }, hitOrMoveOn);
    const renamed = await until(LIST, { token: shopper.token }, () => true);
    const [id] = renamed.body.data.products.nodes.map((n: { id: string }) => n.id);
    await cached.sql("update product set title = 'Renamed shared kettle' where id = ?", [keyOf(id)]);
    // The change notification arrives: the kept answer is now stale, served for up to a second of the clock.
    const stale = await until(LIST, { token: shopper.token }, (a) => a.cache === 'stale');
    expect(stale.cache).toBe('stale');
    expect(stale.body).toEqual(before.body);
    clock.advance(1_001);
    const fresh = await until(LIST, { token: shopper.token }, () => true);
    expect(fresh.cache).toBeUndefined();
    expect(fresh.body.data.products.nodes[0].title).toBe('Renamed shared kettle');
    expect((await until(LIST, { token: shopper.token }, hitOrMoveOn)).body).toEqual(fresh.body);
  });
});

describe('with read replicas', () => {
  let replicated: TestApp;
  beforeAll(async () => {
    // The test database stands in for a replica of itself.
    replicated = await createTestApp({ DATABASE_REPLICA_URLS: process.env.TEST_DB_URL! });
  });
  afterAll(() => replicated?.close());

  it('checks a signed-in shopper’s session on the primary beside the page read from the replica, and answers 401 once it ends', async () => {
    const user = await userWithToken(replicated);
    const LIST = `{ products(first: 3) { totalCount nodes { id title } } }`;
    const { result, statements } = await replicated.captureQueries(LIST, {}, { token: user.token });
    expect(result.headers['x-catalog-path']).toBe('compiled');
    expect(result.data).toEqual((await replicated.gql(LIST)).data);
    expect(statements).toHaveLength(2);
    expect(statements.filter((s) => s.sql.includes('auth_session'))).toHaveLength(1);
    await replicated.sql('update auth_session set revoked_at = now() where user_id = ?', [user.user.id]);
    const after = await replicated.gql(LIST, {}, { token: user.token });
    expect(after.status).toBe(401);
    expect(after.headers['x-catalog-path']).toBeUndefined();
  });
});
