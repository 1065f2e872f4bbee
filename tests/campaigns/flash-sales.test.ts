import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { cartLine, newKey, PAY, stockOf, webhook } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { CHECKOUT_PRICED } from '../helpers/promotions';
import { newShopper, type Scenario, type ScenarioShop, scenario, type Shopper } from '../helpers/scenario';

/**
 * Flash sales (限時搶購 / 秒殺): staff create them (placing items themselves or approving the shops'
 * nominations), approval sets the units aside from stock, the cart and checkout sell them at the
 * sale price up to the per-buyer limit with no oversell under a rush, cancelled and expired orders
 * give units back, and `end-flash-sales` returns what is unsold.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const clock = new ManualClock(new Date('2031-08-01T02:00:00.000Z'));

const ITEM_FIELDS = `id status quantity perUserLimit remaining sold reason salePrice { amount amountMinor } originalPrice { amountMinor }
  shop { id } variant { id } product { id } flashSale { id }`;
const SALE_FIELDS = `id title status startsAt endsAt items { ${ITEM_FIELDS} }`;
const CREATE = `mutation($input: FlashSaleInput!) { createFlashSale(input: $input) { flashSale { ${SALE_FIELDS} } errors { code field message } } }`;
const NOMINATE = `mutation($input: FlashSaleItemInput!) { nominateFlashSaleItem(input: $input) { flashSaleItem { ${ITEM_FIELDS} } errors { code field message } } }`;
const REVIEW = `mutation($input: ReviewFlashSaleItemInput!) { reviewFlashSaleItem(input: $input) { flashSaleItem { ${ITEM_FIELDS} } errors { code field message } } }`;
const SALE = `query($id: ID!) { flashSale(id: $id) { ${SALE_FIELDS} } }`;
const LIST = `query($filter: FlashSaleFilter, $first: Int, $after: String) { flashSales(filter: $filter, first: $first, after: $after) {
  totalCount nodes { id status } pageInfo { hasNextPage endCursor } } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on FlashSaleItem { status reason } ... on FlashSale { title } } }`;
const ADD = `mutation($input: AddToCartInput!) { addToCart(input: $input) { cart { lines { id quantity } } errors { code field message } } }`;
const UPDATE_LINE = `mutation($input: UpdateCartLineInput!) { updateCartLine(input: $input) { cart { lines { id quantity } } errors { code field message } } }`;
const CART = `query { cart { lines { id quantity problem } subtotal { amountMinor } discountTotal { amountMinor }
  discounts { source title fundedBy amount { amountMinor } } groups { discounts { source fundedBy amount { amountMinor } } } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

let t: TestApp;
let admin: { token: string };
let ops: { token: string; user: { id: string } };
let reviewer: { token: string };
let shopper: { token: string };
/** Shop A, with a product and every member role. */
let a: Scenario;
let shopA: ScenarioShop;
/** Shop B, with a product. */
let b: Scenario;

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  ops = await staff(t, StaffRole.OPERATIONS);
  reviewer = await staff(t, StaffRole.REVIEWER);
  shopper = await userWithToken(t);
  a = await scenario(t).shop({ members: [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR, ShopMemberRole.CUSTOMER_SERVICE, ShopMemberRole.FINANCE] }).product().run();
  shopA = a.shop;
  b = await scenario(t).shop().product().run();
}, 120_000);
afterAll(() => t.close());

const iso = (offset: number) => new Date(clock.now().getTime() + offset).toISOString();
const as = (token: string | null) => ({ token: token ?? undefined });

/** A new product of `shop` with one variant (20 units at 100.00 unless told). */
async function newVariant(spec: { stock?: number; price?: number } = {}, shop: ScenarioShop = shopA) {
  const s = await scenario(t).shop(shop).product({ stock: spec.stock ?? 20, price: spec.price ?? 10000 }).run();
  return { productId: s.product.id, variantId: s.variantIds[0], variantKey: s.variantKeys[0] };
}

/** A sale starting in an hour, for two hours; `overrides` replace fields. */
const saleInput = (overrides: Record<string, unknown> = {}) => ({ title: '雙12 秒殺', startsAt: iso(HOUR), endsAt: iso(3 * HOUR), ...overrides });
const createSale = (input: Record<string, unknown>, token: string | null = ops.token) => t.gql(CREATE, { input }, as(token));
const newSale = async (overrides: Record<string, unknown> = {}) => okPayload(await createSale(saleInput(overrides)), 'createFlashSale', 'flashSale');
const offer = (variantId: string, overrides: Record<string, unknown> = {}) => ({ variantId, salePrice: '59.90', quantity: 5, perUserLimit: 2, ...overrides });
const nominate = (input: Record<string, unknown>, token: string | null = shopA.owner.token) => t.gql(NOMINATE, { input }, as(token));
const nominated = async (input: Record<string, unknown>, token?: string) => okPayload(await nominate(input, token), 'nominateFlashSaleItem', 'flashSaleItem');
const review = (input: Record<string, unknown>, token: string | null = ops.token) => t.gql(REVIEW, { input }, as(token));
const reviewed = async (input: Record<string, unknown>) => okPayload(await review(input), 'reviewFlashSaleItem', 'flashSaleItem');
const saleAs = async (id: string, token: string | null) => (await t.gql(SALE, { id }, as(token))).data!.flashSale;
const countSales = async () => (await t.sql('select count(*)::int as n from flash_sale'))[0].n;
const bucketsOf = async (itemId: string) => (await t.sql('select coalesce(sum(remaining), 0)::int as n from flash_sale_bucket where item_id = ?', [keyOf(itemId)]))[0].n;
const movements = (variantKey: string, reason: string) =>
  t.sql('select delta_on_hand::int as on_hand, delta_reserved::int as reserved, order_id::text from stock_movement where variant_id = ? and reason = ? order by id', [variantKey, reason]);
const runTask = async (name: string) => okPayload(await t.gql(RUN, { input: { name } }, as(admin.token)), 'runScheduledTask', 'task').lastResult as string;

/** The variant's stock against the sums of its ledger rows: equal when the ledger is whole. */
async function ledgerOf(variantKey: string) {
  const [row] = await t.sql(
    `select v.on_hand, v.reserved, coalesce(sum(m.delta_on_hand), 0)::int as ledger_on_hand, coalesce(sum(m.delta_reserved), 0)::int as ledger_reserved
     from product_variant v left join stock_movement m on m.variant_id = v.id where v.id = ? group by v.id`,
    [variantKey],
  );
  return row;
}
const expectLedgerWhole = async (variantKey: string) => {
  const row = await ledgerOf(variantKey);
  expect([row.ledger_on_hand, row.ledger_reserved]).toEqual([row.on_hand, row.reserved]);
};

// --- Buying helpers ---------------------------------------------------------------------------------

const add = (buyer: Shopper, variantId: string, quantity: number) => t.gql(ADD, { input: { variantId, quantity } }, as(buyer.token));
const cartOf = async (buyer: Shopper) => (await t.gql(CART, {}, as(buyer.token))).data!.cart;
const checkout = (buyer: Shopper, key = newKey()) => t.gql(CHECKOUT_PRICED, { input: { addressId: buyer.addressId }, key }, as(buyer.token));
async function bought(buyer: Shopper, variantId: string, quantity: number) {
  okPayload(await add(buyer, variantId, quantity), 'addToCart');
  return okPayload(await checkout(buyer), 'checkout', 'checkout');
}
async function pay(buyer: Shopper, checkoutId: string) {
  const { payment } = okPayload(await t.gql(PAY, { input: { checkoutId, provider: 'MOCK' } }, as(buyer.token)), 'payCheckout');
  expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id })).statusCode).toBe(200);
}
const cancel = async (buyer: Shopper, orderId: string) =>
  expect((await t.gql(CANCEL, { input: { orderId } }, as(buyer.token))).data!.cancelOrder).toEqual({ order: { status: 'CANCELLED' }, errors: [] });

/** A variant with an item of a sale live from now for `hours`, placed (and so approved) by staff. */
async function liveItem(spec: { stock?: number; quantity?: number; perUserLimit?: number; hours?: number } = {}) {
  const v = await newVariant({ stock: spec.stock ?? 20 });
  const sale = await newSale({ startsAt: iso(0), endsAt: iso((spec.hours ?? 24) * HOUR), items: [offer(v.variantId, { quantity: spec.quantity ?? 10, perUserLimit: spec.perUserLimit ?? 2 })] });
  return { ...v, sale, item: sale.items[0] };
}

describe('createFlashSale', () => {
  it('creates an UPCOMING sale for staff OPERATIONS, audited', async () => {
    const sale = await newSale();
    expect(sale).toMatchObject({ title: '雙12 秒殺', status: 'UPCOMING', startsAt: iso(HOUR), endsAt: iso(3 * HOUR), items: [] });
    const [audit] = await t.sql(`select action, actor_id::text, after from audit_entry where target_type = 'FlashSale' and target_id = ?`, [keyOf(sale.id)]);
    expect(audit).toMatchObject({ action: 'flashSale.create', actor_id: ops.user.id, after: { title: '雙12 秒殺', items: [] } });
    expect((await newSale({ startsAt: iso(-MINUTE) })).status).toBe('LIVE');
    expect((await okPayload(await createSale(saleInput({ title: 'ADMIN 秒殺' }), admin.token), 'createFlashSale', 'flashSale')).title).toBe('ADMIN 秒殺');
  });

  it('approves the items staff place at once, setting their units aside from stock', async () => {
    const v = await newVariant({ stock: 20 });
    const sale = await newSale({ items: [offer(v.variantId, { quantity: 8, perUserLimit: 3, salePrice: '49.90' })] });
    expect(sale.items).toEqual([
      expect.objectContaining({ status: 'APPROVED', quantity: 8, perUserLimit: 3, remaining: 8, sold: 0, reason: null, salePrice: { amount: '49.90', amountMinor: 4990 }, originalPrice: { amountMinor: 10000 }, shop: { id: shopA.shopId }, variant: { id: v.variantId }, product: { id: v.productId }, flashSale: { id: sale.id } }),
    ]);
    expect(await stockOf(t, v.variantKey)).toEqual({ on_hand: 12, reserved: 0 });
    // Placed by staff, not nominated: the platform funds the price.
    expect(await t.sql('select funded_by from flash_sale_item where id = ?', [keyOf(sale.items[0].id)])).toEqual([{ funded_by: 'PLATFORM' }]);
    expect(await movements(v.variantKey, 'FLASH_SALE_HOLD')).toEqual([{ on_hand: -8, reserved: 0, order_id: null }]);
    expect(await bucketsOf(sale.items[0].id)).toBe(8);
    await expectLedgerWhole(v.variantKey);
  });

  it('refuses an item the variant lacks units for with INSUFFICIENT_STOCK, creating nothing', async () => {
    const v = await newVariant({ stock: 3 });
    const before = await countSales();
    expect(failuresOf(await createSale(saleInput({ items: [offer(v.variantId, { quantity: 4 })] })), 'createFlashSale', 'flashSale')).toEqual([['INSUFFICIENT_STOCK', 'input.items.0.quantity']]);
    expect(await countSales()).toBe(before);
    expect(await stockOf(t, v.variantKey)).toEqual({ on_hand: 3, reserved: 0 });
  });

  it.each([
    ['a one-character title', () => ({ title: '秒' }), 'input.title'],
    ['an end before the start', () => ({ startsAt: iso(2 * HOUR), endsAt: iso(HOUR) }), 'input.endsAt'],
    ['an end in the past', () => ({ startsAt: iso(-2 * HOUR), endsAt: iso(-HOUR) }), 'input.endsAt'],
    ['a window of more than 7 days', () => ({ startsAt: iso(HOUR), endsAt: iso(HOUR + 7 * DAY + MINUTE) }), 'input.endsAt'],
    ['a sale price at the variant’s price', () => ({ items: [offer(a.variantIds[0], { salePrice: '100.00' })] }), 'input.items.0.salePrice'],
    ['a sale price of 0', () => ({ items: [offer(a.variantIds[0], { salePrice: '0' })] }), 'input.items.0.salePrice'],
    ['a quantity of 0', () => ({ items: [offer(a.variantIds[0], { quantity: 0 })] }), 'input.items.0.quantity'],
    ['a quantity over 100,000', () => ({ items: [offer(a.variantIds[0], { quantity: 100_001 })] }), 'input.items.0.quantity'],
    ['a limit of 101 per buyer', () => ({ items: [offer(a.variantIds[0], { perUserLimit: 101 })] }), 'input.items.0.perUserLimit'],
    ['a variant listed twice', () => ({ items: [offer(a.variantIds[0]), offer(a.variantIds[0])] }), 'input.items.1.variantId'],
    ['an unknown variant', () => ({ items: [offer(idOf('ProductVariant', '987654321'))] }), 'input.items.0.variantId'],
  ])('refuses %s with INVALID_INPUT naming the field, storing nothing', async (_what, overrides, field) => {
    const before = await countSales();
    expect(failuresOf(await createSale(saleInput(overrides())), 'createFlashSale', 'flashSale')).toEqual([['INVALID_INPUT', field]]);
    expect(await countSales()).toBe(before);
  });

  it('refuses a product not on sale with PRODUCT_UNAVAILABLE', async () => {
    const draft = await scenario(t).shop(shopA).product({ listed: false }).run();
    expect(failuresOf(await createSale(saleInput({ items: [offer(draft.variantIds[0])] })), 'createFlashSale', 'flashSale')).toEqual([['PRODUCT_UNAVAILABLE', 'input.items.0.variantId']]);
  });

  it('refuses anyone but staff OPERATIONS and ADMIN', async () => {
    const before = await countSales();
    expect(code(await createSale(saleInput(), null))).toBe('UNAUTHENTICATED');
    for (const token of [shopper.token, shopA.owner.token, reviewer.token]) expect(code(await createSale(saleInput(), token))).toBe('FORBIDDEN');
    expect(await countSales()).toBe(before);
  });
});

describe('nominateFlashSaleItem', () => {
  it('lets the shop’s OWNER, MANAGER and OPERATOR nominate their variants: NOMINATED, seen by their shop and staff only', async () => {
    const sale = await newSale();
    const [one, two, three] = [await newVariant(), await newVariant(), await newVariant()];
    const item = await nominated({ flashSaleId: sale.id, ...offer(one.variantId, { quantity: 4 }) });
    expect(item).toMatchObject({ status: 'NOMINATED', quantity: 4, perUserLimit: 2, remaining: 0, sold: 0, salePrice: { amount: '59.90' }, shop: { id: shopA.shopId }, flashSale: { id: sale.id } });
    await nominated({ flashSaleId: sale.id, ...offer(two.variantId) }, shopA.members.MANAGER!.token);
    await nominated({ flashSaleId: sale.id, ...offer(three.variantId) }, shopA.members.OPERATOR!.token);
    // Nothing is set aside until staff approve.
    expect(await stockOf(t, one.variantKey)).toEqual({ on_hand: 20, reserved: 0 });

    expect((await saleAs(sale.id, ops.token)).items.map((i: { status: string }) => i.status)).toEqual(['NOMINATED', 'NOMINATED', 'NOMINATED']);
    expect((await saleAs(sale.id, shopA.members.CUSTOMER_SERVICE!.token)).items).toHaveLength(3);
    for (const token of [null, shopper.token, b.shop.owner.token]) expect((await saleAs(sale.id, token)).items).toEqual([]);
    expect((await t.gql(NODE, { id: item.id }, as(shopA.owner.token))).data!.node).toEqual({ id: item.id, status: 'NOMINATED', reason: null });
    expect((await t.gql(NODE, { id: item.id })).data!.node).toBeNull();
    expect((await t.gql(NODE, { id: sale.id })).data!.node).toEqual({ id: sale.id, title: '雙12 秒殺' });
  });

  it.each([
    ['a sale price at the variant’s price', { salePrice: '100.00' }, 'input.salePrice'],
    ['a negative sale price', { salePrice: '-1.00' }, 'input.salePrice'],
    ['a quantity of 0', { quantity: 0 }, 'input.quantity'],
    ['a limit of 0 per buyer', { perUserLimit: 0 }, 'input.perUserLimit'],
  ])('refuses %s with INVALID_INPUT', async (_what, overrides, field) => {
    const sale = await newSale();
    expect(failuresOf(await nominate({ flashSaleId: sale.id, ...offer(a.variantIds[0], overrides) }), 'nominateFlashSaleItem', 'flashSaleItem')).toEqual([['INVALID_INPUT', field]]);
  });

  it('takes one item per variant and sale (INVALID_INPUT on the variant)', async () => {
    const sale = await newSale();
    const v = await newVariant();
    await nominated({ flashSaleId: sale.id, ...offer(v.variantId) });
    expect(failuresOf(await nominate({ flashSaleId: sale.id, ...offer(v.variantId) }, shopA.members.MANAGER!.token), 'nominateFlashSaleItem', 'flashSaleItem')).toEqual([['INVALID_INPUT', 'input.variantId']]);
  });

  it('closes nominations when the sale starts (INVALID_TRANSITION); an unknown sale is NOT_FOUND', async () => {
    const live = await newSale({ startsAt: iso(0) });
    expect(failuresOf(await nominate({ flashSaleId: live.id, ...offer(a.variantIds[0]) }), 'nominateFlashSaleItem', 'flashSaleItem')).toEqual([['INVALID_TRANSITION', 'input.flashSaleId']]);
    expect(code(await nominate({ flashSaleId: idOf('FlashSale', '987654321'), ...offer(a.variantIds[0]) }))).toBe('NOT_FOUND');
  });

  it('refuses a product not on sale (PRODUCT_UNAVAILABLE) and a shop not ACTIVE (SHOP_NOT_ACTIVE)', async () => {
    const sale = await newSale();
    const draft = await scenario(t).shop(shopA).product({ listed: false }).run();
    expect(failuresOf(await nominate({ flashSaleId: sale.id, ...offer(draft.variantIds[0]) }), 'nominateFlashSaleItem', 'flashSaleItem')).toEqual([['PRODUCT_UNAVAILABLE', 'input.variantId']]);
    const other = await scenario(t).shop().product().run();
    await t.sql(`update shop set status = 'SUSPENDED' where id = ?`, [keyOf(other.shop.shopId)]);
    const res = await nominate({ flashSaleId: sale.id, ...offer(other.variantIds[0]) }, other.shop.owner.token);
    expect(failuresOf(res, 'nominateFlashSaleItem', 'flashSaleItem')).toEqual([['SHOP_NOT_ACTIVE', 'input.variantId']]);
  });

  it('refuses the other roles, shoppers, staff and another shop’s variant', async () => {
    const sale = await newSale();
    const input = { flashSaleId: sale.id, ...offer(a.variantIds[0]) };
    expect(code(await nominate(input, null))).toBe('UNAUTHENTICATED');
    expect(code(await nominate(input, shopA.members.CUSTOMER_SERVICE!.token))).toBe('FORBIDDEN');
    expect(code(await nominate(input, shopA.members.FINANCE!.token))).toBe('FORBIDDEN');
    for (const token of [shopper.token, ops.token, b.shop.owner.token]) expect(code(await nominate(input, token))).toBe('NOT_FOUND');
    expect(await t.sql('select id from flash_sale_item where flash_sale_id = ?', [keyOf(sale.id)])).toEqual([]);
  });
});

describe('reviewFlashSaleItem', () => {
  it('approves a nomination: its units set aside (FLASH_SALE_HOLD) into buckets, audited; the public sees it', async () => {
    const sale = await newSale();
    const v = await newVariant({ stock: 20 });
    const item = await nominated({ flashSaleId: sale.id, ...offer(v.variantId, { quantity: 7 }) });
    expect(await reviewed({ itemId: item.id, decision: 'APPROVE' })).toMatchObject({ status: 'APPROVED', remaining: 7, sold: 0, reason: null });
    expect(await stockOf(t, v.variantKey)).toEqual({ on_hand: 13, reserved: 0 });
    expect(await movements(v.variantKey, 'FLASH_SALE_HOLD')).toEqual([{ on_hand: -7, reserved: 0, order_id: null }]);
    expect(await t.sql('select count(*)::int as n, sum(remaining)::int as units from flash_sale_bucket where item_id = ?', [keyOf(item.id)])).toEqual([{ n: 7, units: 7 }]);
    const [audit] = await t.sql(`select action, actor_id::text, before, after from audit_entry where target_type = 'FlashSaleItem' and target_id = ?`, [keyOf(item.id)]);
    expect(audit).toMatchObject({ action: 'flashSaleItem.approve', actor_id: ops.user.id, before: { status: 'NOMINATED' }, after: { status: 'APPROVED' } });
    expect((await saleAs(sale.id, null)).items).toEqual([expect.objectContaining({ id: item.id, status: 'APPROVED', remaining: 7 })]);
    // Decided once.
    expect(failuresOf(await review({ itemId: item.id, decision: 'REJECT', reason: 'Too cheap' }), 'reviewFlashSaleItem', 'flashSaleItem')).toEqual([['INVALID_TRANSITION', '']]);
    await expectLedgerWhole(v.variantKey);
  });

  it('rejects with a reason (REASON_REQUIRED without one) that only the shop and staff see', async () => {
    const sale = await newSale();
    const item = await nominated({ flashSaleId: sale.id, ...offer((await newVariant()).variantId) });
    for (const reason of [null, '  ', 'no', 'x'.repeat(201)]) {
      expect(failuresOf(await review({ itemId: item.id, decision: 'REJECT', reason }), 'reviewFlashSaleItem', 'flashSaleItem')).toEqual([['REASON_REQUIRED', 'input.reason']]);
    }
    expect(await reviewed({ itemId: item.id, decision: 'REJECT', reason: '價格不夠低' })).toMatchObject({ status: 'REJECTED', reason: '價格不夠低' });
    expect((await t.gql(NODE, { id: item.id }, as(shopA.members.OPERATOR!.token))).data!.node).toEqual({ id: item.id, status: 'REJECTED', reason: '價格不夠低' });
    expect((await t.gql(NODE, { id: item.id }, as(b.shop.owner.token))).data!.node).toBeNull();
    expect((await saleAs(sale.id, shopper.token)).items).toEqual([]);
    expect(failuresOf(await review({ itemId: item.id, decision: 'APPROVE' }), 'reviewFlashSaleItem', 'flashSaleItem')).toEqual([['INVALID_TRANSITION', '']]);
  });

  it('refuses an approval the variant lacks units for with INSUFFICIENT_STOCK, changing nothing', async () => {
    const sale = await newSale();
    const v = await newVariant({ stock: 4 });
    const item = await nominated({ flashSaleId: sale.id, ...offer(v.variantId, { quantity: 5 }) });
    expect(failuresOf(await review({ itemId: item.id, decision: 'APPROVE' }), 'reviewFlashSaleItem', 'flashSaleItem')).toEqual([['INSUFFICIENT_STOCK', 'input.itemId']]);
    expect((await t.gql(NODE, { id: item.id }, as(shopA.owner.token))).data!.node.status).toBe('NOMINATED');
    expect(await stockOf(t, v.variantKey)).toEqual({ on_hand: 4, reserved: 0 });
    expect(await bucketsOf(item.id)).toBe(0);
  });

  it('keeps a variant in at most one approved item of sales at the same time (INVALID_INPUT)', async () => {
    const v = await newVariant({ stock: 50 });
    const first = await newSale({ startsAt: iso(HOUR), endsAt: iso(3 * HOUR), items: [offer(v.variantId)] });
    const overlapping = await newSale({ startsAt: iso(2 * HOUR), endsAt: iso(4 * HOUR) });
    const after = await newSale({ startsAt: iso(3 * HOUR), endsAt: iso(5 * HOUR) });
    const clash = await nominated({ flashSaleId: overlapping.id, ...offer(v.variantId) });
    const later = await nominated({ flashSaleId: after.id, ...offer(v.variantId) });
    expect(failuresOf(await review({ itemId: clash.id, decision: 'APPROVE' }), 'reviewFlashSaleItem', 'flashSaleItem')).toEqual([['INVALID_INPUT', 'input.itemId']]);
    expect(failuresOf(await createSale(saleInput({ startsAt: iso(90 * MINUTE), items: [offer(v.variantId)] })), 'createFlashSale', 'flashSale')).toEqual([['INVALID_INPUT', 'input.items.0.variantId']]);
    expect((await reviewed({ itemId: later.id, decision: 'APPROVE' })).status).toBe('APPROVED');
    expect(await stockOf(t, v.variantKey)).toEqual({ on_hand: 40, reserved: 0 });
    expect(first.items[0].status).toBe('APPROVED');
  });

  it('decides until the sale ends (INVALID_TRANSITION after), for staff OPERATIONS only', async () => {
    const sale = await newSale({ startsAt: iso(MINUTE), endsAt: iso(HOUR) });
    const item = await nominated({ flashSaleId: sale.id, ...offer((await newVariant()).variantId) });
    expect(code(await review({ itemId: item.id, decision: 'APPROVE' }, null))).toBe('UNAUTHENTICATED');
    for (const token of [shopA.owner.token, reviewer.token, shopper.token]) expect(code(await review({ itemId: item.id, decision: 'APPROVE' }, token))).toBe('FORBIDDEN');
    clock.advance(HOUR);
    expect(failuresOf(await review({ itemId: item.id, decision: 'APPROVE' }), 'reviewFlashSaleItem', 'flashSaleItem')).toEqual([['INVALID_TRANSITION', 'input.itemId']]);
    expect(code(await review({ itemId: idOf('FlashSaleItem', '987654321'), decision: 'APPROVE' }))).toBe('NOT_FOUND');
  });
});

describe('flashSales and flashSale', () => {
  it('lists the sales by their status on the clock, paged', async () => {
    const upcoming = await newSale({ startsAt: iso(DAY), endsAt: iso(DAY + HOUR) });
    const live = await newSale({ startsAt: iso(-MINUTE), endsAt: iso(HOUR) });
    const ending = await newSale({ startsAt: iso(0), endsAt: iso(MINUTE) });
    clock.advance(MINUTE);
    const ids = async (status: string) => {
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const res: any = (await t.gql(LIST, { filter: { status }, first: 2, after })).data!.flashSales;
        expect(res.nodes.every((n: { status: string }) => n.status === status)).toBe(true);
        seen.push(...res.nodes.map((n: { id: string }) => n.id));
        if (!res.pageInfo.hasNextPage) return seen;
        after = res.pageInfo.endCursor;
      }
    };
    const [u, l, e] = [await ids('UPCOMING'), await ids('LIVE'), await ids('ENDED')];
    expect(u).toContain(upcoming.id);
    expect(l).toContain(live.id);
    expect(e).toContain(ending.id);
    expect(e[0]).toBe(ending.id);
    expect(new Set([...u, ...l, ...e]).size).toBe(u.length + l.length + e.length);
    expect((await t.gql(LIST, { filter: null, first: 100 })).data!.flashSales.totalCount).toBe(await countSales());
    expect(await saleAs(live.id, null)).toMatchObject({ id: live.id, status: 'LIVE' });
    expect(await saleAs(idOf('FlashSale', '987654321'), null)).toBeNull();
  });

  it('costs the same statements for a sale of one item as of four (units through one loader)', async () => {
    const one = await newVariant();
    const four = await scenario(t).shop(shopA).product({ variants: [0, 1, 2, 3].map(() => ({ stock: 10, price: '100.00' })) }).run();
    const small = await newSale({ items: [offer(one.variantId)] });
    const big = await newSale({ items: four.variantIds.map((id) => offer(id)) });
    const small$ = await t.countQueries(SALE, { id: small.id });
    const big$ = await t.countQueries(SALE, { id: big.id });
    expect(big$.result.data!.flashSale.items).toHaveLength(4);
    expect(big$.result.data!.flashSale.items.every((i: { remaining: number }) => i.remaining === 5)).toBe(true);
    expect(big$.queries).toBe(small$.queries);
  });
});

describe('buying in a flash sale', () => {
  it('prices the line at the sale price in the cart and at checkout while live, with a FLASH_SALE discount the shop funds', async () => {
    const v = await newVariant({ stock: 20 });
    const sale = await newSale({ startsAt: iso(HOUR), endsAt: iso(5 * HOUR) });
    const item = await nominated({ flashSaleId: sale.id, ...offer(v.variantId, { quantity: 10, perUserLimit: 2 }) });
    await reviewed({ itemId: item.id, decision: 'APPROVE' });
    const buyer = await newShopper(t);
    okPayload(await add(buyer, v.variantId, 2), 'addToCart');
    // Not started: the normal price.
    const before = await t.countQueries(CART, {}, { token: buyer.token });
    expect(before.result.data!.cart).toMatchObject({ subtotal: { amountMinor: 20000 }, discountTotal: { amountMinor: 0 }, discounts: [] });

    clock.advance(HOUR);
    // The live item comes with the lines: the cart costs the same statements.
    const during = await t.countQueries(CART, {}, { token: buyer.token });
    expect(during.queries).toBe(before.queries);
    const cart = during.result.data!.cart;
    expect(cart).toMatchObject({ subtotal: { amountMinor: 20000 }, discountTotal: { amountMinor: 8020 }, lines: [{ quantity: 2, problem: null }] });
    expect(cart.discounts).toEqual([{ source: 'FLASH_SALE', title: '雙12 秒殺', fundedBy: 'SHOP', amount: { amountMinor: 8020 } }]);

    const placed = okPayload(await checkout(buyer), 'checkout', 'checkout');
    const [order] = placed.orders;
    expect(order).toMatchObject({ subtotal: { amountMinor: 20000 }, discountTotal: { amountMinor: 8020 } });
    expect(order.discounts).toEqual([{ source: 'FLASH_SALE', title: '雙12 秒殺', fundedBy: 'SHOP', amount: { amountMinor: 8020 }, shippingAmount: { amountMinor: 0 } }]);
    expect(order.lines).toEqual([expect.objectContaining({ quantity: 2, unitPrice: { amountMinor: 10000 }, lineTotal: { amountMinor: 20000 }, discount: { amountMinor: 8020 } })]);
    expect(await t.sql('select flash_sale_item_id::text as item from order_line where order_id = ?', [keyOf(order.id)])).toEqual([{ item: keyOf(item.id) }]);
    expect(await t.sql('select source, campaign_id::text as campaign from order_discount where order_id = ?', [keyOf(order.id)])).toEqual([{ source: 'FLASH_SALE', campaign: keyOf(item.id) }]);
    // The units came out of the item, not the variant.
    expect(await bucketsOf(item.id)).toBe(8);
    expect(await stockOf(t, v.variantKey)).toEqual({ on_hand: 10, reserved: 0 });
    expect((await saleAs(sale.id, null)).items[0]).toMatchObject({ remaining: 8, sold: 2 });
    // The limit per buyer: no more at the sale price, and never a mix with the normal price.
    expect(failuresOf(await add(buyer, v.variantId, 1), 'addToCart', 'cart')).toEqual([['FLASH_SALE_LIMIT_REACHED', 'input.quantity']]);
    await expectLedgerWhole(v.variantKey);
  });

  it('sells a variant whose whole stock the item holds, and keeps each line within the limit per buyer', async () => {
    const { variantId, variantKey, item } = await liveItem({ stock: 6, quantity: 6, perUserLimit: 2 });
    expect(await stockOf(t, variantKey)).toEqual({ on_hand: 0, reserved: 0 });
    const buyer = await newShopper(t);
    expect(failuresOf(await add(buyer, variantId, 3), 'addToCart', 'cart')).toEqual([['FLASH_SALE_LIMIT_REACHED', 'input.quantity']]);
    const { cart } = okPayload(await add(buyer, variantId, 1), 'addToCart');
    expect((await cartOf(buyer)).lines).toEqual([{ id: cart.lines[0].id, quantity: 1, problem: null }]);
    expect(failuresOf(await t.gql(UPDATE_LINE, { input: { lineId: cart.lines[0].id, quantity: 3 } }, as(buyer.token)), 'updateCartLine', 'cart')).toEqual([['FLASH_SALE_LIMIT_REACHED', 'input.quantity']]);
    okPayload(await t.gql(UPDATE_LINE, { input: { lineId: cart.lines[0].id, quantity: 2 } }, as(buyer.token)), 'updateCartLine');
    // Two units at once, though each bucket holds one.
    const placed = okPayload(await checkout(buyer), 'checkout', 'checkout');
    expect(placed.orders[0].discountTotal).toEqual({ amountMinor: 2 * 4010 });
    expect(await bucketsOf(item.id)).toBe(4);
    await expectLedgerWhole(variantKey);
  });

  it('counts unpaid and paid orders against the limit per buyer, and a cancellation frees its units', async () => {
    const { variantId, variantKey, item } = await liveItem({ quantity: 10, perUserLimit: 2 });
    const buyer = await newShopper(t);
    const unpaid = await bought(buyer, variantId, 1);
    const paid = await bought(buyer, variantId, 1);
    await pay(buyer, paid.id);
    expect(failuresOf(await add(buyer, variantId, 1), 'addToCart', 'cart')).toEqual([['FLASH_SALE_LIMIT_REACHED', 'input.quantity']]);
    // A line that slipped in (added before the sale, say) is refused at checkout too.
    const line = await cartLine(t, buyer.user.id, variantKey, 1);
    expect(failuresOf(await checkout(buyer), 'checkout', 'checkout')).toEqual([['FLASH_SALE_LIMIT_REACHED', `lines.${line}`]]);
    expect(await bucketsOf(item.id)).toBe(8);

    await cancel(buyer, unpaid.orders[0].id);
    expect(await bucketsOf(item.id)).toBe(9);
    expect(okPayload(await checkout(buyer), 'checkout', 'checkout').orders[0].discountTotal).toEqual({ amountMinor: 4010 });
    expect(await bucketsOf(item.id)).toBe(8);
  });

  it('sells exactly the units there are to 40 buyers racing for 10 (the rest FLASH_SALE_SOLD_OUT)', async () => {
    const { variantId, variantKey, item } = await liveItem({ stock: 10, quantity: 10, perUserLimit: 1 });
    const buyers = await Promise.all(Array.from({ length: 40 }, () => newShopper(t)));
    for (const buyer of buyers) await cartLine(t, buyer.user.id, variantKey, 1);
    const outcomes = await Promise.all(buyers.map((buyer) => checkout(buyer).then((res) => outcomeOf(res, 'checkout'))));
    expect(outcomes.filter((o) => o === 'OK')).toHaveLength(10);
    expect(outcomes.filter((o) => o !== 'OK').every((o) => o === 'FLASH_SALE_SOLD_OUT')).toBe(true);
    expect(await bucketsOf(item.id)).toBe(0);
    expect(await t.sql('select count(*)::int as orders, sum(quantity)::int as units from order_line where flash_sale_item_id = ?', [keyOf(item.id)])).toEqual([{ orders: 10, units: 10 }]);
    expect(await stockOf(t, variantKey)).toEqual({ on_hand: 0, reserved: 0 });
    // Sold out: the cart says so.
    expect(failuresOf(await add(await newShopper(t), variantId, 1), 'addToCart', 'cart')).toEqual([['FLASH_SALE_SOLD_OUT', 'input.quantity']]);
    await expectLedgerWhole(variantKey);
  });

  it('lets one buyer racing themselves take the limit once', async () => {
    const { variantId, variantKey, item } = await liveItem({ quantity: 10, perUserLimit: 1 });
    const buyer = await newShopper(t);
    okPayload(await add(buyer, variantId, 1), 'addToCart');
    // Checkouts with different keys, the line put back between them.
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 === 0 ? checkout(buyer).then((res) => outcomeOf(res, 'checkout')) : cartLine(t, buyer.user.id, variantKey, 1).then(() => 'line'),
      ),
    );
    const checkouts = outcomes.filter((o) => o !== 'line');
    expect(checkouts.filter((o) => o === 'OK')).toHaveLength(1);
    expect(checkouts.filter((o) => o !== 'OK').every((o) => o === 'FLASH_SALE_LIMIT_REACHED' || o === 'EMPTY_CART')).toBe(true);
    expect(await t.sql('select sum(l.quantity)::int as units from order_line l join orders o on o.id = l.order_id where l.flash_sale_item_id = ? and o.buyer_id = ?', [keyOf(item.id), buyer.user.id])).toEqual([{ units: 1 }]);
    expect(await bucketsOf(item.id)).toBe(9);
    // With a line in the cart again, the next checkout is refused.
    const line = await cartLine(t, buyer.user.id, variantKey, 1);
    expect(failuresOf(await checkout(buyer), 'checkout', 'checkout')).toEqual([['FLASH_SALE_LIMIT_REACHED', `lines.${line}`]]);
  });

  it('returns the units of an unpaid order that expires to the item', async () => {
    const { variantId, variantKey, item } = await liveItem({ quantity: 5 });
    const buyer = await newShopper(t);
    const placed = await bought(buyer, variantId, 2);
    expect(await bucketsOf(item.id)).toBe(3);
    clock.advance(t.config.orders.checkoutTtlMinutes * MINUTE + MINUTE);
    await runTask('expire-checkouts');
    expect(await t.sql('select status from orders where id = ?', [keyOf(placed.orders[0].id)])).toEqual([{ status: 'CANCELLED' }]);
    expect(await bucketsOf(item.id)).toBe(5);
    expect(await stockOf(t, variantKey)).toEqual({ on_hand: 15, reserved: 0 });
    await expectLedgerWhole(variantKey);
  });

  it('returns the unsold units to stock when the sale ends, then sells at the normal price; a later cancellation returns its units to the variant', async () => {
    const { variantId, variantKey, item, sale } = await liveItem({ stock: 20, quantity: 10, perUserLimit: 5, hours: 2 });
    const [kept, withdrawn] = [await newShopper(t), await newShopper(t)];
    const first = await bought(kept, variantId, 3);
    await pay(kept, first.id);
    const second = await bought(withdrawn, variantId, 2);
    await pay(withdrawn, second.id);
    expect(await stockOf(t, variantKey)).toEqual({ on_hand: 10, reserved: 0 });

    clock.advance(2 * HOUR);
    expect(await runTask('end-flash-sales')).toMatch(/^done: [1-9]/);
    expect(await stockOf(t, variantKey)).toEqual({ on_hand: 15, reserved: 0 });
    expect(await movements(variantKey, 'FLASH_SALE_RETURN')).toEqual([{ on_hand: 5, reserved: 0, order_id: null }]);
    expect(await bucketsOf(item.id)).toBe(0);
    expect((await t.sql('select settled_at is not null as settled from flash_sale where id = ?', [keyOf(sale.id)]))[0].settled).toBe(true);
    expect(await saleAs(sale.id, null)).toMatchObject({ status: 'ENDED', items: [expect.objectContaining({ remaining: 0, sold: 5 })] });
    // A second run changes nothing.
    expect(await runTask('end-flash-sales')).toBe('done: 0');
    expect(await stockOf(t, variantKey)).toEqual({ on_hand: 15, reserved: 0 });

    // Cancelled after the end: the units go back to the variant.
    await cancel(withdrawn, second.orders[0].id);
    expect(await stockOf(t, variantKey)).toEqual({ on_hand: 17, reserved: 0 });
    expect(await movements(variantKey, 'FLASH_SALE_RETURN')).toEqual([
      { on_hand: 5, reserved: 0, order_id: null },
      { on_hand: 2, reserved: 0, order_id: keyOf(second.orders[0].id) },
    ]);
    expect((await saleAs(sale.id, null)).items[0].sold).toBe(3);

    // After the sale: the normal price, from the variant's own stock.
    const later = await newShopper(t);
    okPayload(await add(later, variantId, 1), 'addToCart');
    expect(await cartOf(later)).toMatchObject({ discountTotal: { amountMinor: 0 }, discounts: [] });
    const normal = okPayload(await checkout(later), 'checkout', 'checkout').orders[0];
    expect(normal).toMatchObject({ subtotal: { amountMinor: 10000 }, discountTotal: { amountMinor: 0 }, discounts: [] });
    expect(await t.sql('select flash_sale_item_id from order_line where order_id = ?', [keyOf(normal.id)])).toEqual([{ flash_sale_item_id: null }]);
    expect(await stockOf(t, variantKey)).toEqual({ on_hand: 17, reserved: 1 });
    await expectLedgerWhole(variantKey);
  });
});
