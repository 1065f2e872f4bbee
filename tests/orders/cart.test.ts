import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type TestApp, createTestApp } from '../helpers/app';
import { createProduct, productInput, type Seller, seller, staff } from '../helpers/catalog';
import { createCategory, userWithToken } from '../helpers/factories';
import { code, keyOf as key } from '../helpers/kit';
import { type ProductSpec, scenario } from '../helpers/scenario';

const CART_FIELDS = `id
  subtotal { amount amountMinor } shippingTotal { amount amountMinor } total { amount amountMinor }
  shippingAddress { province }
  lines { id quantity problem lineTotal { amount amountMinor } variant { id price { amount } product { id title shop { id } } } }
  groups { shop { id name } lines { id } subtotal { amount amountMinor } shippingFee { amount amountMinor } }`;
const CART = `{ cart { ${CART_FIELDS} } }`;
const ADD = `mutation($input: AddToCartInput!) { addToCart(input: $input) { cart { ${CART_FIELDS} } errors { code field } } }`;
const UPDATE = `mutation($input: UpdateCartLineInput!) { updateCartLine(input: $input) { cart { ${CART_FIELDS} } errors { code field } } }`;
const DELIST = `mutation($input: IdInput!) { delistProduct(input: $input) { product { id } errors { code } } }`;
const TEMPLATE = `mutation($input: ShippingTemplateInput!) { createShippingTemplate(input: $input) { shippingTemplate { id } errors { code field } } }`;
const ADDRESS = `mutation($input: AddressInput!) { createAddress(input: $input) { address { id } errors { code } } }`;

type Account = { user: { id: string }; token: string };
type CartJson = Record<string, any>;

let t: TestApp;
let reviewer: Account;
let category: string;

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await staff(t, StaffRole.REVIEWER);
  category = toGlobalId('Category', (await createCategory(t)).id);
});
afterAll(() => t.close());

/** A product on sale with one variant per price (each `stock` units); returns the product and variant IDs. */
async function onSale(s: Seller, prices: string[], stock = 10, spec: ProductSpec = {}): Promise<{ productId: string; variants: string[] }> {
  const { product } = await scenario(t, { reviewer, categoryId: category }).shop(s).product({ ...spec, variants: prices.map((price) => ({ price, stock })) }).run();
  return { productId: product.id, variants: product.variantIds };
}

async function add(who: Account, variantId: string, quantity: number): Promise<CartJson> {
  const res = await t.gql(ADD, { input: { variantId, quantity } }, { token: who.token });
  const out = res.data?.addToCart;
  if (!out?.cart) throw new Error(`addToCart failed: ${JSON.stringify(res.errors ?? out?.errors)}`);
  return out.cart;
}

async function cartOf(who: Account): Promise<CartJson> {
  const res = await t.gql(CART, {}, { token: who.token });
  expect(res.errors).toBeUndefined();
  return res.data!.cart;
}

/** What the database holds: variant global ID → quantity. */
async function lineRows(who: Account): Promise<Record<string, number>> {
  const rows = await t.sql('select variant_id, quantity from cart_line where user_id = ? order by id', [who.user.id]);
  return Object.fromEntries(rows.map((r) => [toGlobalId('ProductVariant', r.variant_id), r.quantity]));
}

/** The cart's amounts add up exactly: lines → groups → cart. */
function expectAddsUp(cart: CartJson): void {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const buyable = cart.lines.filter((l: CartJson) => l.problem === null);
  expect(sum(buyable.map((l: CartJson) => l.lineTotal.amountMinor))).toBe(cart.subtotal.amountMinor);
  expect(sum(cart.groups.map((g: CartJson) => g.subtotal.amountMinor))).toBe(cart.subtotal.amountMinor);
  expect(sum(cart.groups.map((g: CartJson) => g.shippingFee.amountMinor))).toBe(cart.shippingTotal.amountMinor);
  expect(cart.subtotal.amountMinor + cart.shippingTotal.amountMinor).toBe(cart.total.amountMinor);
  expect(sum(cart.groups.map((g: CartJson) => g.lines.length))).toBe(cart.lines.length);
}

/** Per shop: [subtotal, shipping fee] as amounts. */
const groupsOf = (cart: CartJson) => Object.fromEntries(cart.groups.map((g: CartJson) => [g.shop.id, [g.subtotal.amount, g.shippingFee.amount]]));
const totalsOf = (cart: CartJson) => [cart.subtotal.amount, cart.shippingTotal.amount, cart.total.amount];

describe('addToCart', () => {
  let s: Seller;
  let v: string[];
  beforeAll(async () => {
    s = await seller(t);
    v = (await onSale(s, ['19.90', '5.00'])).variants;
  });

  it('adds a variant as a line, and adding it again adds to the same line', async () => {
    const me = await userWithToken(t);
    const first = await add(me, v[0], 2);
    const second = await add(me, v[0], 3);
    expect(second.lines).toHaveLength(1);
    expect(second.lines[0]).toMatchObject({ id: first.lines[0].id, quantity: 5, problem: null, lineTotal: { amount: '99.50' }, variant: { id: v[0], price: { amount: '19.90' } } });
    expect(second).toMatchObject({ id: toGlobalId('Cart', me.user.id), subtotal: { amount: '99.50' }, shippingTotal: { amount: '0.00' }, total: { amount: '99.50' } });
    expect(await lineRows(me)).toEqual({ [v[0]]: 5 });
  });

  it('adds every concurrent request to the one line', async () => {
    const me = await userWithToken(t);
    const results = await Promise.all(Array.from({ length: 5 }, () => t.gql(ADD, { input: { variantId: v[1], quantity: 1 } }, { token: me.token })));
    expect(results.map((r) => r.data!.addToCart.errors)).toEqual(Array(5).fill([]));
    expect(await lineRows(me)).toEqual({ [v[1]]: 5 });
  });

  it('refuses an addition that would take a line past 999 units with INVALID_INPUT, and keeps the line', async () => {
    const big = (await onSale(s, ['1.00'], 5000)).variants[0];
    const me = await userWithToken(t);
    await add(me, big, 998);
    const res = await t.gql(ADD, { input: { variantId: big, quantity: 2 } }, { token: me.token });
    expect(res.data!.addToCart).toEqual({ cart: null, errors: [{ code: 'INVALID_INPUT', field: ['input', 'quantity'] }] });
    expect(await lineRows(me)).toEqual({ [big]: 998 });
  });

  it.each([0, -1, 1000])('refuses a quantity of %i with INVALID_INPUT', async (quantity) => {
    const me = await userWithToken(t);
    const res = await t.gql(ADD, { input: { variantId: v[0], quantity } }, { token: me.token });
    expect(res.data!.addToCart.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'quantity'] }]);
    expect(await lineRows(me)).toEqual({});
  });

  it('refuses more units than are available (on hand − reserved) with INSUFFICIENT_STOCK, and changes nothing', async () => {
    // Another shopper's unpaid checkout holds 4 of the 10 units.
    const { variantIds: [scarce] } = await scenario(t).shop(s).product({ price: '3.00', stock: 10 }).buyer().inCart(4).checkout().run();
    const me = await userWithToken(t);
    const tooMany = await t.gql(ADD, { input: { variantId: scarce, quantity: 7 } }, { token: me.token });
    expect(tooMany.data!.addToCart.errors).toEqual([{ code: 'INSUFFICIENT_STOCK', field: ['input', 'quantity'] }]);
    expect(await lineRows(me)).toEqual({});
    await add(me, scarce, 6);
    const more = await t.gql(ADD, { input: { variantId: scarce, quantity: 1 } }, { token: me.token });
    expect(more.data!.addToCart.errors).toEqual([{ code: 'INSUFFICIENT_STOCK', field: ['input', 'quantity'] }]);
    expect(await lineRows(me)).toEqual({ [scarce]: 6 });
  });

  it('refuses a variant that is not on sale (draft, delisted, removed) with PRODUCT_UNAVAILABLE', async () => {
    const draftId = await createProduct(t, s.owner.token, productInput(s.shopId, category));
    const draftVariant = (await t.gql(`query($id: ID!) { product(id: $id) { variants { id } } }`, { id: draftId }, { token: s.owner.token })).data!.product.variants[0].id;
    const delisted = await onSale(s, ['8.00']);
    await t.gql(DELIST, { input: { id: delisted.productId } }, { token: s.owner.token });
    const removed = (await onSale(s, ['8.00', '9.00'])).variants[1];
    await t.sql('update product_variant set archived = true where id = ?', [key(removed)]);
    const me = await userWithToken(t);
    for (const variantId of [draftVariant, delisted.variants[0], removed]) {
      const res = await t.gql(ADD, { input: { variantId, quantity: 1 } }, { token: me.token });
      expect(res.data!.addToCart.errors).toEqual([{ code: 'PRODUCT_UNAVAILABLE', field: ['input', 'variantId'] }]);
    }
    expect(await lineRows(me)).toEqual({});
  });

  it('refuses a new line beyond 100 with INVALID_INPUT, but still adds to an existing line', async () => {
    const many = await onSale(s, Array.from({ length: 100 }, () => '1.00'));
    const extra = (await onSale(s, ['1.00'])).variants[0];
    const me = await userWithToken(t);
    await t.sql('insert into cart_line (user_id, variant_id, quantity) select ?, id, 1 from product_variant where product_id = ?', [me.user.id, key(many.productId)]);
    const refused = await t.gql(ADD, { input: { variantId: extra, quantity: 1 } }, { token: me.token });
    expect(refused.data!.addToCart.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'variantId'] }]);
    expect((await add(me, many.variants[0], 1)).lines).toHaveLength(100);
    expect(Object.keys(await lineRows(me))).not.toContain(extra);
  });

  it('answers an unknown variant, or an ID of another type, with NOT_FOUND', async () => {
    const me = await userWithToken(t);
    for (const variantId of [toGlobalId('ProductVariant', '987654321'), s.shopId, 'garbage']) {
      expect(code(await t.gql(ADD, { input: { variantId, quantity: 1 } }, { token: me.token }))).toBe('NOT_FOUND');
    }
  });

  it('is UNAUTHENTICATED without a token, for the cart too', async () => {
    expect(code(await t.gql(ADD, { input: { variantId: v[0], quantity: 1 } }))).toBe('UNAUTHENTICATED');
    expect(code(await t.gql(CART))).toBe('UNAUTHENTICATED');
  });
});

describe('updateCartLine', () => {
  let s: Seller;
  let v: string[];
  let productId: string;
  beforeAll(async () => {
    s = await seller(t);
    ({ productId, variants: v } = await onSale(s, ['10.00', '20.00'], 10));
  });

  it('sets the quantity, and 0 removes the line', async () => {
    const me = await userWithToken(t);
    await add(me, v[0], 1);
    const cart = await add(me, v[1], 1);
    const lineId = cart.lines.find((l: CartJson) => l.variant.id === v[0]).id;
    const set = await t.gql(UPDATE, { input: { lineId, quantity: 7 } }, { token: me.token });
    expect(set.data!.updateCartLine.errors).toEqual([]);
    expect(set.data!.updateCartLine.cart.subtotal.amount).toBe('90.00');
    expect(await lineRows(me)).toEqual({ [v[0]]: 7, [v[1]]: 1 });
    const removed = await t.gql(UPDATE, { input: { lineId, quantity: 0 } }, { token: me.token });
    expect(removed.data!.updateCartLine.cart.lines.map((l: CartJson) => l.variant.id)).toEqual([v[1]]);
    expect(await lineRows(me)).toEqual({ [v[1]]: 1 });
  });

  it.each([-1, 1000])('refuses a quantity of %i with INVALID_INPUT and changes nothing', async (quantity) => {
    const me = await userWithToken(t);
    const lineId = (await add(me, v[0], 2)).lines[0].id;
    const res = await t.gql(UPDATE, { input: { lineId, quantity } }, { token: me.token });
    expect(res.data!.updateCartLine.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'quantity'] }]);
    expect(await lineRows(me)).toEqual({ [v[0]]: 2 });
  });

  it('refuses to raise a line above the units available with INSUFFICIENT_STOCK, and changes nothing', async () => {
    const me = await userWithToken(t);
    const lineId = (await add(me, v[0], 2)).lines[0].id;
    const res = await t.gql(UPDATE, { input: { lineId, quantity: 11 } }, { token: me.token });
    expect(res.data!.updateCartLine.errors).toEqual([{ code: 'INSUFFICIENT_STOCK', field: ['input', 'quantity'] }]);
    expect(await lineRows(me)).toEqual({ [v[0]]: 2 });
  });

  it('refuses to raise a line whose product left sale with PRODUCT_UNAVAILABLE, but lets it be lowered or removed', async () => {
    const other = await onSale(s, ['4.00']);
    const me = await userWithToken(t);
    const lineId = (await add(me, other.variants[0], 3)).lines[0].id;
    await t.gql(DELIST, { input: { id: other.productId } }, { token: s.owner.token });
    const raised = await t.gql(UPDATE, { input: { lineId, quantity: 4 } }, { token: me.token });
    expect(raised.data!.updateCartLine.errors).toEqual([{ code: 'PRODUCT_UNAVAILABLE', field: ['input', 'lineId'] }]);
    expect(await lineRows(me)).toEqual({ [other.variants[0]]: 3 });
    const lowered = await t.gql(UPDATE, { input: { lineId, quantity: 1 } }, { token: me.token });
    expect(lowered.data!.updateCartLine.cart.lines[0]).toMatchObject({ quantity: 1, problem: 'UNAVAILABLE' });
    await t.gql(UPDATE, { input: { lineId, quantity: 0 } }, { token: me.token });
    expect(await lineRows(me)).toEqual({});
  });

  it("answers another user's line with NOT_FOUND and leaves it alone", async () => {
    const owner = await userWithToken(t);
    const stranger = await userWithToken(t);
    const lineId = (await add(owner, v[0], 2)).lines[0].id;
    for (const quantity of [5, 0]) {
      expect(code(await t.gql(UPDATE, { input: { lineId, quantity } }, { token: stranger.token }))).toBe('NOT_FOUND');
    }
    expect(await lineRows(owner)).toEqual({ [v[0]]: 2 });
    expect(productId).toBeTruthy();
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const owner = await userWithToken(t);
    const lineId = (await add(owner, v[0], 2)).lines[0].id;
    expect(code(await t.gql(UPDATE, { input: { lineId, quantity: 0 } }))).toBe('UNAUTHENTICATED');
    expect(await lineRows(owner)).toEqual({ [v[0]]: 2 });
  });
});

describe('the cart', () => {
  it('groups lines by shop, quotes each shop’s templates for the default address, flags lines it cannot sell, and adds up', async () => {
    const a = await seller(t);
    const b = await seller(t);
    // Shop A: Standard (default) 10.00 first unit + 5.00 per 2 more, 新疆 20.00 first, free from 150.00;
    // Bulky 30.00 first unit + 10.00 per unit, never free. Shop B has no template: it ships free.
    const standard = await t.gql(TEMPLATE, { input: {
      shopId: a.shopId, name: 'Standard', freeShippingThreshold: '150.00',
      rules: [{ regions: ['新疆維吾爾自治區'], firstUnits: 1, firstFee: '20.00', additionalUnits: 2, additionalFee: '5.00' }],
      defaultRule: { firstUnits: 1, firstFee: '10.00', additionalUnits: 2, additionalFee: '5.00' },
    } }, { token: a.owner.token });
    expect(standard.data!.createShippingTemplate.errors).toEqual([]);
    const bulky = await t.gql(TEMPLATE, { input: { shopId: a.shopId, name: 'Bulky', rules: [], defaultRule: { firstUnits: 1, firstFee: '30.00', additionalUnits: 1, additionalFee: '10.00' } } }, { token: a.owner.token });
    const p1 = await onSale(a, ['25.00']);
    const p2 = await onSale(a, ['40.00'], 10, { shippingTemplateId: bulky.data!.createShippingTemplate.shippingTemplate.id });
    const p3 = await onSale(b, ['12.50']);

    const me = await userWithToken(t);
    await add(me, p1.variants[0], 3);
    await add(me, p2.variants[0], 2);
    let cart = await add(me, p3.variants[0], 4);

    // No address yet: default rules. A: 155.00 ≥ 150.00, so Standard is free; Bulky 2 units = 40.00.
    expect(cart.shippingAddress).toBeNull();
    expect(cart.groups.map((g: CartJson) => g.shop.id)).toEqual([b.shopId, a.shopId]);
    expect(groupsOf(cart)).toEqual({ [a.shopId]: ['155.00', '40.00'], [b.shopId]: ['50.00', '0.00'] });
    expect(totalsOf(cart)).toEqual(['205.00', '40.00', '245.00']);
    expectAddsUp(cart);

    // One unit of P1: A = 105.00 < 150.00, Standard 1 unit = 10.00, plus Bulky 40.00.
    const p1Line = cart.lines.find((l: CartJson) => l.variant.id === p1.variants[0]).id;
    cart = (await t.gql(UPDATE, { input: { lineId: p1Line, quantity: 1 } }, { token: me.token })).data!.updateCartLine.cart;
    expect(groupsOf(cart)[a.shopId]).toEqual(['105.00', '50.00']);
    expect(totalsOf(cart)).toEqual(['155.00', '50.00', '205.00']);
    expectAddsUp(cart);

    // A default address in 新疆: its rule applies to Standard (20.00); Bulky has no rule for it.
    await t.gql(ADDRESS, { input: { recipientName: '阿依', phone: '13912345678', province: '新疆維吾爾自治區', city: '烏魯木齊市', district: '天山區', line1: '解放南路 1 號' } }, { token: me.token });
    cart = await cartOf(me);
    expect(cart.shippingAddress).toEqual({ province: '新疆維吾爾自治區' });
    expect(groupsOf(cart)[a.shopId]).toEqual(['105.00', '60.00']);
    expect(totalsOf(cart)).toEqual(['155.00', '60.00', '215.00']);
    expectAddsUp(cart);

    // P2 delisted: its line stays, flagged, and counts in nothing (Bulky no longer charges).
    await t.gql(DELIST, { input: { id: p2.productId } }, { token: a.owner.token });
    cart = await cartOf(me);
    expect(cart.lines.map((l: CartJson) => [l.variant.id, l.problem])).toEqual([
      [p3.variants[0], null],
      [p2.variants[0], 'UNAVAILABLE'],
      [p1.variants[0], null],
    ]);
    expect(cart.lines.find((l: CartJson) => l.variant.id === p2.variants[0]).lineTotal.amount).toBe('80.00');
    expect(groupsOf(cart)[a.shopId]).toEqual(['25.00', '20.00']);
    expect(totalsOf(cart)).toEqual(['75.00', '20.00', '95.00']);
    expectAddsUp(cart);

    // P3's stock falls below the line: INSUFFICIENT_STOCK, out of the totals; lowering the line fixes it.
    await t.sql('update product_variant set on_hand = 3 where id = ?', [key(p3.variants[0])]);
    cart = await cartOf(me);
    const p3Line = cart.lines.find((l: CartJson) => l.variant.id === p3.variants[0]);
    expect(p3Line.problem).toBe('INSUFFICIENT_STOCK');
    expect(groupsOf(cart)[b.shopId]).toEqual(['0.00', '0.00']);
    expect(totalsOf(cart)).toEqual(['25.00', '20.00', '45.00']);
    expectAddsUp(cart);
    cart = (await t.gql(UPDATE, { input: { lineId: p3Line.id, quantity: 3 } }, { token: me.token })).data!.updateCartLine.cart;
    expect(cart.lines.find((l: CartJson) => l.id === p3Line.id).problem).toBeNull();
    expect(totalsOf(cart)).toEqual(['62.50', '20.00', '82.50']);
    expectAddsUp(cart);
  });

  it('shows each mutation of one request the cart as that mutation left it', async () => {
    const s = await seller(t);
    const v = (await onSale(s, ['2.00'])).variants[0];
    const me = await userWithToken(t);
    const res = await t.gql(
      `mutation($v: ID!) {
        a: addToCart(input: { variantId: $v, quantity: 1 }) { cart { lines { id quantity } } }
        b: addToCart(input: { variantId: $v, quantity: 2 }) { cart { lines { id quantity } total { amount } } }
      }`,
      { v },
      { token: me.token },
    );
    expect(res.data!.a.cart.lines[0].quantity).toBe(1);
    expect(res.data!.b.cart.lines[0].quantity).toBe(3);
    const lineId = res.data!.b.cart.lines[0].id;
    const next = await t.gql(
      `mutation($l: ID!) {
        a: updateCartLine(input: { lineId: $l, quantity: 5 }) { cart { lines { quantity } total { amount } } }
        b: updateCartLine(input: { lineId: $l, quantity: 0 }) { cart { lines { quantity } } }
      }`,
      { l: lineId },
      { token: me.token },
    );
    expect(next.data).toEqual({ a: { cart: { lines: [{ quantity: 5 }], total: { amount: '10.00' } } }, b: { cart: { lines: [] } } });
  });

  it('is empty for a new shopper', async () => {
    const me = await userWithToken(t);
    expect(await cartOf(me)).toEqual({
      id: toGlobalId('Cart', me.user.id),
      subtotal: { amount: '0.00', amountMinor: 0 },
      shippingTotal: { amount: '0.00', amountMinor: 0 },
      total: { amount: '0.00', amountMinor: 0 },
      shippingAddress: null,
      lines: [],
      groups: [],
    });
  });

  it('costs the same number of queries for 1 line as for 30 lines across three shops', async () => {
    const variants: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await seller(t);
      await t.gql(TEMPLATE, { input: { shopId: s.shopId, name: 'Std', rules: [], defaultRule: { firstUnits: 1, firstFee: '8.00', additionalUnits: 1, additionalFee: '2.00' } } }, { token: s.owner.token });
      variants.push(...(await onSale(s, Array.from({ length: 10 }, (_, j) => `${j + 1}.00`))).variants);
    }
    const small = await userWithToken(t);
    const large = await userWithToken(t);
    for (const who of [small, large]) {
      await t.gql(ADDRESS, { input: { recipientName: 'R', phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖區', line1: 'L' } }, { token: who.token });
    }
    await add(small, variants[0], 1);
    await t.sql('insert into cart_line (user_id, variant_id, quantity) select ?, id, 1 from product_variant where id in (?)', [large.user.id, variants.map(key)]);
    const one = await t.countQueries(CART, {}, { token: small.token });
    const thirty = await t.countQueries(CART, {}, { token: large.token });
    expect(one.result.data!.cart.lines).toHaveLength(1);
    expect(thirty.result.data!.cart.lines).toHaveLength(30);
    expect(thirty.result.data!.cart.groups).toHaveLength(3);
    expectAddsUp(thirty.result.data!.cart);
    expect(thirty.queries).toBe(one.queries);
    // A fixed few, the buyer's member level (its free shipping) among them, sent beside the rule queries.
    expect(thirty.queries).toBeLessThanOrEqual(8);
  });

  it('is refetched by node(id), with its lines, by its owner only', async () => {
    const s = await seller(t);
    const v = (await onSale(s, ['6.00'])).variants[0];
    const owner = await userWithToken(t);
    const stranger = await userWithToken(t);
    const cart = await add(owner, v, 2);
    const query = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Cart { total { amount } } ... on CartLine { quantity lineTotal { amount } } } }`;
    const ids = [cart.id, cart.lines[0].id];
    expect((await t.gql(query, { ids }, { token: owner.token })).data!.nodes).toEqual([
      { id: cart.id, total: { amount: '12.00' } },
      { id: cart.lines[0].id, quantity: 2, lineTotal: { amount: '12.00' } },
    ]);
    expect((await t.gql(query, { ids }, { token: stranger.token })).data!.nodes).toEqual([null, null]);
  });
});
