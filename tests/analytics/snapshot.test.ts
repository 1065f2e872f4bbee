import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withQueryCount } from '../../src/db/queryCounter';
import { StaffRole } from '../../src/entities';
import { runSnapshotTask, snapshotMetrics } from '../../src/services/analytics';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { newKey, PAY, webhook } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, keyOf, okPayload } from '../helpers/kit';
import { CHECKOUT_PRICED, grantCoupon } from '../helpers/promotions';
import { newShopper, type ScenarioProduct, type ScenarioShop, scenario, type Shopper } from '../helpers/scenario';

/**
 * The daily KPI snapshot on a history made through the API, with the figures worked out by hand
 * (Asia/Shanghai days; commission 5 %; shops without shipping templates ship free):
 *
 * Categories R > C > L and Q. Shop A sells PA (100.00, in L) and PB (50.00, in Q); shop B sells
 * PC (80.00, in C).
 *
 * D1 2031-05-05  10:00 U1 buys 2 PA (O1, 200.00, paid)        11:00 U3 orders PB (O3) and cancels it unpaid
 *                12:00 events: an anonymous session views PA twice, adds it to the cart and searches;
 *                      U1 views PA and adds it; U4 views PC, adds it and shares it (and never buys)
 *                23:50 U2 orders PC (O2), unpaid
 * D2 2031-05-06  00:10 U2 pays O2 (placed D1, paid D2)
 *                09:00 U5 buys PA with a 10.00 shop-A coupon (O5, 90.00)
 *                10:00 U1 buys PB with a 5.00 platform coupon (O4, 45.00): returning on the
 *                      platform and in shop A, new in Q
 *                12:00 U5 cancels O5: refunded in full (90.00), sent at 12:05; an anonymous search
 * D3 2031-05-07  nothing: PLATFORM zeros
 * D4 2031-05-08  09:00 O1 shipped and delivered; 10:00 U1 asks a refund of one PA of it (an after-sale
 *                case), approved, sent at 10:05 (100.00); 12:00 U1 buys PC (O6): new in shop B only
 */

const D1 = '2031-05-05';
const D2 = '2031-05-06';
const D3 = '2031-05-07';
const D4 = '2031-05-08';
/** The instant of `time` ("HH:MM") on `day`, Asia/Shanghai. */
const at = (day: string, time: string) => new Date(`${day}T${time}:00+08:00`);
const clock = new ManualClock(at(D1, '09:00'));

const CREATE_CATEGORY = `mutation($input: CategoryInput!) { createCategory(input: $input) { category { id } errors { code field } } }`;
const ADD_TO_CART = `mutation($input: AddToCartInput!) { addToCart(input: $input) { cart { id } errors { code field message } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code field message } } }`;
const SHIP = `mutation($input: ShipOrderInput!) { shipOrder(input: $input) { order { status } errors { code field message } } }`;
const CONFIRM = `mutation($input: IdInput!) { confirmDelivery(input: $input) { order { status } errors { code field message } } }`;
const LINES = `query($id: ID!) { order(id: $id) { lines { id } } }`;
const REQUEST = `mutation($input: RequestAfterSaleInput!) { requestAfterSale(input: $input) { afterSaleCase { id } errors { code field message } } }`;
const RESPOND = `mutation($input: RespondAfterSaleInput!) { respondAfterSale(input: $input) { afterSaleCase { id status } errors { code field message } } }`;
const TRACK = `mutation($input: TrackEventsInput!) { trackEvents(input: $input) { accepted errors { code field message } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;
const BACKFILL = `mutation($input: SnapshotMetricsInput!) { snapshotMetrics(input: $input) { days errors { code field message } } }`;

let t: TestApp;
let admin: { token: string };
let shopA: ScenarioShop;
let shopB: ScenarioShop;
let PA: ScenarioProduct;
let PB: ScenarioProduct;
let PC: ScenarioProduct;
/** Category keys. */
const cat = { R: '', C: '', L: '', Q: '' };
let U1: Shopper;
let U2: Shopper;
let U3: Shopper;
let U4: Shopper;
let U5: Shopper;
/** Session keys: hashtextextended(session id, 0). */
const session = { anon: '', u1: '', u4: '', anonD2: '' };

// --- Building the history through the API -------------------------------------------------------

async function category(token: string, name: string, parent?: string): Promise<string> {
  return okPayload(await t.gql(CREATE_CATEGORY, { input: { name, ...(parent ? { parentId: parent } : {}) } }, { token }), 'createCategory', 'category').id;
}

/** `buyer` checks out `quantity` of `product` (with `couponIds`); returns the order's ID and key and the checkout's ID. */
async function order(buyer: Shopper, product: ScenarioProduct, quantity: number, couponIds: string[] = []) {
  okPayload(await t.gql(ADD_TO_CART, { input: { variantId: product.variantIds[0], quantity } }, { token: buyer.token }), 'addToCart');
  const checkout = okPayload(await t.gql(CHECKOUT_PRICED, { input: { addressId: buyer.addressId, couponIds }, key: newKey() }, { token: buyer.token }), 'checkout', 'checkout');
  const [o] = checkout.orders;
  return { id: o.id as string, key: keyOf(o.id), checkoutId: checkout.id as string, total: o.total.amountMinor as number };
}

/** Pays the checkout with the mock provider and its signed webhook, at the clock's time. */
async function pay(buyer: Shopper, checkoutId: string): Promise<void> {
  const { payment } = okPayload(await t.gql(PAY, { input: { checkoutId, provider: 'MOCK' } }, { token: buyer.token }), 'payCheckout');
  const hook = await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id });
  expect(hook.statusCode).toBe(200);
}

const runTask = async (name: string) => okPayload(await t.gql(RUN, { input: { name } }, { token: admin.token }), 'runScheduledTask').task.lastResult as string;

async function track(sessionId: string, events: Record<string, unknown>[], token?: string): Promise<void> {
  expect(okPayload(await t.gql(TRACK, { input: { sessionId, events } }, { token }), 'trackEvents').accepted).toBe(events.length);
}

const keyOfSession = async (sessionId: string) => String((await t.sql('select hashtextextended(?, 0)::text as k', [sessionId]))[0].k);

beforeAll(async () => {
  t = await createTestApp({ DEFAULT_COMMISSION_RATE: '0.05' }, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  const ops = await staff(t, StaffRole.OPERATIONS);
  const reviewer = await staff(t, StaffRole.REVIEWER);
  const R = await category(ops.token, 'Electronics');
  const C = await category(ops.token, 'Audio', R);
  const L = await category(ops.token, 'Earphones', C);
  const Q = await category(ops.token, 'Home');
  Object.assign(cat, { R: keyOf(R), C: keyOf(C), L: keyOf(L), Q: keyOf(Q) });

  const a = await scenario(t, { reviewer, categoryId: L }).shop().product({ price: 10_000, title: 'Earphones PA' }).product({ price: 5_000, title: 'Mug PB', categoryId: Q }).run();
  shopA = a.shop;
  [PA, PB] = a.products;
  const b = await scenario(t, { reviewer, categoryId: C }).shop().product({ price: 8_000, title: 'Speaker PC' }).run();
  shopB = b.shop;
  PC = b.product;
  [U1, U2, U3, U4, U5] = [await newShopper(t), await newShopper(t), await newShopper(t), await newShopper(t), await newShopper(t)];

  // D1
  clock.set(at(D1, '10:00'));
  const o1 = await order(U1, PA, 2);
  await pay(U1, o1.checkoutId);
  clock.set(at(D1, '11:00'));
  const o3 = await order(U3, PB, 1);
  clock.set(at(D1, '11:30'));
  okPayload(await t.gql(CANCEL, { input: { orderId: o3.id } }, { token: U3.token }), 'cancelOrder');
  clock.set(at(D1, '12:00'));
  await track('anon-session-d1', [
    { type: 'PRODUCT_VIEW', productId: PA.id },
    { type: 'PRODUCT_VIEW', productId: PA.id },
    { type: 'ADD_TO_CART', productId: PA.id },
    { type: 'SEARCH', query: 'earphones' },
  ]);
  await track('u1-session-d1', [{ type: 'PRODUCT_VIEW', productId: PA.id }, { type: 'ADD_TO_CART', productId: PA.id }], U1.token);
  await track('u4-session-d1', [{ type: 'PRODUCT_VIEW', productId: PC.id }, { type: 'ADD_TO_CART', productId: PC.id }, { type: 'SHARE', productId: PC.id }], U4.token);
  clock.set(at(D1, '23:50'));
  const o2 = await order(U2, PC, 1);

  // D2
  clock.set(at(D2, '00:10'));
  await pay(U2, o2.checkoutId);
  clock.set(at(D2, '09:00'));
  const shopCoupon = await grantCoupon(t, U5.user.id, { shopKey: shopA.shop.id, kind: 'AMOUNT_OFF', amountOff: 1_000, at: clock.now() });
  const o5 = await order(U5, PA, 1, [shopCoupon.id]);
  expect(o5.total).toBe(9_000);
  await pay(U5, o5.checkoutId);
  clock.set(at(D2, '10:00'));
  const platformCoupon = await grantCoupon(t, U1.user.id, { shopKey: null, kind: 'AMOUNT_OFF', amountOff: 500, at: clock.now() });
  const o4 = await order(U1, PB, 1, [platformCoupon.id]);
  expect(o4.total).toBe(4_500);
  await pay(U1, o4.checkoutId);
  clock.set(at(D2, '12:00'));
  okPayload(await t.gql(CANCEL, { input: { orderId: o5.id } }, { token: U5.token }), 'cancelOrder');
  await track('anon-search-d2', [{ type: 'SEARCH', query: 'mug' }]);
  clock.set(at(D2, '12:05'));
  expect(await runTask('send-refunds')).toBe('done: 1');

  // D4: O1 shipped and delivered first (a refund of part of an order waits for its parcel).
  clock.set(at(D4, '09:00'));
  okPayload(await t.gql(SHIP, { input: { orderId: o1.id, carrier: 'SF Express', trackingNumber: 'SF1234567890' } }, { token: shopA.owner.token }), 'shipOrder');
  okPayload(await t.gql(CONFIRM, { input: { id: o1.id } }, { token: U1.token }), 'confirmDelivery');
  clock.set(at(D4, '10:00'));
  const [line] = (await t.gql(LINES, { id: o1.id }, { token: U1.token })).data!.order.lines;
  const afterSale = okPayload(
    await t.gql(REQUEST, { input: { orderId: o1.id, type: 'REFUND_ONLY', reason: 'One earbud is silent', lines: [{ orderLineId: line.id, quantity: 1 }] } }, { token: U1.token }),
    'requestAfterSale',
    'afterSaleCase',
  );
  okPayload(await t.gql(RESPOND, { input: { caseId: afterSale.id, decision: 'APPROVE' } }, { token: shopA.owner.token }), 'respondAfterSale');
  clock.set(at(D4, '10:05'));
  expect(await runTask('send-refunds')).toBe('done: 1');
  clock.set(at(D4, '12:00'));
  const o6 = await order(U1, PC, 1);
  await pay(U1, o6.checkoutId);
  clock.set(at(D4, '13:00'));

  Object.assign(session, {
    anon: await keyOfSession('anon-session-d1'),
    u1: await keyOfSession('u1-session-d1'),
    u4: await keyOfSession('u4-session-d1'),
    anonD2: await keyOfSession('anon-search-d2'),
  });
});
afterAll(() => t.close());

// --- Reading the snapshot -----------------------------------------------------------------------

const COUNTS = ['orders', 'cancelled_orders', 'paid_orders', 'units', 'gmv', 'refunds', 'refunded_orders', 'after_sales', 'coupon_redemptions', 'shop_promotion_cost', 'platform_promotion_cost', 'commission', 'product_views', 'searches', 'add_to_carts', 'shares'] as const;
const SETS = ['buyer_ids', 'new_buyer_ids', 'visitor_keys', 'viewer_keys', 'cart_user_ids'] as const;
type Figures = Record<(typeof COUNTS)[number], number> & Record<(typeof SETS)[number], string[]>;

function figures(values: Partial<Figures> = {}): Figures {
  const zeros = Object.fromEntries([...COUNTS.map((c) => [c, 0]), ...SETS.map((s) => [s, []])]) as unknown as Figures;
  const out = { ...zeros, ...values };
  // Sets are stored sorted as 64-bit integers.
  for (const s of SETS) out[s] = [...out[s]].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0));
  return out;
}

/** The rows of `scope` (`scopeId`) by day, as Figures. */
async function rows(scope: 'PLATFORM' | 'SHOP' | 'CATEGORY', scopeId: string): Promise<Record<string, Figures>> {
  const found = await t.sql(
    `select day::text, ${COUNTS.map((c) => `${c}::int`).join(', ')}, ${SETS.map((s) => `${s}::text[]`).join(', ')}
     from metric_daily where scope = ? and scope_id = ? order by day`,
    [scope, scopeId],
  );
  return Object.fromEntries(found.map(({ day, ...rest }) => [day, rest as Figures]));
}

/** Every row of both tables but computed_at, for comparing two runs. */
async function everything(): Promise<unknown[]> {
  return t.sql(
    `select (to_jsonb(m) - 'computed_at')::text as row from metric_daily m
     union all select to_jsonb(p)::text from product_metric_daily p
     order by 1`,
  );
}

const snapshot = (from: string, to: string) => snapshotMetrics(t.app.deps, t.orm.em.fork(), { from, to });

const users = () => ({ u1: U1.user.id, u2: U2.user.id, u4: U4.user.id, u5: U5.user.id });

// --- The figures --------------------------------------------------------------------------------

describe('snapshotMetrics', () => {
  it('writes the PLATFORM figures of each day, each dated by its own event, and a row of zeros for a quiet day', async () => {
    expect(await snapshot(D1, D4)).toEqual({ days: 4, rows: expect.any(Number), changed: expect.any(Number) });
    const { u1, u2, u4, u5 } = users();
    expect(await rows('PLATFORM', '0')).toEqual({
      [D1]: figures({
        orders: 3, // O1, O3, O2 (placed at 23:50, paid the next day)
        cancelled_orders: 1, // O3, never paid
        paid_orders: 1,
        units: 2,
        gmv: 20_000,
        commission: 1_000,
        buyer_ids: [u1],
        new_buyer_ids: [u1],
        product_views: 4,
        searches: 1,
        add_to_carts: 3,
        shares: 1,
        visitor_keys: [session.anon, session.u1, session.u4],
        viewer_keys: [session.anon, session.u1, session.u4],
        // The anonymous cart is nobody's: carts belong to accounts.
        cart_user_ids: [u1, u4],
      }),
      [D2]: figures({
        orders: 2, // O5, O4
        cancelled_orders: 1, // O5, after payment
        paid_orders: 3, // O2, O5, O4
        units: 3,
        gmv: 8_000 + 9_000 + 4_500,
        refunds: 9_000, // O5's, sent at 12:05
        refunded_orders: 1,
        coupon_redemptions: 2,
        shop_promotion_cost: 1_000,
        platform_promotion_cost: 500,
        // 5 % of each line less what the shop funded: 8000 → 400, 10000 − 1000 → 450, 5000 (platform coupon) → 250.
        commission: 400 + 450 + 250,
        buyer_ids: [u1, u2, u5],
        new_buyer_ids: [u2, u5], // U1 paid before
        searches: 1,
        visitor_keys: [session.anonD2],
      }),
      [D3]: figures(),
      [D4]: figures({ orders: 1, paid_orders: 1, units: 1, gmv: 8_000, commission: 400, refunds: 10_000, refunded_orders: 1, after_sales: 1, buyer_ids: [u1] }),
    });
  });

  it('writes SHOP rows where the shop had something that day, with its own new buyers and events', async () => {
    const { u1, u2, u4, u5 } = users();
    expect(await rows('SHOP', shopA.shop.id)).toEqual({
      [D1]: figures({
        orders: 2,
        cancelled_orders: 1,
        paid_orders: 1,
        units: 2,
        gmv: 20_000,
        commission: 1_000,
        buyer_ids: [u1],
        new_buyer_ids: [u1],
        product_views: 3,
        add_to_carts: 2,
        visitor_keys: [session.anon, session.u1],
        viewer_keys: [session.anon, session.u1],
        cart_user_ids: [u1],
      }),
      [D2]: figures({
        orders: 2,
        cancelled_orders: 1,
        paid_orders: 2,
        units: 2,
        gmv: 9_000 + 4_500,
        refunds: 9_000,
        refunded_orders: 1,
        coupon_redemptions: 2,
        shop_promotion_cost: 1_000,
        platform_promotion_cost: 500,
        commission: 450 + 250,
        buyer_ids: [u1, u5],
        new_buyer_ids: [u5], // U1 bought here on D1
      }),
      [D4]: figures({ refunds: 10_000, refunded_orders: 1, after_sales: 1 }),
    });
    expect(await rows('SHOP', shopB.shop.id)).toEqual({
      [D1]: figures({ orders: 1, product_views: 1, add_to_carts: 1, shares: 1, visitor_keys: [session.u4], viewer_keys: [session.u4], cart_user_ids: [u4] }),
      [D2]: figures({ paid_orders: 1, units: 1, gmv: 8_000, commission: 400, buyer_ids: [u2], new_buyer_ids: [u2] }),
      // U1's first order in shop B, though not on the platform.
      [D4]: figures({ orders: 1, paid_orders: 1, units: 1, gmv: 8_000, commission: 400, buyer_ids: [u1], new_buyer_ids: [u1] }),
    });
  });

  it('writes CATEGORY rows for the product’s category and each ancestor, with the lines’ net amounts and no promotion cost', async () => {
    const { u1, u2, u4, u5 } = users();
    const leaf = {
      [D1]: figures({
        orders: 1,
        paid_orders: 1,
        units: 2,
        gmv: 20_000,
        commission: 1_000,
        buyer_ids: [u1],
        new_buyer_ids: [u1],
        product_views: 3,
        add_to_carts: 2,
        visitor_keys: [session.anon, session.u1],
        viewer_keys: [session.anon, session.u1],
        cart_user_ids: [u1],
      }),
      // O5's line: 100.00 less the 10.00 coupon; refunded in full, all of it PA's.
      [D2]: figures({ orders: 1, cancelled_orders: 1, paid_orders: 1, units: 1, gmv: 9_000, refunds: 9_000, refunded_orders: 1, coupon_redemptions: 1, commission: 450, buyer_ids: [u5], new_buyer_ids: [u5] }),
      [D4]: figures({ refunds: 10_000, refunded_orders: 1, after_sales: 1 }),
    };
    expect(await rows('CATEGORY', cat.L)).toEqual(leaf);
    // C holds L and PC; R holds C.
    const audio = {
      [D1]: figures({
        orders: 2,
        paid_orders: 1,
        units: 2,
        gmv: 20_000,
        commission: 1_000,
        buyer_ids: [u1],
        new_buyer_ids: [u1],
        product_views: 4,
        add_to_carts: 3,
        shares: 1,
        visitor_keys: [session.anon, session.u1, session.u4],
        viewer_keys: [session.anon, session.u1, session.u4],
        cart_user_ids: [u1, u4],
      }),
      [D2]: figures({
        orders: 1,
        cancelled_orders: 1,
        paid_orders: 2,
        units: 2,
        gmv: 8_000 + 9_000,
        refunds: 9_000,
        refunded_orders: 1,
        coupon_redemptions: 1,
        commission: 400 + 450,
        buyer_ids: [u2, u5],
        new_buyer_ids: [u2, u5],
      }),
      // O6 (PC) is U1's, who bought in C (PA, in L) on D1: not new here.
      [D4]: figures({ orders: 1, paid_orders: 1, units: 1, gmv: 8_000, commission: 400, refunds: 10_000, refunded_orders: 1, after_sales: 1, buyer_ids: [u1] }),
    };
    expect(await rows('CATEGORY', cat.C)).toEqual(audio);
    expect(await rows('CATEGORY', cat.R)).toEqual(audio);
    // U1 had bought on the platform and in shop A, but never in Q: new there.
    expect(await rows('CATEGORY', cat.Q)).toEqual({
      [D1]: figures({ orders: 1, cancelled_orders: 1 }),
      [D2]: figures({ orders: 1, paid_orders: 1, units: 1, gmv: 4_500, coupon_redemptions: 1, commission: 250, buyer_ids: [u1], new_buyer_ids: [u1] }),
    });
  });

  it('writes product_metric_daily: views and add-to-carts, orders paid, units and net amount per product and day', async () => {
    const found = await t.sql(
      `select day::text, product_id::text, shop_id::text, category_path, views, add_to_carts, paid_orders, units, gmv::int
       from product_metric_daily order by day, product_id`,
    );
    const pathOf = async (p: ScenarioProduct) => String((await t.sql('select category_path from product where id = ?', [keyOf(p.id)]))[0].category_path);
    const row = async (day: string, p: ScenarioProduct, shop: ScenarioShop, v: [number, number, number, number, number]) => ({
      day,
      product_id: keyOf(p.id),
      shop_id: shop.shop.id,
      category_path: await pathOf(p),
      views: v[0],
      add_to_carts: v[1],
      paid_orders: v[2],
      units: v[3],
      gmv: v[4],
    });
    expect(await pathOf(PA)).toBe(`/${cat.R}/${cat.C}/${cat.L}/`);
    expect(found).toEqual(
      [
        await row(D1, PA, shopA, [3, 2, 1, 2, 20_000]),
        await row(D1, PC, shopB, [1, 1, 0, 0, 0]),
        await row(D2, PA, shopA, [0, 0, 1, 1, 9_000]),
        await row(D2, PB, shopA, [0, 0, 1, 1, 4_500]),
        await row(D2, PC, shopB, [0, 0, 1, 1, 8_000]),
        await row(D4, PC, shopB, [0, 0, 1, 1, 8_000]),
      ].sort((x, y) => (x.day === y.day ? Number(x.product_id) - Number(y.product_id) : x.day < y.day ? -1 : 1)),
    );
  });

  it('is idempotent: a second run, later, finds identical rows and restamps only the PLATFORM rows; one day alone gives the same row', async () => {
    const before = await everything();
    const stamps = async () =>
      (await t.sql(`select scope, min(computed_at) as low, max(computed_at) as high from metric_daily where day between ? and ? group by scope order by scope`, [D1, D4])).map((r) => ({
        scope: r.scope,
        low: new Date(r.low).toISOString(),
        high: new Date(r.high).toISOString(),
      }));
    const first = clock.now().toISOString();
    expect(await stamps()).toEqual(['CATEGORY', 'PLATFORM', 'SHOP'].map((scope) => ({ scope, low: first, high: first })));
    clock.set(at(D4, '15:00'));
    expect(await snapshot(D1, D4)).toMatchObject({ days: 4, changed: 0 });
    expect(await everything()).toEqual(before);
    // The reports' snapshotAt (the PLATFORM rows') says when the figures were last computed; no other row was written.
    const later = clock.now().toISOString();
    expect(await stamps()).toEqual([
      { scope: 'CATEGORY', low: first, high: first },
      { scope: 'PLATFORM', low: later, high: later },
      { scope: 'SHOP', low: first, high: first },
    ]);
    // An old day snapshotted alone: what happened later (D4's refund of an order paid D1) does not reach it.
    await snapshot(D1, D1);
    expect(await everything()).toEqual(before);
  });

  it('keeps the event figures of days whose raw events are gone (past retention) and recomputes their orders', async () => {
    await snapshot(D1, D4);
    const before = await everything();
    const partition = `behaviour_event_${D1.replaceAll('-', '')}`;
    await t.sql(`alter table behaviour_event detach partition ${partition}`);
    try {
      await t.sql(`update metric_daily set orders = 999 where day = ? and scope = 'PLATFORM'`, [D1]);
      await snapshot(D1, D4);
      expect(await everything()).toEqual(before);
      expect((await rows('PLATFORM', '0'))[D1]).toMatchObject({ orders: 3, product_views: 4, searches: 1 });
    } finally {
      await t.sql(`alter table behaviour_event attach partition ${partition} for values from ('${at(D1, '00:00').toISOString()}') to ('${at(D2, '00:00').toISOString()}')`);
    }
  });

  it('sends the same two statements whatever the days, shops and categories', async () => {
    const count = async (from: string, to: string) => (await withQueryCount(() => snapshot(from, to))).queries;
    const oneQuietDay = await count(D3, D3);
    expect(oneQuietDay).toBe(2);
    expect(await count(D1, D4)).toBe(oneQuietDay);
    // More shops and categories with figures change nothing either.
    const more = await scenario(t).shop().product().buyer().inCart(1).paid().run();
    expect(more.order.status).toBe('PAID');
    expect(await count(D1, D4)).toBe(oneQuietDay);
    expect(await count('2029-06-01', D4)).toBe(oneQuietDay);
    await t.sql(`delete from metric_daily where day < ?`, [D1]);
  });
});

describe('the snapshot-metrics task', () => {
  it('covers the day before yesterday (late events), yesterday and today, and catches up from the first order’s day, then from the last day it snapshotted, at most 31 days back', async () => {
    await t.sql('delete from metric_daily');
    await t.sql('delete from product_metric_daily');
    const platformDays = async () => (await t.sql(`select day::text from metric_daily where scope = 'PLATFORM' order by day`)).map((r) => r.day);

    // Empty table, the day after D4 at 00:10: from the first order's day (D1) to today. Every row
    // is new; a second run straight after changes nothing.
    clock.set(at('2031-05-09', '00:10'));
    const first = /^done: (\d+); 5 days, 2031-05-05 to 2031-05-09: (\d+) rows$/.exec(await runTask('snapshot-metrics'));
    const [{ metric, product }] = await t.sql('select (select count(*) from metric_daily)::int as metric, (select count(*) from product_metric_daily)::int as product');
    expect(first && [Number(first[1]), Number(first[2])]).toEqual([metric + product, metric]);
    expect(await runTask('snapshot-metrics')).toBe('done: 0');
    expect(await platformDays()).toEqual([D1, D2, D3, D4, '2031-05-09']);
    expect((await rows('PLATFORM', '0'))[D2]).toMatchObject({ paid_orders: 3, gmv: 21_500 });

    // The next night: the day before yesterday (late events may still have reached it), yesterday
    // (snapshotted part-way) and today, new.
    clock.set(at('2031-05-10', '00:10'));
    expect(await runTask('snapshot-metrics')).toBe('done: 1; 3 days, 2031-05-08 to 2031-05-10: 10 rows');

    // Three nights missed: back to the last day snapshotted.
    clock.set(at('2031-05-14', '00:10'));
    expect(await runTask('snapshot-metrics')).toBe('done: 4; 5 days, 2031-05-10 to 2031-05-14: 5 rows');

    // Down for six weeks: 31 days back at most.
    clock.set(at('2031-06-25', '00:10'));
    expect(await runTask('snapshot-metrics')).toBe('done: 32; 32 days, 2031-05-25 to 2031-06-25: 32 rows');
    const days = await platformDays();
    expect(days).toContain('2031-05-14');
    expect(days).not.toContain('2031-05-15');
    expect(days[days.length - 1]).toBe('2031-06-25');

    // The same as a direct call.
    expect(await runSnapshotTask(t.app.deps, t.orm.em.fork())).toEqual({ done: 0 });
    clock.set(at(D4, '13:00'));
  });
});

describe('the snapshotMetrics mutation (backfill)', () => {
  it('recomputes a range for ANALYST staff, audited; refuses reversed, too long or future ranges; FORBIDDEN to others', async () => {
    clock.set(at(D4, '13:00'));
    const analyst = await staff(t, StaffRole.ANALYST);
    const res = await t.gql(BACKFILL, { input: { from: D1, to: D4 } }, { token: analyst.token });
    expect(res.data!.snapshotMetrics).toEqual({ days: 4, errors: [] });
    expect((await rows('PLATFORM', '0'))[D1]).toMatchObject({ orders: 3, paid_orders: 1, gmv: 20_000 });
    const [entry] = await t.sql(`select action, target_type, target_id, actor_id::text from audit_entry where action = 'metrics.snapshot' order by id desc limit 1`);
    expect(entry).toEqual({ action: 'metrics.snapshot', target_type: 'MetricSnapshot', target_id: `${D1}..${D4}`, actor_id: analyst.user.id });

    const refusedWith = async (from: string, to: string) => {
      const r = await t.gql(BACKFILL, { input: { from, to } }, { token: analyst.token });
      expect(r.data!.snapshotMetrics.days).toBeNull();
      return r.data!.snapshotMetrics.errors.map((e: { code: string; field: string[] }) => [e.code, e.field.join('.')]);
    };
    expect(await refusedWith(D4, D1)).toEqual([['INVALID_INPUT', 'input.to']]);
    expect(await refusedWith('2031-02-05', D4)).toEqual([['INVALID_INPUT', 'input.to']]);
    expect(await refusedWith(D4, '2031-05-09')).toEqual([['INVALID_INPUT', 'input.to']]);
    // A quarter (92 days) is the most.
    expect((await t.gql(BACKFILL, { input: { from: '2031-02-06', to: D4 } }, { token: analyst.token })).data!.snapshotMetrics).toEqual({ days: 92, errors: [] });

    // While another snapshot runs (the task), SNAPSHOT_RUNNING at once rather than a request waiting on a connection.
    const holder = new Client({ connectionString: process.env.TEST_DB_URL });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock(hashtext('metric_daily snapshot'))");
      expect(await refusedWith(D1, D4)).toEqual([['SNAPSHOT_RUNNING', 'input']]);
    } finally {
      await holder.end();
    }

    const shopper = await userWithToken(t);
    expect(code(await t.gql(BACKFILL, { input: { from: D1, to: D1 } }, { token: shopper.token }))).toBe('FORBIDDEN');
    const finance = await staff(t, StaffRole.FINANCE);
    expect(code(await t.gql(BACKFILL, { input: { from: D1, to: D1 } }, { token: finance.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(BACKFILL, { input: { from: D1, to: D1 } }))).toBe('UNAUTHENTICATED');
  });
});
