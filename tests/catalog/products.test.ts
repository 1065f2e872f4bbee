import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole, type User } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { code, failuresOf, keyOf, okPayload, payloadOf } from '../helpers/kit';
import { type GqlResult, type TestApp, createTestApp } from '../helpers/app';
import { CREATE_PRODUCT, PRODUCT_FIELDS, REVIEW_PRODUCT, SUBMIT_PRODUCT, UPDATE_PRODUCT, createProduct, listedProduct, productInput, type Seller, seller, staff } from '../helpers/catalog';
import { createCategory, userWithToken } from '../helpers/factories';

const { OWNER, MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE } = ShopMemberRole;

const DELIST = `mutation($input: IdInput!) { delistProduct(input: $input) { product { id status } errors { code field message } } }`;
const RELIST = `mutation($input: IdInput!) { relistProduct(input: $input) { product { id status } errors { code field message } } }`;
const BAN = `mutation($input: ProductModerationInput!) { banProduct(input: $input) { product { id status } errors { code field message } } }`;
const CREATE_CATEGORY = `mutation($input: CategoryInput!) { createCategory(input: $input) { category { id } errors { code field } } }`;
const PUBLIC_PRODUCT = `query($id: ID!) { product(id: $id) { id status title imageUrls category { id } attributes { name value } priceRange { min { amount } max { amount } } } }`;
/** What the shop's members and staff see of a product. */
const INSIDE_PRODUCT = `query($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS}
  nextActions
  pendingRevision { title description imageUrls tags category { id } brand { id } attributes { name value } }
  statusHistory { action fromStatus toStatus reason byStaff at }
  variants { stock { onHand reserved available } lowStockThreshold }
} }`;
const QUEUE = `query($first: Int, $after: String) { productsForReview(first: $first, after: $after) {
  totalCount edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } }`;

type Account = { user: User; token: string };

let t: TestApp;
let shop: Seller;
let other: Seller;
let reviewer: Account;
let ops: Account;
let admin: Account;
let risk: Account;
let supportStaff: Account;
let shopper: Account;
const members = {} as Record<ShopMemberRole, Account>;
/** Categories without attribute templates. */
let audio: string;
let video: string;
/** Shirts, under Clothing: requires Size (ENUM S/M/L) and Weight (g) (NUMBER), allows Fit (TEXT), and inherits the required Material (TEXT). */
let shirts: string;
let brandA: string;
let brandB: string;

beforeAll(async () => {
  t = await createTestApp();
  [shop, other] = [await seller(t), await seller(t)];
  [reviewer, ops, admin, risk, supportStaff, shopper] = await Promise.all([
    staff(t, StaffRole.REVIEWER),
    staff(t, StaffRole.OPERATIONS),
    staff(t, StaffRole.ADMIN),
    staff(t, StaffRole.RISK),
    staff(t, StaffRole.CUSTOMER_SERVICE),
    userWithToken(t),
  ]);
  members[OWNER] = shop.owner;
  for (const role of [MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE]) {
    members[role] = await userWithToken(t);
    await t.sql('insert into shop_member (shop_id, user_id, role) values (?, ?, ?)', [shop.shop.id, members[role].user.id, role]);
  }
  const newBrand = async (name: string) => {
    const res = await t.gql(`mutation($input: BrandInput!) { createBrand(input: $input) { brand { id } errors { code } } }`, { input: { name } }, { token: ops.token });
    return res.data!.createBrand.brand.id as string;
  };
  [brandA, brandB] = [await newBrand('Aurora Sound'), await newBrand('Boreal Audio')];
  audio = toGlobalId('Category', (await createCategory(t, 'Audio')).id);
  video = toGlobalId('Category', (await createCategory(t, 'Video')).id);
  const newCategory = async (input: Record<string, unknown>) => {
    const res = await t.gql(CREATE_CATEGORY, { input }, { token: ops.token });
    expect(res.data!.createCategory.errors).toEqual([]);
    return res.data!.createCategory.category.id as string;
  };
  const clothing = await newCategory({ name: 'Clothing', attributes: [{ name: 'Material', type: 'TEXT', required: true }] });
  shirts = await newCategory({
    name: 'Shirts',
    parentId: clothing,
    attributes: [
      { name: 'Size', type: 'ENUM', allowedValues: ['S', 'M', 'L'], required: true },
      { name: 'Weight (g)', type: 'NUMBER', required: true },
      { name: 'Fit', type: 'TEXT', required: false },
    ],
  });
});
afterAll(() => t.close());

// ---------------------------------------------------------------------------------------------
// helpers

const hex = () => randomBytes(4).toString('hex');
const owner = () => shop.owner.token;

const ok = (res: GqlResult, name: string) => okPayload(res, name, 'product');

const failures = (res: GqlResult, name: string) => failuresOf(res, name, 'product');

/** A variant input with a fresh SKU. */
const variant = (overrides: Record<string, unknown> = {}) => ({ sku: `V-${hex()}`, title: 'Default', options: [] as { name: string; value: string }[], price: '99.00', stockOnHand: 1, ...overrides });
const colour = (value: string) => [{ name: 'Colour', value }];

const SHIRT_ATTRIBUTES = [
  { name: 'Material', value: 'Cotton' },
  { name: 'Size', value: 'M' },
  { name: 'Weight (g)', value: '180' },
];
const withAttribute = (name: string, value: string) => SHIRT_ATTRIBUTES.map((a) => (a.name === name ? { name, value } : a));
const withoutAttribute = (name: string) => SHIRT_ATTRIBUTES.filter((a) => a.name !== name);
const shirt = (overrides: Record<string, unknown> = {}) => productInput(shop.shopId, shirts, { title: 'Oxford Cotton Shirt', attributes: SHIRT_ATTRIBUTES, ...overrides });

const update = (input: Record<string, unknown>, token = owner()) => t.gql(UPDATE_PRODUCT, { input }, { token });
const submit = (id: string, token = owner()) => t.gql(SUBMIT_PRODUCT, { input: { id } }, { token });
const approve = (productId: string, token = reviewer.token) => t.gql(REVIEW_PRODUCT, { input: { productId, decision: 'APPROVE' } }, { token });
const reject = (productId: string, reason: string | null = 'The photos do not show the product', token = reviewer.token) =>
  t.gql(REVIEW_PRODUCT, { input: { productId, decision: 'REJECT', reason } }, { token });
const delist = (id: string, token = owner()) => t.gql(DELIST, { input: { id } }, { token });
const relist = (id: string, token = owner()) => t.gql(RELIST, { input: { id } }, { token });
const ban = (productId: string, reason = 'Counterfeit goods', token = ops.token) => t.gql(BAN, { input: { productId, reason } }, { token });
const view = async (id: string, token = owner()) => {
  const res = await t.gql(INSIDE_PRODUCT, { id }, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.product;
};
const publicView = async (id: string) => (await t.gql(PUBLIC_PRODUCT, { id })).data!.product;

const draft = (overrides: Record<string, unknown> = {}, s: Seller = shop) => createProduct(t, s.owner.token, productInput(s.shopId, audio, overrides));
const listed = (overrides: Record<string, unknown> = {}, s: Seller = shop) => listedProduct(t, s, reviewer.token, productInput(s.shopId, audio, overrides));

/** A product of `s` brought to `status` through the API. */
async function productIn(status: string, s: Seller = shop): Promise<string> {
  if (status === 'DRAFT') return draft({}, s);
  if (status === 'ACTIVE') return listed({}, s);
  if (status === 'PENDING_REVIEW' || status === 'REJECTED') {
    const id = await draft({}, s);
    ok(await submit(id, s.owner.token), 'submitProductForReview');
    if (status === 'REJECTED') ok(await reject(id), 'reviewProduct');
    return id;
  }
  const id = await listed({}, s);
  if (status === 'DELISTED') ok(await delist(id, s.owner.token), 'delistProduct');
  else if (status === 'BANNED') ok(await ban(id), 'banProduct');
  else throw new Error(`no recipe for ${status}`);
  return id;
}

/** Everything a product mutation may change: compared before and after a refused one. */
async function snapshot(id: string) {
  const key = keyOf(id);
  const [product] = await t.sql(
    `select status, listed, visible, title, description, tags, image_urls, attributes, category_id, category_path, brand_id,
            pending_revision, edited_since_decision, submitted_at, listed_at, min_price, max_price, updated_at
     from product where id = ?`,
    [key],
  );
  const variants = await t.sql('select id, sku, title, options, price, compare_at_price, on_hand, reserved, low_stock_threshold, position, archived from product_variant where product_id = ? order by id', [key]);
  const steps = await t.sql('select action, from_status, to_status, reason from product_status_change where product_id = ? order by id', [key]);
  const moves = await t.sql('select m.variant_id, m.delta_on_hand, m.reason from stock_movement m join product_variant v on v.id = m.variant_id where v.product_id = ? order by m.id', [key]);
  const audits = await t.sql("select action from audit_entry where target_type = 'Product' and target_id = ? order by id", [key]);
  return { product, variants, steps, moves, audits };
}

async function productCount(s: Seller = shop): Promise<number> {
  const [{ count }] = await t.sql('select count(*)::int as count from product where shop_id = ?', [s.shop.id]);
  return count;
}

async function lastStep(id: string) {
  return (await view(id)).statusHistory.at(-1);
}

/** The product's variants as `updateProduct` input, ids kept, stock left alone. */
const variantInputs = (product: any) =>
  product.variants.map((v: any) => ({ id: v.id, sku: v.sku, title: v.title, options: v.options, price: v.price.amount, compareAtPrice: v.compareAtPrice?.amount ?? null }));

// ---------------------------------------------------------------------------------------------

describe('creating products', () => {
  it('creates a DRAFT with variants, prices in minor units and an initial stock movement', async () => {
    const res = await t.gql(CREATE_PRODUCT, { input: productInput(shop.shopId, audio) }, { token: owner() });
    expect(res.errors).toBeUndefined();
    const { product, errors } = res.data!.createProduct;
    expect(errors).toEqual([]);
    expect(product).toMatchObject({
      status: 'DRAFT',
      priceRange: { min: { amount: '199.00', amountMinor: 19900, currency: 'CNY' }, max: { amount: '209.00' } },
      breadcrumb: [{ name: 'Audio' }],
    });
    expect(product.variants.map((v: { sku: string; inStock: boolean }) => v.inStock)).toEqual([true, false]);
    const moves = await t.sql('select delta_on_hand, reason from stock_movement m join product_variant v on v.id = m.variant_id where v.sku = ?', [product.variants[0].sku]);
    expect(moves).toEqual([{ delta_on_hand: 10, reason: 'INITIAL' }]);
  });

  it.each([
    ['an image URL that is not http or https', { imageUrls: ['ftp://img.example.com/a.jpg'] }, [['INVALID_INPUT', 'input.imageUrls.0']]],
    ['an image URL that is not a URL', { imageUrls: ['https://img.example.com/a.jpg', 'earphones.jpg'] }, [['INVALID_INPUT', 'input.imageUrls.1']]],
    ['no variant', { variants: [] }, [['INVALID_INPUT', 'input.variants']]],
    ['101 variants', { variants: Array.from({ length: 101 }, (_, i) => variant({ sku: `MANY-${i}`, options: colour(String(i)) })) }, [['INVALID_INPUT', 'input.variants']]],
    ['a SKU with a space', { variants: [variant({ sku: 'EAR 01' })] }, [['INVALID_INPUT', 'input.variants.0.sku']]],
    ['a SKU of 65 characters', { variants: [variant({ sku: 'A'.repeat(65) })] }, [['INVALID_INPUT', 'input.variants.0.sku']]],
    ['a price with more decimals than CNY has', { variants: [variant({ price: '19.999' })] }, [['INVALID_INPUT', 'input.variants.0.price']]],
    ['a negative price', { variants: [variant({ price: '-1.00' })] }, [['INVALID_INPUT', 'input.variants.0.price']]],
    ['a compare-at price with more decimals than CNY has', { variants: [variant({ compareAtPrice: '129.001' })] }, [['INVALID_INPUT', 'input.variants.0.compareAtPrice']]],
    ['negative stock', { variants: [variant({ stockOnHand: -1 })] }, [['INVALID_INPUT', 'input.variants.0.stockOnHand']]],
    ['stock above 1,000,000', { variants: [variant({ stockOnHand: 1_000_001 })] }, [['INVALID_INPUT', 'input.variants.0.stockOnHand']]],
    ['a negative low-stock threshold', { variants: [variant({ lowStockThreshold: -1 })] }, [['INVALID_INPUT', 'input.variants.0.lowStockThreshold']]],
    ['an option given twice on one variant', { variants: [variant({ options: [...colour('Red'), { name: 'colour', value: 'Blue' }] })] }, [['INVALID_INPUT', 'input.variants.0.options.1.name']]],
    ['six options on one variant', { variants: [variant({ options: ['A', 'B', 'C', 'D', 'E', 'F'].map((name) => ({ name, value: '1' })) })] }, [['INVALID_INPUT', 'input.variants.0.options']]],
    ['21 images', { imageUrls: Array.from({ length: 21 }, (_, i) => `https://img.example.com/${i}.jpg`) }, [['INVALID_INPUT', 'input.imageUrls']]],
    ['a tag of 31 characters', { tags: ['ok', 't'.repeat(31)] }, [['INVALID_INPUT', 'input.tags.1']]],
    ['an attribute given twice', { attributes: [{ name: 'Colour', value: 'Red' }, { name: 'COLOUR', value: 'Blue' }] }, [['INVALID_INPUT', 'input.attributes.1.name']]],
    ['a title of 121 characters', { title: '耳'.repeat(121) }, [['INVALID_INPUT', 'input.title']]],
    ['the same SKU on two of its variants', { variants: [variant({ sku: 'TWIN-1', options: colour('Red') }), variant({ sku: 'TWIN-1', options: colour('Blue') })] }, [['SKU_TAKEN', 'input.variants.1.sku']]],
  ])('refuses to create a product with %s and creates nothing', async (_what, overrides, expected) => {
    const before = await productCount();
    const res = await t.gql(CREATE_PRODUCT, { input: productInput(shop.shopId, audio, overrides) }, { token: owner() });
    expect(failures(res, 'createProduct')).toEqual(expected);
    expect(await productCount()).toBe(before);
  });

  it('reports every shape problem of one input together', async () => {
    const res = await t.gql(
      CREATE_PRODUCT,
      { input: productInput(shop.shopId, audio, { imageUrls: ['mailto:shop@example.com'], variants: [variant({ sku: 'bad sku', price: '1.234', stockOnHand: -5 })] }) },
      { token: owner() },
    );
    expect(failures(res, 'createProduct')).toEqual([
      ['INVALID_INPUT', 'input.imageUrls.0'],
      ['INVALID_INPUT', 'input.variants.0.sku'],
      ['INVALID_INPUT', 'input.variants.0.price'],
      ['INVALID_INPUT', 'input.variants.0.stockOnHand'],
    ]);
  });

  it('refuses a SKU another product of the shop uses (SKU_TAKEN on that variant), but allows it in another shop', async () => {
    const sku = `DUP-${hex()}`;
    await draft({ variants: [variant({ sku })] });
    const before = await productCount();
    const clash = await t.gql(CREATE_PRODUCT, { input: productInput(shop.shopId, audio, { variants: [variant({ options: colour('Red') }), variant({ sku, options: colour('Blue') })] }) }, { token: owner() });
    expect(failures(clash, 'createProduct')).toEqual([['SKU_TAKEN', 'input.variants.1.sku']]);
    expect(await productCount()).toBe(before);

    const elsewhere = await t.gql(CREATE_PRODUCT, { input: productInput(other.shopId, audio, { variants: [variant({ sku })] }) }, { token: other.owner.token });
    expect(ok(elsewhere, 'createProduct').variants.map((v: { sku: string }) => v.sku)).toEqual([sku]);
  });

  it('refuses an edit that gives a variant the SKU of another product of the shop', async () => {
    const sku = `DUP-${hex()}`;
    await draft({ variants: [variant({ sku })] });
    const id = await draft();
    const before = await snapshot(id);
    const current = await view(id);
    const res = await update({ id, variants: [{ ...variantInputs(current)[0], sku }, variantInputs(current)[1]] });
    expect(failures(res, 'updateProduct')).toEqual([['SKU_TAKEN', 'input.variants.0.sku']]);
    expect(await snapshot(id)).toEqual(before);
  });

  it('refuses an edit that lists one variant twice, so its stock count cannot be applied twice', async () => {
    const id = await draft();
    const before = await snapshot(id);
    const [first] = variantInputs(await view(id));
    const res = await update({ id, variants: [{ ...first, stockOnHand: 15 }, { ...first, sku: `${first.sku}-2`, stockOnHand: 15 }] });
    expect(failures(res, 'updateProduct')).toEqual([['INVALID_INPUT', 'input.variants.1.id']]);
    expect(await snapshot(id)).toEqual(before);
  });

  it('frees the SKU of a removed variant for another product of the shop', async () => {
    const id = await draft();
    const current = await view(id);
    const [kept, removed] = variantInputs(current);
    ok(await update({ id, variants: [kept] }), 'updateProduct');
    const [row] = await t.sql('select archived from product_variant where sku = ? and shop_id = ?', [removed.sku, shop.shop.id]);
    expect(row.archived).toBe(true);
    const reuse = await t.gql(CREATE_PRODUCT, { input: productInput(shop.shopId, audio, { variants: [variant({ sku: removed.sku })] }) }, { token: owner() });
    expect(ok(reuse, 'createProduct').variants[0].sku).toBe(removed.sku);
  });

  it.each([
    ['category', 'categoryId', () => toGlobalId('Category', '987654321'), 'CATEGORY_NOT_FOUND'],
    ['brand', 'brandId', () => toGlobalId('Brand', '987654321'), 'BRAND_NOT_FOUND'],
  ])('refuses an unknown %s with its not-found code on the field, and creates nothing', async (_what, field, value, expected) => {
    const before = await productCount();
    const res = await t.gql(CREATE_PRODUCT, { input: productInput(shop.shopId, audio, { [field]: value() }) }, { token: owner() });
    expect(failures(res, 'createProduct')).toEqual([[expected, `input.${field}`]]);
    expect(await productCount()).toBe(before);
  });

  it('keeps the brand when brandId is omitted from an edit, and removes it on an explicit null', async () => {
    const id = await draft({ brandId: brandA });
    expect(ok(await update({ id, title: 'Renamed, brand kept' }), 'updateProduct').brand).toEqual({ id: brandA, name: 'Aurora Sound' });
    expect(ok(await update({ id, brandId: null }), 'updateProduct').brand).toBeNull();
    const [row] = await t.sql('select brand_id from product where id = ?', [keyOf(id)]);
    expect(row.brand_id).toBeNull();
  });

  it('refuses to move a product to an unknown category or brand, changing nothing', async () => {
    const id = await draft();
    const before = await snapshot(id);
    expect(failures(await update({ id, categoryId: toGlobalId('Category', '987654321') }), 'updateProduct')).toEqual([['CATEGORY_NOT_FOUND', 'input.categoryId']]);
    expect(failures(await update({ id, brandId: toGlobalId('Brand', '987654321') }), 'updateProduct')).toEqual([['BRAND_NOT_FOUND', 'input.brandId']]);
    expect(await snapshot(id)).toEqual(before);
  });
});

describe('the listing standard on submit', () => {
  it('accepts a product that just meets it: a 5-character Chinese title, a 20-character description, one image, every attribute valid', async () => {
    const id = await createProduct(
      t,
      owner(),
      shirt({
        title: '純棉牛津衫',
        description: '純棉'.repeat(10),
        imageUrls: ['http://img.example.com/shirt.jpg'],
        // Attribute names match the template in any letter case.
        attributes: [
          { name: 'material', value: 'Cotton' },
          { name: 'SIZE', value: 'S' },
          { name: 'Weight (g)', value: '180.5' },
          { name: 'Fit', value: 'Slim' },
        ],
        variants: [variant({ price: '0.01', compareAtPrice: '0.01', options: colour('White') }), variant({ options: colour('Blue') })],
      }),
    );
    expect(ok(await submit(id), 'submitProductForReview')).toEqual({ id, status: 'PENDING_REVIEW' });
    const [row] = await t.sql('select submitted_at from product where id = ?', [keyOf(id)]);
    expect(row.submitted_at).not.toBeNull();
  });

  it('accepts a title of 120 Chinese characters (characters are counted, not bytes)', async () => {
    const id = await draft({ title: '耳'.repeat(120) });
    expect(ok(await submit(id), 'submitProductForReview').status).toBe('PENDING_REVIEW');
  });

  it.each([
    ['a title of 4 characters', { title: 'Tiny' }, 'product.title'],
    ['a Chinese title of 4 characters', { title: '純棉襯衫' }, 'product.title'],
    ['a title of 4 characters padded with spaces', { title: '  Tiny  ' }, 'product.title'],
    ['a description of 19 characters', { description: '純棉'.repeat(9) + '衫' }, 'product.description'],
    ['no image', { imageUrls: [] }, 'product.imageUrls'],
    ['no value for a required attribute of its category', { attributes: withoutAttribute('Size') }, 'product.attributes'],
    ['no value for a required attribute inherited from the parent category', { attributes: withoutAttribute('Material') }, 'product.attributes'],
    ['a NUMBER attribute that is not a number', { attributes: withAttribute('Weight (g)', 'heavy') }, 'product.attributes.2.value'],
    ['an ENUM attribute value that is not allowed', { attributes: withAttribute('Size', 'XXL') }, 'product.attributes.1.value'],
    ['an attribute its category does not have', { attributes: [...SHIRT_ATTRIBUTES, { name: 'Colourway', value: 'Blue' }] }, 'product.attributes.3.name'],
    ['a zero price', { variants: [variant({ price: '0.00' })] }, 'product.variants.0.price'],
    ['a compare-at price below the price', { variants: [variant({ price: '100.00', compareAtPrice: '99.99' })] }, 'product.variants.0.compareAtPrice'],
    [
      'two variants with the same option values (in any order and case)',
      {
        variants: [
          variant({ options: [{ name: 'Colour', value: 'Red' }, { name: 'Size', value: 'M' }] }),
          variant({ options: [{ name: 'size', value: 'm' }, { name: 'colour', value: 'RED' }] }),
        ],
      },
      'product.variants.1.options',
    ],
  ])('refuses to submit a product with %s (LISTING_STANDARD on the field), leaving it a DRAFT', async (_what, overrides, field) => {
    const id = await createProduct(t, owner(), shirt(overrides));
    const before = await snapshot(id);
    expect(failures(await submit(id), 'submitProductForReview')).toEqual([['LISTING_STANDARD', field]]);
    expect(await snapshot(id)).toEqual(before);
    expect(before.product.status).toBe('DRAFT');
  });

  it('reports every broken rule together', async () => {
    const id = await createProduct(t, owner(), shirt({ title: 'Tiny', imageUrls: [], attributes: withAttribute('Size', 'XXL'), variants: [variant({ price: '0' })] }));
    expect(failures(await submit(id), 'submitProductForReview')).toEqual([
      ['LISTING_STANDARD', 'product.title'],
      ['LISTING_STANDARD', 'product.imageUrls'],
      ['LISTING_STANDARD', 'product.attributes.1.value'],
      ['LISTING_STANDARD', 'product.variants.0.price'],
    ]);
  });

  it('lets a DRAFT hold a zero price until it is submitted', async () => {
    const id = await draft();
    const current = await view(id);
    const [first, second] = variantInputs(current);
    expect(ok(await update({ id, variants: [{ ...first, price: '0', compareAtPrice: null }, second] }), 'updateProduct').status).toBe('DRAFT');
    expect(failures(await submit(id), 'submitProductForReview')).toEqual([['LISTING_STANDARD', 'product.variants.0.price']]);
  });
});

describe('the product life cycle', () => {
  it('goes DRAFT → PENDING_REVIEW on submit (hidden from the public) and → ACTIVE on approval (on sale)', async () => {
    const id = await draft();
    expect(ok(await submit(id), 'submitProductForReview').status).toBe('PENDING_REVIEW');
    expect(await publicView(id)).toBeNull();
    const approved = ok(await approve(id), 'reviewProduct');
    expect(approved.status).toBe('ACTIVE');
    expect(await publicView(id)).toMatchObject({ id, status: 'ACTIVE' });
    const [row] = await t.sql('select listed, visible, listed_at from product where id = ?', [keyOf(id)]);
    expect(row).toMatchObject({ listed: true, visible: true });
    expect(row.listed_at).not.toBeNull();
  });

  it('submits, approves and shows the product to anonymous shoppers in search', async () => {
    const id = await listedProduct(t, shop, reviewer.token, productInput(shop.shopId, audio, { title: '無線藍牙耳機 降噪版' }));
    const res = await t.gql(`query($id: ID!) { product(id: $id) { id status title } }`, { id });
    expect(res.data!.product).toEqual({ id, status: 'ACTIVE', title: '無線藍牙耳機 降噪版' });
    const search = await t.gql(`{ products(filter: { search: "耳機" }) { totalCount nodes { id } } }`);
    expect(search.errors).toBeUndefined();
    expect(search.data!.products.nodes.map((n: { id: string }) => n.id)).toContain(id);
  });

  it.each([null, '', '   ', 'no'])('refuses to reject without a reason (%j) with REASON_REQUIRED, leaving the product waiting', async (reason) => {
    const id = await productIn('PENDING_REVIEW');
    const before = await snapshot(id);
    expect(failures(await reject(id, reason), 'reviewProduct')).toEqual([['REASON_REQUIRED', 'input.reason']]);
    expect(await snapshot(id)).toEqual(before);
  });

  it('rejects with a reason the shop sees, and takes the product back for review only after an edit (PRODUCT_UNCHANGED before)', async () => {
    const id = await productIn('PENDING_REVIEW');
    expect(ok(await reject(id, 'The main photo is blurry'), 'reviewProduct').status).toBe('REJECTED');
    expect(await lastStep(id)).toMatchObject({ action: 'REJECT', fromStatus: 'PENDING_REVIEW', toStatus: 'REJECTED', reason: 'The main photo is blurry', byStaff: true });

    const before = await snapshot(id);
    expect(failures(await submit(id), 'submitProductForReview')).toEqual([['PRODUCT_UNCHANGED', 'input.id']]);
    expect(await snapshot(id)).toEqual(before);

    expect(ok(await update({ id, imageUrls: ['https://img.example.com/sharp.jpg'] }), 'updateProduct').status).toBe('REJECTED');
    expect(ok(await submit(id), 'submitProductForReview').status).toBe('PENDING_REVIEW');

    // A second rejection needs a second edit.
    ok(await reject(id, 'Still blurry'), 'reviewProduct');
    expect(failures(await submit(id), 'submitProductForReview')).toEqual([['PRODUCT_UNCHANGED', 'input.id']]);
  });

  it('counts a variant change of a rejected product as an edit', async () => {
    const id = await productIn('REJECTED');
    const current = await view(id);
    const [first, second] = variantInputs(current);
    ok(await update({ id, variants: [{ ...first, price: '189.00' }, second] }), 'updateProduct');
    expect(ok(await submit(id), 'submitProductForReview').status).toBe('PENDING_REVIEW');
  });

  it('takes a product off sale and puts it back (ACTIVE ⇄ DELISTED) without review', async () => {
    const id = await listed();
    expect(ok(await delist(id), 'delistProduct').status).toBe('DELISTED');
    expect(await publicView(id)).toBeNull();
    expect(ok(await relist(id), 'relistProduct').status).toBe('ACTIVE');
    expect(await publicView(id)).toMatchObject({ status: 'ACTIVE' });
    const steps = (await view(id)).statusHistory.slice(-2);
    expect(steps).toMatchObject([
      { action: 'DELIST', fromStatus: 'ACTIVE', toStatus: 'DELISTED', byStaff: false },
      { action: 'RELIST', fromStatus: 'DELISTED', toStatus: 'ACTIVE', byStaff: false },
    ]);
  });

  it('sends a DELISTED product back to DRAFT when its content is edited; it needs review again', async () => {
    const id = await productIn('DELISTED');
    const edited = ok(await update({ id, title: 'Earphones, Second Edition' }), 'updateProduct');
    expect(edited).toMatchObject({ status: 'DRAFT', title: 'Earphones, Second Edition', pendingRevision: null });
    expect(await lastStep(id)).toMatchObject({ action: 'REOPEN', fromStatus: 'DELISTED', toStatus: 'DRAFT' });
    expect(await publicView(id)).toBeNull();
    expect(failures(await relist(id), 'relistProduct')).toEqual([['INVALID_TRANSITION', '']]);
    ok(await submit(id), 'submitProductForReview');
    ok(await approve(id), 'reviewProduct');
    expect(await publicView(id)).toMatchObject({ status: 'ACTIVE', title: 'Earphones, Second Edition' });
  });

  it('keeps a DELISTED product delisted when only its prices change', async () => {
    const id = await productIn('DELISTED');
    const [first, second] = variantInputs(await view(id));
    expect(ok(await update({ id, variants: [{ ...first, price: '179.00' }, second] }), 'updateProduct').status).toBe('DELISTED');
    expect(ok(await relist(id), 'relistProduct').status).toBe('ACTIVE');
    expect((await publicView(id)).priceRange.min.amount).toBe('179.00');
  });

  it('checks a content edit of a DELISTED product against the listing standard', async () => {
    const id = await productIn('DELISTED');
    const before = await snapshot(id);
    expect(failures(await update({ id, description: 'Too short' }), 'updateProduct')).toEqual([['LISTING_STANDARD', 'input.description']]);
    expect(await snapshot(id)).toEqual(before);
  });

  it.each(['DRAFT', 'PENDING_REVIEW', 'ACTIVE', 'REJECTED', 'DELISTED'])('bans a product in state %s with a reason: off sale, and no shop action works on it any more', async (status) => {
    const id = await productIn(status);
    expect(ok(await ban(id, 'Sells counterfeit goods'), 'banProduct').status).toBe('BANNED');
    expect(await lastStep(id)).toMatchObject({ action: 'BAN', fromStatus: status, toStatus: 'BANNED', reason: 'Sells counterfeit goods', byStaff: true });
    const before = await snapshot(id);
    expect(before.product).toMatchObject({ listed: false, visible: false, pending_revision: null });
    expect(await publicView(id)).toBeNull();

    const [first, second] = variantInputs(await view(id));
    const refused: [GqlResult, string][] = [
      [await update({ id, title: 'A brand new title' }), 'updateProduct'],
      [await update({ id, variants: [{ ...first, price: '1.00' }, second] }), 'updateProduct'],
      [await submit(id), 'submitProductForReview'],
      [await delist(id), 'delistProduct'],
      [await relist(id), 'relistProduct'],
      [await approve(id), 'reviewProduct'],
      [await reject(id), 'reviewProduct'],
      [await ban(id), 'banProduct'],
    ];
    for (const [res, name] of refused) expect(failures(res, name)).toEqual([['INVALID_TRANSITION', '']]);
    expect(await snapshot(id)).toEqual(before);
  });

  it('bans a product on sale that has an edit waiting, dropping the edit', async () => {
    const id = await listed();
    ok(await update({ id, title: 'An edit that waits for review' }), 'updateProduct');
    ok(await ban(id), 'banProduct');
    const product = await view(id);
    expect(product).toMatchObject({ status: 'BANNED', pendingRevision: null, title: 'Wireless Earphones Pro' });
  });

  it.each(['', '   ', 'no'])('refuses a ban without a reason (%j) with REASON_REQUIRED, changing nothing', async (reason) => {
    const id = await listed();
    const before = await snapshot(id);
    expect(failures(await ban(id, reason), 'banProduct')).toEqual([['REASON_REQUIRED', 'input.reason']]);
    expect(await snapshot(id)).toEqual(before);
  });

  const ACTIONS: Record<string, [(id: string) => Promise<GqlResult>, string]> = {
    submit: [(id) => submit(id), 'submitProductForReview'],
    delist: [(id) => delist(id), 'delistProduct'],
    relist: [(id) => relist(id), 'relistProduct'],
    approve: [(id) => approve(id), 'reviewProduct'],
    reject: [(id) => reject(id), 'reviewProduct'],
  };
  it.each([
    ['delist', 'DRAFT'],
    ['delist', 'PENDING_REVIEW'],
    ['delist', 'REJECTED'],
    ['delist', 'DELISTED'],
    ['relist', 'ACTIVE'],
    ['relist', 'DRAFT'],
    ['relist', 'REJECTED'],
    ['submit', 'ACTIVE'],
    ['submit', 'PENDING_REVIEW'],
    ['submit', 'DELISTED'],
    ['approve', 'ACTIVE'],
    ['approve', 'DRAFT'],
    ['approve', 'REJECTED'],
    ['approve', 'DELISTED'],
    ['reject', 'DRAFT'],
    ['reject', 'ACTIVE'],
    ['reject', 'REJECTED'],
  ])('refuses to %s a product in state %s with INVALID_TRANSITION, changing nothing', async (action, status) => {
    const id = await productIn(status);
    const before = await snapshot(id);
    const [run, name] = ACTIONS[action];
    expect(failures(await run(id), name)).toEqual([['INVALID_TRANSITION', '']]);
    expect(await snapshot(id)).toEqual(before);
  });
});

describe('editing a product on sale', () => {
  const listShirt = () => listedProduct(t, shop, reviewer.token, shirt());

  it.each([
    ['title', listed, () => ({ title: 'Wireless Earphones Pro II' })],
    ['images', listed, () => ({ imageUrls: ['https://img.example.com/new-angle.jpg', 'https://img.example.com/box.jpg'] })],
    ['category', listed, () => ({ categoryId: video })],
    ['brand', listed, () => ({ brandId: brandB })],
    ['tags', listed, () => ({ tags: ['wireless', 'noise-cancelling'] })],
    ['attributes', listShirt, () => ({ attributes: withAttribute('Material', 'Linen') })],
  ])('sends a change of its %s to review, keeping the approved version on sale', async (_what, make, patch) => {
    const id = await make();
    const live = await publicView(id);
    const edited = ok(await update({ id, ...patch() }), 'updateProduct');
    expect(edited.status).toBe('PENDING_REVIEW');

    const inside = await view(id);
    const expected = patch() as Record<string, unknown>;
    const revision = { ...inside.pendingRevision, categoryId: inside.pendingRevision.category.id, brandId: inside.pendingRevision.brand?.id ?? null };
    for (const [field, value] of Object.entries(expected)) expect(revision[field]).toEqual(value);
    expect(inside.statusHistory.at(-1)).toMatchObject({ action: 'REVISE', fromStatus: 'ACTIVE', toStatus: 'PENDING_REVIEW', byStaff: false });

    // The public still sees the approved version, as ACTIVE.
    expect(await publicView(id)).toEqual(live);
    const [row] = await t.sql('select visible, listed from product where id = ?', [keyOf(id)]);
    expect(row).toEqual({ visible: true, listed: true });
  });

  it('puts an approved edit on sale, moving the product to its new category', async () => {
    const id = await listed();
    ok(await update({ id, categoryId: video, title: 'Earphones for Video Calls' }), 'updateProduct');
    expect(ok(await approve(id), 'reviewProduct')).toMatchObject({ status: 'ACTIVE', title: 'Earphones for Video Calls' });
    expect(await publicView(id)).toMatchObject({ status: 'ACTIVE', category: { id: video }, title: 'Earphones for Video Calls' });
    expect((await view(id)).pendingRevision).toBeNull();
    const [row] = await t.sql('select p.category_path = c.path as path_follows from product p join category c on c.id = p.category_id where p.id = ?', [keyOf(id)]);
    expect(row.path_follows).toBe(true);
    const inVideo = await t.gql(`query($c: ID!) { products(filter: { categoryId: $c }, first: 100) { nodes { id } } }`, { c: video });
    expect(inVideo.data!.products.nodes.map((n: { id: string }) => n.id)).toContain(id);
  });

  it('drops a rejected edit: the product stays ACTIVE with its approved content, and the shop sees why', async () => {
    const id = await listed();
    const live = await publicView(id);
    ok(await update({ id, title: 'Best Earphones In The World!!!' }), 'updateProduct');
    const rejected = ok(await reject(id, 'Superlatives are not allowed in titles'), 'reviewProduct');
    expect(rejected).toMatchObject({ status: 'ACTIVE', title: 'Wireless Earphones Pro' });
    const inside = await view(id);
    expect(inside.pendingRevision).toBeNull();
    expect(inside.statusHistory.at(-1)).toMatchObject({ action: 'REJECT', fromStatus: 'PENDING_REVIEW', toStatus: 'ACTIVE', reason: 'Superlatives are not allowed in titles' });
    expect(await publicView(id)).toEqual(live);
    // Still on sale: the shop may take it down, as from any ACTIVE product.
    expect(ok(await delist(id), 'delistProduct').status).toBe('DELISTED');
  });

  it('replaces a waiting edit with a newer one, the approved version still on sale', async () => {
    const id = await listed();
    ok(await update({ id, title: 'First Edit Of The Title' }), 'updateProduct');
    const second = ok(await update({ id, description: 'A second edit that rewrites the description completely.' }), 'updateProduct');
    expect(second).toMatchObject({ status: 'PENDING_REVIEW', title: 'Wireless Earphones Pro', pendingRevision: { title: 'First Edit Of The Title' } });
    expect((await view(id)).pendingRevision.description).toBe('A second edit that rewrites the description completely.');
    expect((await publicView(id)).title).toBe('Wireless Earphones Pro');
    ok(await approve(id), 'reviewProduct');
    expect(await publicView(id)).toMatchObject({ title: 'First Edit Of The Title' });
  });

  it('refuses a content edit below the listing standard, changing nothing', async () => {
    const id = await listed();
    const before = await snapshot(id);
    expect(failures(await update({ id, title: 'Pro', imageUrls: [] }), 'updateProduct')).toEqual([
      ['LISTING_STANDARD', 'input.title'],
      ['LISTING_STANDARD', 'input.imageUrls'],
    ]);
    expect(await snapshot(id)).toEqual(before);
  });

  it("checks a move to another category against that category's attributes", async () => {
    const id = await listed();
    const before = await snapshot(id);
    expect(failures(await update({ id, categoryId: shirts }), 'updateProduct')).toEqual([
      ['LISTING_STANDARD', 'input.attributes'],
      ['LISTING_STANDARD', 'input.attributes'],
      ['LISTING_STANDARD', 'input.attributes'],
    ]);
    expect(await snapshot(id)).toEqual(before);
  });

  it('applies a price change at once, without review', async () => {
    const id = await listed();
    const steps = (await snapshot(id)).steps;
    const [first, second] = variantInputs(await view(id));
    const edited = ok(await update({ id, variants: [{ ...first, price: '149.00', compareAtPrice: '249.00' }, second] }), 'updateProduct');
    expect(edited).toMatchObject({ status: 'ACTIVE', pendingRevision: null, priceRange: { min: { amount: '149.00' } } });
    expect(await publicView(id)).toMatchObject({ status: 'ACTIVE', priceRange: { min: { amount: '149.00' }, max: { amount: '209.00' } } });
    expect((await snapshot(id)).steps).toEqual(steps);
  });

  it.each([
    ['a zero price', (v: any[]) => [{ ...v[0], price: '0.00', compareAtPrice: null }, v[1]], 'input.variants.0.price'],
    ['a compare-at price below the price', (v: any[]) => [v[0], { ...v[1], compareAtPrice: '100.00' }], 'input.variants.1.compareAtPrice'],
    ['two variants with the same options', (v: any[]) => [v[0], { ...v[1], options: v[0].options }], 'input.variants.1.options'],
  ])('refuses a price edit with %s (LISTING_STANDARD), changing nothing', async (_what, change, field) => {
    const id = await listed();
    const before = await snapshot(id);
    expect(failures(await update({ id, variants: change(variantInputs(await view(id))) }), 'updateProduct')).toEqual([['LISTING_STANDARD', field]]);
    expect(await snapshot(id)).toEqual(before);
  });

  it('records a stock change through variants[].stockOnHand as a CORRECTION, and leaves stock alone when it is omitted', async () => {
    const id = await listed();
    const key = keyOf(id);
    const [first, second] = variantInputs(await view(id));
    const added = variant({ options: colour('Green'), stockOnHand: 4 });
    const edited = ok(await update({ id, variants: [{ ...first, stockOnHand: 7 }, second, added] }), 'updateProduct');
    expect(edited.status).toBe('ACTIVE');
    const inside = await view(id);
    expect(inside.variants.map((v: any) => [v.sku, v.stock.onHand])).toEqual([
      [first.sku, 7],
      [second.sku, 0],
      [added.sku, 4],
    ]);
    const moves = await t.sql(
      'select v.sku, m.delta_on_hand, m.reason, m.actor_id from stock_movement m join product_variant v on v.id = m.variant_id where v.product_id = ? order by m.id',
      [key],
    );
    expect(moves).toEqual([
      { sku: first.sku, delta_on_hand: 10, reason: 'INITIAL', actor_id: shop.owner.user.id },
      { sku: first.sku, delta_on_hand: -3, reason: 'CORRECTION', actor_id: shop.owner.user.id },
      { sku: added.sku, delta_on_hand: 4, reason: 'INITIAL', actor_id: shop.owner.user.id },
    ]);
  });

  it('refuses to set stock below the units reserved by checkouts, or to remove a variant holding some (STOCK_RESERVED), changing nothing', async () => {
    const id = await listed();
    const [first, second] = variantInputs(await view(id));
    await t.sql('update product_variant set reserved = 3 where shop_id = ? and sku = ?', [shop.shop.id, first.sku]);
    const before = await snapshot(id);
    expect(failures(await update({ id, variants: [{ ...first, stockOnHand: 2 }, second] }), 'updateProduct')).toEqual([['STOCK_RESERVED', 'input.variants.0.stockOnHand']]);
    expect(failures(await update({ id, variants: [second] }), 'updateProduct')).toEqual([['STOCK_RESERVED', 'input.variants']]);
    expect(await snapshot(id)).toEqual(before);
    const [kept] = ok(await update({ id, variants: [{ ...first, stockOnHand: 3 }, second] }), 'updateProduct').variants;
    expect(kept.inStock).toBe(false);
  });

  it("refuses to take over another shop's variant by its id, changing neither product", async () => {
    const mine = await draft();
    const theirs = await draft({}, other);
    const theirVariant = (await view(theirs, other.owner.token)).variants[0];
    const [before, theirsBefore] = [await snapshot(mine), await snapshot(theirs)];
    const res = await update({ id: mine, variants: [{ id: theirVariant.id, sku: `X-${hex()}`, title: 'Stolen', options: [], price: '1.00', stockOnHand: 0 }] });
    expect(failures(res, 'updateProduct')).toEqual([['INVALID_INPUT', 'input.variants.0.id']]);
    expect(await snapshot(mine)).toEqual(before);
    expect(await snapshot(theirs)).toEqual(theirsBefore);
  });
});

describe('status history and next actions', () => {
  it('shows every step with its reasons, oldest first, and what the shop and staff may do next', async () => {
    const id = await draft();
    const next = async () => [(await view(id)).nextActions, (await view(id, reviewer.token)).nextActions];
    expect(await next()).toEqual([['SUBMIT'], ['BAN']]);
    ok(await submit(id), 'submitProductForReview');
    expect(await next()).toEqual([[], ['APPROVE', 'REJECT', 'BAN']]);
    ok(await reject(id, 'Add a photo of the box'), 'reviewProduct');
    expect(await next()).toEqual([['SUBMIT'], ['BAN']]);
    ok(await update({ id, imageUrls: ['https://img.example.com/box.jpg'] }), 'updateProduct');
    ok(await submit(id), 'submitProductForReview');
    ok(await approve(id), 'reviewProduct');
    expect(await next()).toEqual([['DELIST'], ['BAN']]);
    ok(await delist(id), 'delistProduct');
    expect(await next()).toEqual([['RELIST'], ['BAN']]);
    ok(await relist(id), 'relistProduct');
    ok(await update({ id, title: 'Wireless Earphones Pro Max' }), 'updateProduct');
    ok(await approve(id), 'reviewProduct');
    ok(await ban(id, 'Fake certification marks'), 'banProduct');
    expect(await next()).toEqual([[], []]);

    const history = (await view(id)).statusHistory;
    expect(history.map((s: any) => [s.action, s.fromStatus, s.toStatus, s.reason, s.byStaff])).toEqual([
      ['CREATE', null, 'DRAFT', null, false],
      ['SUBMIT', 'DRAFT', 'PENDING_REVIEW', null, false],
      ['REJECT', 'PENDING_REVIEW', 'REJECTED', 'Add a photo of the box', true],
      ['SUBMIT', 'REJECTED', 'PENDING_REVIEW', null, false],
      ['APPROVE', 'PENDING_REVIEW', 'ACTIVE', null, true],
      ['DELIST', 'ACTIVE', 'DELISTED', null, false],
      ['RELIST', 'DELISTED', 'ACTIVE', null, false],
      ['REVISE', 'ACTIVE', 'PENDING_REVIEW', null, false],
      ['APPROVE', 'PENDING_REVIEW', 'ACTIVE', null, true],
      ['BAN', 'ACTIVE', 'BANNED', 'Fake certification marks', true],
    ]);
    const times = history.map((s: any) => Date.parse(s.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect((await view(id, ops.token)).statusHistory).toEqual(history);
  });
});

describe('who may change products', () => {
  it.each([OWNER, MANAGER, OPERATOR])('lets a shop %s create, edit, submit, delist and relist products', async (role) => {
    const token = members[role].token;
    const id = ok(await t.gql(CREATE_PRODUCT, { input: productInput(shop.shopId, audio) }, { token }), 'createProduct').id;
    expect(ok(await update({ id, title: `Edited by the ${role}` }, token), 'updateProduct').title).toBe(`Edited by the ${role}`);
    expect(ok(await submit(id, token), 'submitProductForReview').status).toBe('PENDING_REVIEW');
    ok(await approve(id), 'reviewProduct');
    expect(ok(await delist(id, token), 'delistProduct').status).toBe('DELISTED');
    expect(ok(await relist(id, token), 'relistProduct').status).toBe('ACTIVE');
    const actors = await t.sql("select distinct actor_id from product_status_change where product_id = ? and not by_staff", [keyOf(id)]);
    expect(actors).toEqual([{ actor_id: members[role].user.id }]);
  });

  describe('refusals', () => {
    let draftId: string;
    let activeId: string;
    let delistedId: string;
    beforeAll(async () => {
      [draftId, activeId, delistedId] = [await productIn('DRAFT'), await productIn('ACTIVE'), await productIn('DELISTED')];
    });

    it.each([
      ['a CUSTOMER_SERVICE member of the shop', 'FORBIDDEN', () => members[CUSTOMER_SERVICE].token],
      ['a FINANCE member of the shop', 'FORBIDDEN', () => members[FINANCE].token],
      ['a shopper who is no member', 'NOT_FOUND', () => shopper.token],
      ['the OWNER of another shop', 'NOT_FOUND', () => other.owner.token],
      ['staff who are no member (ADMIN)', 'NOT_FOUND', () => admin.token],
      ['an anonymous caller', 'UNAUTHENTICATED', () => undefined],
    ])('refuses every product mutation of the shop to %s with a thrown %s, changing nothing', async (_who, expected, token) => {
      const ids = [draftId, activeId, delistedId];
      const before = await Promise.all(ids.map(snapshot));
      const count = await productCount();
      const calls: [string, Record<string, unknown>][] = [
        [CREATE_PRODUCT, { input: productInput(shop.shopId, audio) }],
        [UPDATE_PRODUCT, { input: { id: draftId, title: 'Taken over by someone else' } }],
        [UPDATE_PRODUCT, { input: { id: activeId, title: 'Taken over by someone else' } }],
        [SUBMIT_PRODUCT, { input: { id: draftId } }],
        [DELIST, { input: { id: activeId } }],
        [RELIST, { input: { id: delistedId } }],
      ];
      for (const [query, variables] of calls) {
        const res = await t.gql(query, variables, { token: token() });
        expect(code(res)).toBe(expected);
        expect(res.data).toBeNull();
      }
      expect(await Promise.all(ids.map(snapshot))).toEqual(before);
      expect(await productCount()).toBe(count);
    });

    it("hides another shop's draft from a member of this shop, and this shop's draft from them", async () => {
      const theirs = await draft({}, other);
      expect((await t.gql(PUBLIC_PRODUCT, { id: theirs }, { token: owner() })).data!.product).toBeNull();
      expect((await t.gql(PUBLIC_PRODUCT, { id: draftId }, { token: other.owner.token })).data!.product).toBeNull();
      expect((await t.gql(PUBLIC_PRODUCT, { id: draftId }, { token: members[FINANCE].token })).data!.product).toMatchObject({ id: draftId, status: 'DRAFT' });
    });
  });

  it.each(['SUSPENDED', 'CLOSED'])('refuses to create or change products of a %s shop with SHOP_NOT_ACTIVE', async (status) => {
    const s = await seller(t);
    const [draftId, activeId] = [await productIn('DRAFT', s), await productIn('ACTIVE', s)];
    await t.sql('update shop set status = ? where id = ?', [status, s.shop.id]);
    const before = await Promise.all([draftId, activeId].map(snapshot));
    const count = await productCount(s);
    const refused: [GqlResult, string][] = [
      [await t.gql(CREATE_PRODUCT, { input: productInput(s.shopId, audio) }, { token: s.owner.token }), 'createProduct'],
      [await update({ id: draftId, title: 'Changed while suspended' }, s.owner.token), 'updateProduct'],
      [await update({ id: activeId, title: 'Changed while suspended' }, s.owner.token), 'updateProduct'],
      [await submit(draftId, s.owner.token), 'submitProductForReview'],
      [await delist(activeId, s.owner.token), 'delistProduct'],
    ];
    for (const [res, name] of refused) expect(failures(res, name)).toEqual([['SHOP_NOT_ACTIVE', '']]);
    expect(await Promise.all([draftId, activeId].map(snapshot))).toEqual(before);
    expect(await productCount(s)).toBe(count);
  });

  it('lets an ONBOARDING shop prepare products and have them approved before it opens', async () => {
    const s = await seller(t, 'ONBOARDING');
    const id = await listedProduct(t, s, reviewer.token, productInput(s.shopId, audio));
    expect((await view(id, s.owner.token)).status).toBe('ACTIVE');
    expect(await publicView(id)).toBeNull();
  });
});

describe('staff moderation', () => {
  it.each([
    ['REVIEWER', () => reviewer],
    ['OPERATIONS', () => ops],
    ['ADMIN', () => admin],
  ])('lets %s read the review queue and approve or reject', async (_role, who) => {
    const [a, b] = [await productIn('PENDING_REVIEW'), await productIn('PENDING_REVIEW')];
    const queue = await t.gql(QUEUE, { first: 100 }, { token: who().token });
    expect(queue.errors).toBeUndefined();
    expect(queue.data!.productsForReview.totalCount).toBeGreaterThanOrEqual(2);
    expect(ok(await approve(a, who().token), 'reviewProduct').status).toBe('ACTIVE');
    expect(ok(await reject(b, 'Wrong category', who().token), 'reviewProduct').status).toBe('REJECTED');
  });

  it.each([
    ['RISK staff', 'FORBIDDEN', () => risk.token],
    ['CUSTOMER_SERVICE staff', 'FORBIDDEN', () => supportStaff.token],
    ['a shopper', 'FORBIDDEN', () => shopper.token],
    ["the product's shop OWNER", 'FORBIDDEN', () => owner()],
    ['an anonymous caller', 'UNAUTHENTICATED', () => undefined],
  ])('refuses the review queue and reviewProduct to %s with a thrown %s, changing nothing', async (_who, expected, token) => {
    const id = await productIn('PENDING_REVIEW');
    const before = await snapshot(id);
    const calls: [string, Record<string, unknown>][] = [
      [QUEUE, {}],
      [REVIEW_PRODUCT, { input: { productId: id, decision: 'APPROVE' } }],
      [REVIEW_PRODUCT, { input: { productId: id, decision: 'REJECT', reason: 'Not allowed' } }],
    ];
    for (const [query, variables] of calls) {
      const res = await t.gql(query, variables, { token: token() });
      expect(code(res)).toBe(expected);
      expect(res.data).toBeNull();
    }
    expect(await snapshot(id)).toEqual(before);
  });

  it.each([
    ['OPERATIONS', () => ops],
    ['RISK', () => risk],
    ['ADMIN', () => admin],
  ])('lets %s ban a product', async (_role, who) => {
    const id = await listed();
    expect(ok(await ban(id, 'Prohibited item', who().token), 'banProduct').status).toBe('BANNED');
  });

  it.each([
    ['REVIEWER staff', 'FORBIDDEN', () => reviewer.token],
    ['CUSTOMER_SERVICE staff', 'FORBIDDEN', () => supportStaff.token],
    ["the product's shop OWNER", 'FORBIDDEN', () => owner()],
    ['an anonymous caller', 'UNAUTHENTICATED', () => undefined],
  ])('refuses banProduct to %s with a thrown %s, changing nothing', async (_who, expected, token) => {
    const id = await listed();
    const before = await snapshot(id);
    const res = await t.gql(BAN, { input: { productId: id, reason: 'Not allowed to ban' } }, { token: token() });
    expect(code(res)).toBe(expected);
    expect(res.data).toBeNull();
    expect(await snapshot(id)).toEqual(before);
  });

  it('writes an audit entry for each approval, rejection and ban, with the staff member, before and after', async () => {
    const approved = await productIn('PENDING_REVIEW');
    ok(await approve(approved), 'reviewProduct');
    const rejected = await productIn('PENDING_REVIEW');
    ok(await reject(rejected, 'Missing safety certificate', ops.token), 'reviewProduct');
    ok(await ban(approved, 'Counterfeit goods', risk.token), 'banProduct');
    const entries = async (id: string) =>
      t.sql("select action, actor_id, before, after, request_id from audit_entry where target_type = 'Product' and target_id = ? order by id", [keyOf(id)]);
    expect(await entries(approved)).toEqual([
      { action: 'product.approve', actor_id: reviewer.user.id, before: { status: 'PENDING_REVIEW', revision: false }, after: { status: 'ACTIVE', reason: null }, request_id: expect.any(String) },
      { action: 'product.ban', actor_id: risk.user.id, before: { status: 'ACTIVE' }, after: { status: 'BANNED', reason: 'Counterfeit goods' }, request_id: expect.any(String) },
    ]);
    expect(await entries(rejected)).toEqual([
      { action: 'product.reject', actor_id: ops.user.id, before: { status: 'PENDING_REVIEW', revision: false }, after: { status: 'REJECTED', reason: 'Missing safety certificate' }, request_id: expect.any(String) },
    ]);
  });
});

describe('the review queue', () => {
  it('lists waiting products oldest submission first, including edits of products on sale, and pages with cursors', async () => {
    const [a, b, c] = [await draft(), await draft(), await listed()];
    // Submitted in the order c, a, b: the queue follows submission, not creation.
    ok(await update({ id: c, title: 'An edit waiting in the queue' }), 'updateProduct');
    ok(await submit(a), 'submitProductForReview');
    ok(await submit(b), 'submitProductForReview');

    const seen: string[] = [];
    let after: string | null = null;
    let total = -1;
    for (let page = 0; page < 100; page++) {
      const res: GqlResult = await t.gql(QUEUE, { first: 2, after }, { token: reviewer.token });
      expect(res.errors).toBeUndefined();
      const conn = res.data!.productsForReview;
      total = conn.totalCount;
      expect(conn.edges.length).toBeLessThanOrEqual(2);
      for (const edge of conn.edges) {
        expect(edge.node.status).toBe('PENDING_REVIEW');
        seen.push(edge.node.id);
      }
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => [a, b, c].includes(id))).toEqual([c, a, b]);
    const times = await t.sql('select id, submitted_at from product where id in (?)', [seen.map(keyOf)]);
    const at = new Map(times.map((r) => [String(r.id), Date.parse(r.submitted_at)]));
    const order = seen.map((id) => at.get(keyOf(id))!);
    expect(order).toEqual([...order].sort((x, y) => x - y));

    // Decided products leave the queue.
    ok(await approve(c), 'reviewProduct');
    const again = await t.gql(QUEUE, { first: 100 }, { token: reviewer.token });
    expect(again.data!.productsForReview.totalCount).toBe(total - 1);
    expect(again.data!.productsForReview.edges.map((e: any) => e.node.id)).not.toContain(c);
  });
});

describe('private product fields', () => {
  const FIELDS: [string, string][] = [
    ['stock', 'variants { stock { onHand reserved available } }'],
    ['lowStockThreshold', 'variants { lowStockThreshold }'],
    ['pendingRevision', 'pendingRevision { title }'],
    ['statusHistory', 'statusHistory { action }'],
  ];
  let id: string;
  beforeAll(async () => {
    id = await listed();
    ok(await update({ id, title: 'An edit only insiders see' }), 'updateProduct');
  });

  it.each(FIELDS)("shows %s to every member of the shop and to staff", async (_field, selection) => {
    const insiders = [...[OWNER, MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE].map((r) => members[r].token), reviewer.token, risk.token, supportStaff.token];
    for (const token of insiders) {
      const res = await t.gql(`query($id: ID!) { product(id: $id) { id status ${selection} } }`, { id }, { token });
      expect(res.errors).toBeUndefined();
      expect(res.data!.product.status).toBe('PENDING_REVIEW');
    }
    const res = await t.gql(`query($id: ID!) { product(id: $id) { ${selection} } }`, { id }, { token: members[FINANCE].token });
    expect(res.data!.product).toEqual(
      {
        stock: { variants: [{ stock: { onHand: 10, reserved: 0, available: 10 } }, { stock: { onHand: 0, reserved: 0, available: 0 } }] },
        lowStockThreshold: { variants: [{ lowStockThreshold: t.config.defaultLowStockThreshold }, { lowStockThreshold: t.config.defaultLowStockThreshold }] },
        pendingRevision: { pendingRevision: { title: 'An edit only insiders see' } },
        statusHistory: { statusHistory: [{ action: 'CREATE' }, { action: 'SUBMIT' }, { action: 'APPROVE' }, { action: 'REVISE' }] },
      }[_field],
    );
  });

  it.each(FIELDS)("refuses %s to shoppers and other shops' members, who still see the product on sale", async (_field, selection) => {
    const query = `query($id: ID!) { product(id: $id) { id status ${selection} } }`;
    for (const token of [shopper.token, other.owner.token]) {
      const res = await t.gql(query, { id }, { token });
      expect(['FORBIDDEN', 'NOT_FOUND']).toContain(code(res));
      expect(JSON.stringify(res.data)).not.toMatch(/onHand|lowStockThreshold|An edit only insiders see|REVISE/);
    }
    const anonymous = await t.gql(query, { id });
    expect(code(anonymous)).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(anonymous.data)).not.toMatch(/onHand|lowStockThreshold|An edit only insiders see|REVISE/);
    const publicFields = await t.gql(`query($id: ID!) { product(id: $id) { status title variants { inStock } } }`, { id }, { token: shopper.token });
    expect(publicFields.data!.product).toEqual({ status: 'ACTIVE', title: 'Wireless Earphones Pro', variants: [{ inStock: true }, { inStock: false }] });
  });
});

describe('concurrency', () => {
  it.each([
    ['APPROVE', 'APPROVE'],
    ['APPROVE', 'REJECT'],
    ['REJECT', 'APPROVE'],
    ['REJECT', 'REJECT'],
  ])('lets exactly one of two reviewers deciding at once (%s vs %s) win; the other gets INVALID_TRANSITION', async (first, second) => {
    const id = await productIn('PENDING_REVIEW');
    const decide = (decision: string, token: string) => t.gql(REVIEW_PRODUCT, { input: { productId: id, decision, reason: 'Decided at the same moment' } }, { token });
    const results = await Promise.all([decide(first, reviewer.token), decide(second, ops.token)]);
    const payloads = results.map((r) => payloadOf(r, 'reviewProduct'));
    const winners = payloads.filter((p) => p.errors.length === 0);
    const losers = payloads.filter((p) => p.errors.length > 0);
    expect(winners).toHaveLength(1);
    expect(losers.map((p) => p.errors.map((e: { code: string }) => e.code))).toEqual([['INVALID_TRANSITION']]);
    const { product, steps, audits } = await snapshot(id);
    expect(product.status).toBe(winners[0].product.status);
    expect(steps.filter((s: any) => s.action === 'APPROVE' || s.action === 'REJECT')).toHaveLength(1);
    expect(audits).toHaveLength(1);
  });

  it('lets exactly one of two concurrent creates with the same SKU in one shop succeed; the other gets SKU_TAKEN', async () => {
    for (let round = 0; round < 3; round++) {
      const sku = `RACE-${hex()}`;
      const before = await productCount();
      const results = await Promise.all(
        ['First racer', 'Second racer'].map((title) => t.gql(CREATE_PRODUCT, { input: productInput(shop.shopId, audio, { title, variants: [variant({ sku })] }) }, { token: owner() })),
      );
      const payloads = results.map((r) => payloadOf(r, 'createProduct'));
      expect(payloads.filter((p) => p.errors.length === 0)).toHaveLength(1);
      expect(payloads.filter((p) => p.errors.length > 0).map((p) => p.errors.map((e: { code: string }) => e.code))).toEqual([['SKU_TAKEN']]);
      expect(await productCount()).toBe(before + 1);
      const [{ count }] = await t.sql('select count(*)::int as count from product_variant where shop_id = ? and sku = ?', [shop.shop.id, sku]);
      expect(count).toBe(1);
    }
  });
});
