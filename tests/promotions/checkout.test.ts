import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type GqlResult, type TestApp } from '../helpers/app';
import { cartLine, newKey, PAY, stockOf, webhook } from '../helpers/buying';
import { type Seller, seller, staff } from '../helpers/catalog';
import { createCategory } from '../helpers/factories';
import { code, idOf, keyOf, okPayload } from '../helpers/kit';
import { assertLedgerBalanced, halfEven, orderAccounts } from '../helpers/ledger';
import { CART, CHECKOUT_PRICED, type CouponSpec, grantCoupon, insertPromotion, type PromotionSpec, QUOTE } from '../helpers/promotions';
import { newShopper, scenario, type Shopper } from '../helpers/scenario';

/**
 * The pricing engine as its users see it: the cart, `checkoutQuote` and `checkout` agree on every
 * amount (a property over random carts, promotions and coupons); known numbers of a threshold
 * promotion and a platform coupon through refunds and settlement; coupons and budgets given back
 * when orders are cancelled or checkouts expire; refusals that change nothing; budgets under
 * races; per-user limits; gifts; non-stacking promotions; Product.promotions; and what the cart
 * and product pages cost in SQL statements. Promotions and coupons are inserted straight in the
 * database (tests/helpers/promotions.ts); their mutations are tested in the sibling files.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const clock = new ManualClock(new Date('2031-08-04T02:00:00Z'));
let t: TestApp;
let reviewer: { token: string };
let categoryId: string;
let admin: string;
let orderStaff: string;

const TEMPLATE = `mutation($input: ShippingTemplateInput!) { createShippingTemplate(input: $input) { shippingTemplate { id } errors { code field message } } }`;
const SHIP = `mutation($input: ShipOrderInput!) { shipOrder(input: $input) { order { id status } errors { code field message } } }`;
const CONFIRM = `mutation($input: IdInput!) { confirmDelivery(input: $input) { order { id status } errors { code field message } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status } errors { code field message } } }`;
const CASE = `afterSaleCase { id status refundAmount { amountMinor } refund { status amount { amountMinor } } } errors { code field message }`;
const REQUEST = `mutation($input: RequestAfterSaleInput!) { requestAfterSale(input: $input) { ${CASE} } }`;
const RESPOND = `mutation($input: RespondAfterSaleInput!) { respondAfterSale(input: $input) { ${CASE} } }`;
const RUN_TASK = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code field message } } }`;

beforeAll(async () => {
  t = await createTestApp({ SETTLEMENT_PERIOD: 'CONTINUOUS', CHECKOUT_TTL_MINUTES: '30', AFTER_SALES_DAYS: '7' }, { clock });
  reviewer = await staff(t, StaffRole.REVIEWER);
  categoryId = idOf('Category', (await createCategory(t)).id);
  admin = (await staff(t, StaffRole.ADMIN)).token;
  orderStaff = (await staff(t, StaffRole.CUSTOMER_SERVICE)).token;
});
afterAll(() => t.close());

// A platform promotion applies to every shop's lines: none outlives the test that made it.
afterEach(async () => {
  await t.sql('update promotion set cancelled_at = now() where shop_id is null and cancelled_at is null');
});

// --- Set-up -------------------------------------------------------------------------------------

/** An ACTIVE shop; with `fee`, a default shipping template charging it (first unit, each further unit). */
async function shop(fee?: { first: string; additional: string; freeAbove?: string }): Promise<Seller> {
  const s = await seller(t);
  if (fee) {
    const input = {
      shopId: s.shopId,
      name: 'Standard',
      rules: [],
      defaultRule: { firstUnits: 1, firstFee: fee.first, additionalUnits: 1, additionalFee: fee.additional },
      ...(fee.freeAbove ? { freeShippingThreshold: fee.freeAbove } : {}),
    };
    okPayload(await t.gql(TEMPLATE, { input }, { token: s.owner.token }), 'createShippingTemplate');
  }
  return s;
}

interface Listed {
  /** Global ID and database key of the product. */
  id: string;
  key: string;
  /** Database keys of its variants, one per price. */
  variants: string[];
}

/** A product of `s` on sale with one variant per price (minor units), `stock` units each. */
async function listed(s: Seller, prices: number[], opts: { stock?: number; categoryId?: string } = {}): Promise<Listed> {
  const { product } = await scenario(t, { reviewer, categoryId })
    .shop(s)
    .product({ variants: prices.map((price) => ({ price, stock: opts.stock ?? 100 })), categoryId: opts.categoryId ?? categoryId })
    .run();
  return { id: product.id, key: keyOf(product.id), variants: product.variantKeys };
}

const promo = (spec: PromotionSpec) => insertPromotion(t, { at: clock.now(), ...spec });
const coupon = (buyer: Shopper, spec: CouponSpec) => grantCoupon(t, buyer.user.id, { at: clock.now(), ...spec });
const runTask = async (name: string) => okPayload(await t.gql(RUN_TASK, { input: { name } }, { token: admin }), 'runScheduledTask');

// --- Pricing through the API ----------------------------------------------------------------------

async function cartOf(buyer: Shopper): Promise<any> {
  const res = await t.gql(CART, {}, { token: buyer.token });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.cart;
}

function quote(buyer: Shopper, couponIds: string[] = []): Promise<GqlResult> {
  return t.gql(QUOTE, { input: { couponIds } }, { token: buyer.token });
}

async function quoted(buyer: Shopper, couponIds: string[] = []): Promise<any> {
  const res = await quote(buyer, couponIds);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.checkoutQuote;
}

/** `checkout` of every cart line to the buyer's default address: its payload. */
async function checkout(buyer: Shopper, couponIds: string[] = []): Promise<{ checkout: any; errors: { code: string; field: string[] | null; message: string }[] }> {
  const res = await t.gql(CHECKOUT_PRICED, { input: { addressId: buyer.addressId, couponIds }, key: newKey() }, { token: buyer.token });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.checkout;
}

/** A checkout that must succeed: the checkout as returned. */
async function placed(buyer: Shopper, couponIds: string[] = []): Promise<any> {
  const out = await checkout(buyer, couponIds);
  expect(out.errors).toEqual([]);
  return out.checkout;
}

/** Pays a checkout with the mock provider and its signed webhook. */
async function pay(buyer: Shopper, checkoutId: string): Promise<void> {
  const { payment } = okPayload(await t.gql(PAY, { input: { checkoutId, provider: 'MOCK' } }, { token: buyer.token }), 'payCheckout');
  const hook = await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id });
  expect(hook.statusCode).toBe(200);
}

async function ship(s: Seller, orderId: string): Promise<void> {
  okPayload(await t.gql(SHIP, { input: { orderId, carrier: 'SF Express', trackingNumber: `SF${Date.now()}` } }, { token: s.owner.token }), 'shipOrder');
}

async function cancel(token: string, orderId: string, reason = ''): Promise<void> {
  const order = okPayload(await t.gql(CANCEL, { input: { orderId, reason } }, { token }), 'cancelOrder', 'order');
  expect(order.status).toBe('CANCELLED');
}

const amounts = (m: { amountMinor: number }) => m.amountMinor;

/** A priced group or order as comparable numbers. */
function priced(g: any) {
  return {
    shop: g.shop.id,
    subtotal: amounts(g.subtotal),
    shippingFee: amounts(g.shippingFee),
    discountTotal: amounts(g.discountTotal),
    total: amounts(g.total),
    discounts: g.discounts.map((d: any) => ({ source: d.source, title: d.title, fundedBy: d.fundedBy, amount: amounts(d.amount), shippingAmount: amounts(d.shippingAmount) })),
  };
}
const byShop = (a: { shop: string }, b: { shop: string }) => (a.shop < b.shop ? -1 : a.shop > b.shop ? 1 : 0);

// --- What the database holds ----------------------------------------------------------------------

const num = (row: Record<string, unknown>, ...keys: string[]) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, keys.includes(k) ? Number(v) : v])) as Record<string, any>;

async function statusesOf(...coupons: { key: string }[]): Promise<string[]> {
  const rows = await t.sql('select id, status from user_coupon where id in (?)', [coupons.map((c) => c.key)]);
  return coupons.map((c) => rows.find((r) => String(r.id) === c.key)!.status);
}

async function spentOf(promotionKey: string): Promise<number> {
  const [row] = await t.sql('select spent from promotion where id = ?', [promotionKey]);
  return Number(row.spent);
}

/** What the buyer has: checkouts, cart lines, and coupons by status. */
async function holdings(buyer: Shopper) {
  const [row] = await t.sql(
    `select (select count(*)::int from checkout where buyer_id = ?) as checkouts,
            (select count(*)::int from orders where buyer_id = ?) as orders,
            (select coalesce(string_agg(id || ':' || quantity, ',' order by id), '') from cart_line where user_id = ?) as cart,
            (select coalesce(string_agg(id || ':' || status, ',' order by id), '') from user_coupon where user_id = ?) as coupons`,
    [buyer.user.id, buyer.user.id, buyer.user.id, buyer.user.id],
  );
  return row;
}

/**
 * The books of every order of a checkout add up: the lines' discounts and the shipping discount
 * make discountTotal, no line is discounted below 0, total = subtotal + shipping − discounts, the
 * discount rows make discountTotal and the platform's share, and each line's commission is charged
 * on the line less the discounts the shop funds. Returns the orders.
 */
async function expectBooksAddUp(checkoutKey: string): Promise<Record<string, any>[]> {
  const orders = (await t.sql('select * from orders where checkout_id = ? order by id', [checkoutKey])).map((o) =>
    num(o, 'subtotal', 'shipping_fee', 'discount_total', 'platform_discount', 'shipping_discount', 'total', 'commission'),
  );
  expect(orders.length).toBeGreaterThan(0);
  for (const o of orders) {
    const lines = (await t.sql('select *, commission_rate::text as rate from order_line where order_id = ? order by id', [o.id])).map((l) =>
      num(l, 'unit_price', 'quantity', 'line_total', 'discount', 'platform_discount', 'commission'),
    );
    const discounts = (await t.sql('select * from order_discount where order_id = ? order by id', [o.id])).map((d) => num(d, 'amount', 'shipping_amount'));
    const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((s, x) => s + f(x), 0);
    const where = `order ${o.id}: ${JSON.stringify({ o, lines, discounts })}`;
    expect(sum(lines, (l) => l.discount) + o.shipping_discount, where).toBe(o.discount_total);
    expect(sum(lines, (l) => l.line_total), where).toBe(o.subtotal);
    for (const l of lines) {
      expect(l.discount, where).toBeGreaterThanOrEqual(0);
      expect(l.discount, where).toBeLessThanOrEqual(l.line_total);
      expect(l.platform_discount, where).toBeLessThanOrEqual(l.discount);
      const bp = Math.round(Number(l.rate) * 10_000);
      expect(l.commission, where).toBe(halfEven((l.line_total - (l.discount - l.platform_discount)) * bp, 10_000));
    }
    expect(o.total, where).toBe(o.subtotal + o.shipping_fee - o.discount_total);
    expect(sum(discounts, (d) => d.amount), where).toBe(o.discount_total);
    expect(sum(discounts, (d) => d.shipping_amount), where).toBe(o.shipping_discount);
    const platform = discounts.filter((d) => d.funded_by === 'PLATFORM');
    expect(sum(platform, (d) => d.amount), where).toBe(o.platform_discount);
    // The platform's part on the lines, plus what it took off shipping.
    expect(sum(lines, (l) => l.platform_discount) + sum(platform, (d) => d.shipping_amount), where).toBe(o.platform_discount);
    expect(sum(lines, (l) => l.commission), where).toBe(o.commission);
  }
  return orders;
}

// --- 1. The cart, the quote and checkout agree ----------------------------------------------------

describe('the cart, checkoutQuote and checkout', () => {
  /** Three shops (two charging shipping), two products each, two variants a product: 12 variants. */
  const world = { shops: [] as Seller[], products: [] as Listed[], variants: [] as string[] };
  beforeAll(async () => {
    world.shops = [await shop({ first: '8.00', additional: '2.00' }), await shop({ first: '10.00', additional: '0.00', freeAbove: '300.00' }), await shop()];
    for (const s of world.shops) {
      for (let i = 0; i < 2; i++) world.products.push(await listed(s, [1000, 1000], { stock: 999 }));
    }
    world.variants = world.products.flatMap((p) => p.variants);
  });

  const amount = fc.constantFrom(100, 333, 999, 1000, 1001, 2000, 2500, 5000);
  const scopeArb = fc.option(fc.subarray([0, 1, 2, 3, 4, 5], { minLength: 1 }), { nil: null });
  const promotionArb = fc.record({
    shop: fc.integer({ min: -1, max: 2 }),
    stackable: fc.boolean(),
    scope: scopeArb,
    rule: fc.oneof(
      fc
        .tuple(fc.uniqueArray(fc.constantFrom(1000, 5000, 10000, 20000, 30000, 50000), { minLength: 1, maxLength: 3 }), fc.array(amount, { minLength: 3, maxLength: 3 }))
        .map(([ths, offs]) => ({ kind: 'AMOUNT_OFF_THRESHOLD' as const, every: false, maxDiscount: null, tiers: [...ths].sort((a, b) => a - b).map((threshold, i) => ({ threshold, amountOff: offs[i] })) })),
      fc
        .record({ threshold: fc.constantFrom(5000, 10000, 20000), amountOff: amount, maxDiscount: fc.option(fc.constantFrom(1001, 3000), { nil: null }) })
        .map(({ threshold, amountOff, maxDiscount }) => ({ kind: 'AMOUNT_OFF_THRESHOLD' as const, every: true, maxDiscount, tiers: [{ threshold, amountOff }] })),
      fc
        .record({ threshold: fc.constantFrom(0, 5000, 20000), bp: fc.constantFrom(500, 1000, 1250, 3333, 5000), maxDiscount: fc.option(fc.constantFrom(500, 1001, 3000), { nil: null }) })
        .map(({ threshold, bp, maxDiscount }) => ({ kind: 'PERCENT_OFF' as const, every: false, maxDiscount, tiers: [{ threshold, percentOffBp: bp }] })),
      fc
        .record({ quantity: fc.integer({ min: 2, max: 3 }), price: fc.constantFrom(1000, 2999, 5000, 15000) })
        .map(({ quantity, price }) => ({ kind: 'FIXED_PRICE_BUNDLE' as const, every: false, maxDiscount: null, tiers: [{ threshold: 0, quantity, price }] })),
    ),
  });
  const couponArb = fc.record({
    shop: fc.integer({ min: -1, max: 2 }),
    kind: fc.constantFrom('AMOUNT_OFF' as const, 'PERCENT_OFF' as const, 'FREE_SHIPPING' as const),
    amountOff: amount,
    percentOffBp: fc.constantFrom(500, 1000, 2500),
    maxDiscount: fc.option(fc.constantFrom(500, 1001, 3000), { nil: null }),
    minSubtotal: fc.constantFrom(0, 0, 5000, 30000, 100000),
    scope: scopeArb,
    chosen: fc.constantFrom(true, true, false),
  });
  const caseArb = fc.record({
    prices: fc.array(fc.constantFrom(990, 1000, 1000, 2500, 3333, 5000, 7450, 12000, 19999), { minLength: 12, maxLength: 12 }),
    lines: fc.uniqueArray(fc.record({ v: fc.integer({ min: 0, max: 11 }), q: fc.integer({ min: 1, max: 4 }) }), { selector: (l) => l.v, minLength: 1, maxLength: 8 }),
    promotions: fc.array(promotionArb, { minLength: 1, maxLength: 5 }),
    coupons: fc.array(couponArb, { minLength: 1, maxLength: 4 }),
  });

  it('charge the same: cart = quote = checkout without coupons, quote = checkout with the coupons the quote accepts, and every order’s books add up', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const made: string[] = [];
        try {
          await t.sql('update product_variant v set price = u.price from (select unnest(array[?]::bigint[]) as id, unnest(array[?]::bigint[]) as price) u where v.id = u.id', [world.variants, c.prices]);
          const buyer = await newShopper(t);
          for (const l of c.lines) await cartLine(t, buyer.user.id, world.variants[l.v], l.q);
          for (const p of c.promotions) {
            const shopKey = p.shop < 0 ? null : world.shops[p.shop].shop.id;
            // A shop's promotion scoped to products is scoped to its own (of those drawn).
            const productIds = p.scope?.filter((i) => shopKey === null || Math.floor(i / 2) === p.shop).map((i) => world.products[i].key);
            made.push(await promo({ shopKey, ...p.rule, stackable: p.stackable, ...(productIds?.length ? { scope: { productIds } } : {}) }));
          }
          const coupons = [];
          for (const k of c.coupons) {
            const granted = await coupon(buyer, {
              shopKey: k.shop < 0 ? null : world.shops[k.shop].shop.id,
              kind: k.kind,
              amountOff: k.kind === 'AMOUNT_OFF' ? k.amountOff : null,
              percentOffBp: k.kind === 'PERCENT_OFF' ? k.percentOffBp : null,
              maxDiscount: k.kind === 'PERCENT_OFF' ? k.maxDiscount : null,
              minSubtotal: k.minSubtotal,
              ...(k.scope ? { scope: { productIds: k.scope.map((i) => world.products[i].key) } } : {}),
            });
            coupons.push({ ...granted, chosen: k.chosen });
          }

          // Without coupons, the cart is the quote.
          const cart = await cartOf(buyer);
          expect(await quoted(buyer)).toEqual(cart);

          // Coupons the quote refuses, checkout refuses the same way, changing nothing; then the rest.
          let chosen = coupons.filter((k) => k.chosen).map((k) => k.id);
          let res = await quote(buyer, chosen);
          for (let round = 0; res.errors && round < 4; round++) {
            const before = await holdings(buyer);
            const refused = await checkout(buyer, chosen);
            expect(refused.checkout).toBeNull();
            expect(refused.errors.length).toBeGreaterThan(0);
            expect(code(res)).toBe(refused.errors[0].code);
            expect(res.errors![0].extensions!.field).toEqual(refused.errors[0].field);
            expect(['COUPON_NOT_APPLICABLE', 'COUPON_EXPIRED', 'INVALID_INPUT']).toContain(refused.errors[0].code);
            expect(await holdings(buyer)).toEqual(before);
            const bad = new Set(refused.errors.map((e) => Number(e.field![2])));
            chosen = chosen.filter((_, i) => !bad.has(i));
            res = await quote(buyer, chosen);
          }
          expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
          const q = res.data!.checkoutQuote;
          if (chosen.length === 0) expect(q).toEqual(cart);

          const out = await placed(buyer, chosen);
          expect(out.total.amountMinor).toBe(q.total.amountMinor);
          expect(out.orders.map(priced).sort(byShop)).toEqual(q.groups.map(priced).sort(byShop));
          const orders = await expectBooksAddUp(keyOf(out.id));
          expect(orders.reduce((s, o) => s + o.total, 0)).toBe(q.total.amountMinor);
          expect(orders.reduce((s, o) => s + o.discount_total, 0)).toBe(q.discountTotal.amountMinor);
          // The chosen coupons are used by this checkout; the others are still the buyer's.
          const used = await t.sql("select id from user_coupon where user_id = ? and status = 'USED' and checkout_id = ? order by id", [buyer.user.id, keyOf(out.id)]);
          expect(used.map((r) => String(r.id)).sort()).toEqual(chosen.map(keyOf).sort());
        } finally {
          if (made.length) await t.sql('update promotion set cancelled_at = now() where id in (?)', [made]);
        }
      }),
      { numRuns: 12, endOnFailure: true },
    );
  }, 120_000);
});

// --- 2–4. Known numbers, a partial refund, settlement ---------------------------------------------

/** A shop's 滿200減20 (every 200) and a buyer with 150.00 + 100.00 of it in the cart and a platform coupon of 10.00. */
async function knownCart() {
  const s = await shop();
  const p = await listed(s, [15000, 10000]);
  const promotionKey = await promo({ shopKey: s.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', title: '滿200減20', every: true, tiers: [{ threshold: 20000, amountOff: 2000 }] });
  const buyer = await newShopper(t);
  await cartLine(t, buyer.user.id, p.variants[0], 1);
  await cartLine(t, buyer.user.id, p.variants[1], 1);
  const platformCoupon = await coupon(buyer, { shopKey: null, kind: 'AMOUNT_OFF', amountOff: 1000, title: '平台券 10 元' });
  return { s, p, promotionKey, buyer, platformCoupon };
}

describe('known numbers', () => {
  it('allocates 滿200減20 on 150.00 + 100.00 as 12.00/8.00, then a platform coupon of 10.00 on the rest as 6.00/4.00', async () => {
    const { s, p, promotionKey, buyer, platformCoupon } = await knownCart();
    const cart = await cartOf(buyer);
    expect(cart).toMatchObject({ subtotal: { amountMinor: 25000 }, discountTotal: { amountMinor: 2000 }, total: { amountMinor: 23000 } });
    expect(cart.discounts).toEqual([{ source: 'PROMOTION', title: '滿200減20', fundedBy: 'SHOP', amount: { amountMinor: 2000 } }]);
    expect(cart.applicableCoupons).toEqual([{ coupon: { id: platformCoupon.id }, discount: { amountMinor: 1000 } }]);
    expect(await quoted(buyer)).toEqual(cart);

    const q = await quoted(buyer, [platformCoupon.id]);
    expect(q).toMatchObject({ subtotal: { amountMinor: 25000 }, discountTotal: { amountMinor: 3000 }, total: { amountMinor: 22000 }, applicableCoupons: [] });
    expect(q.groups).toHaveLength(1);
    expect(q.groups[0].discounts).toEqual([
      { source: 'PROMOTION', title: '滿200減20', fundedBy: 'SHOP', amount: { amountMinor: 2000 }, shippingAmount: { amountMinor: 0 } },
      { source: 'COUPON', title: '平台券 10 元', fundedBy: 'PLATFORM', amount: { amountMinor: 1000 }, shippingAmount: { amountMinor: 0 } },
    ]);

    const out = await placed(buyer, [platformCoupon.id]);
    expect(out.total.amountMinor).toBe(22000);
    const [order] = out.orders;
    expect(priced(order)).toEqual(priced(q.groups[0]));
    const lines = Object.fromEntries(order.lines.map((l: any) => [l.unitPrice.amountMinor, l.discount.amountMinor]));
    expect(lines).toEqual({ 15000: 1800, 10000: 1200 });

    const rows = await t.sql('select variant_id, discount, platform_discount from order_line where order_id = ? order by unit_price desc', [keyOf(order.id)]);
    expect(rows.map((r) => [String(r.variant_id), Number(r.discount), Number(r.platform_discount)])).toEqual([
      [p.variants[0], 1800, 600],
      [p.variants[1], 1200, 400],
    ]);
    const [o] = await expectBooksAddUp(keyOf(out.id));
    expect(o).toMatchObject({ subtotal: 25000, discount_total: 3000, platform_discount: 1000, shipping_discount: 0, total: 22000 });
    // Commission on what the shop sells for: 250.00 less its own 20.00, at 5%.
    expect(o.commission).toBe(halfEven(23000 * 500, 10_000));
    const discounts = await t.sql('select source, promotion_id, user_coupon_id, funded_by, amount from order_discount where order_id = ? order by id', [o.id]);
    expect(discounts.map((d) => [d.source, d.promotion_id && String(d.promotion_id), d.user_coupon_id && String(d.user_coupon_id), d.funded_by, Number(d.amount)])).toEqual([
      ['PROMOTION', promotionKey, null, 'SHOP', 2000],
      ['COUPON', null, platformCoupon.key, 'PLATFORM', 1000],
    ]);
    expect(s.shop.id).toBe(String(o.shop_id));
  });

  it('refunds a unit of a discounted line at what the buyer paid for it: 150.00 less its 18.00 of discounts', async () => {
    const { s, buyer, platformCoupon } = await knownCart();
    const out = await placed(buyer, [platformCoupon.id]);
    const order = out.orders[0];
    await pay(buyer, out.id);
    await ship(s, order.id);
    okPayload(await t.gql(CONFIRM, { input: { id: order.id } }, { token: buyer.token }), 'confirmDelivery');
    const line = order.lines.find((l: any) => l.unitPrice.amountMinor === 15000);

    const requested = okPayload(
      await t.gql(REQUEST, { input: { orderId: order.id, type: 'REFUND_ONLY', reason: 'Scratched on arrival', lines: [{ orderLineId: line.id, quantity: 1 }] } }, { token: buyer.token }),
      'requestAfterSale',
      'afterSaleCase',
    );
    expect(requested.refundAmount.amountMinor).toBe(15000 - 1800);
    const approved = okPayload(await t.gql(RESPOND, { input: { caseId: requested.id, decision: 'APPROVE' } }, { token: s.owner.token }), 'respondAfterSale', 'afterSaleCase');
    expect(approved.refund).toEqual({ status: 'PENDING', amount: { amountMinor: 13200 } });
    await runTask('send-refunds');

    const [refund] = await t.sql('select id, status, amount from refund where order_id = ?', [keyOf(order.id)]);
    expect([refund.status, Number(refund.amount)]).toEqual(['SUCCEEDED', 13200]);
    const posted = await t.sql(
      `select p.kind, sum(e.amount)::text as owed from ledger_posting p join ledger_entry e on e.posting_id = p.id
       where p.refund_id = ? and e.account = 'REFUNDS_PAYABLE' group by p.kind order by p.kind`,
      [refund.id],
    );
    expect(posted.map((r) => [r.kind, Number(r.owed)])).toEqual([
      ['REFUND', -13200],
      ['REFUND_SENT', 13200],
    ]);
    await assertLedgerBalanced(t);
  });

  it('shows the funder split on the settlement line of the payment, and charges the platform’s part to PLATFORM_PROMOTIONS', async () => {
    const journey = scenario(t, { reviewer, categoryId }).shop().product({ price: 25000 });
    const { product, shop: s } = await journey.run();
    await promo({ shopKey: s.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', title: '滿200減20', tiers: [{ threshold: 20000, amountOff: 2000 }] });
    await promo({ shopKey: null, kind: 'PERCENT_OFF', title: '平台 9 折', tiers: [{ threshold: 0, percentOffBp: 1000 }], scope: { productIds: [keyOf(product.id)] } });
    const done = await journey.buyer().inCart(1).completed().run();
    const order = done.order;
    // 250.00 − 20.00 (shop) − 10% of 230.00 (platform) = 207.00.
    expect(order.discountTotal.amountMinor).toBe(4300);
    expect(order.total.amountMinor).toBe(20700);
    expect(await orderAccounts(t, order.key, ['PAYMENT'])).toMatchObject({ BUYER_PAYMENTS: 20700, PLATFORM_PROMOTIONS: 2300 });

    clock.advance(MINUTE);
    await runTask('close-settlements');
    const res = await t.gql(
      `query($filter: SettlementFilter) { settlements(filter: $filter) { nodes { status gross { amountMinor } commission { amountMinor } net { amountMinor }
        lines(first: 10) { nodes { kind order { id } gross { amountMinor } shopDiscount { amountMinor } platformDiscount { amountMinor } commission { amountMinor } net { amountMinor } } } } } }`,
      { filter: { shopId: s.shopId } },
      { token: s.owner.token },
    );
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const [settlement] = res.data!.settlements.nodes;
    const commission = halfEven(23000 * 500, 10_000);
    expect(settlement.lines.nodes).toEqual([
      {
        kind: 'PAYMENT',
        order: { id: order.id },
        gross: { amountMinor: 20700 + 2300 },
        shopDiscount: { amountMinor: 2000 },
        platformDiscount: { amountMinor: 2300 },
        commission: { amountMinor: commission },
        net: { amountMinor: 23000 - commission },
      },
    ]);
    expect(settlement).toMatchObject({ status: 'CLOSED', gross: { amountMinor: 23000 }, commission: { amountMinor: commission }, net: { amountMinor: 23000 - commission } });
    await assertLedgerBalanced(t);
  });
});

// --- 5. Coupons and budgets given back ------------------------------------------------------------

describe('coupons and budgets given back', () => {
  it('gives a checkout’s coupons back when it expires unpaid: AVAILABLE, or EXPIRED when its validity ended meanwhile', async () => {
    const s = await shop();
    const p = await listed(s, [10000]);
    const buyer = await newShopper(t);
    await cartLine(t, buyer.user.id, p.variants[0], 1);
    const own = await coupon(buyer, { shopKey: s.shop.id, kind: 'AMOUNT_OFF', amountOff: 500 });
    const soon = await coupon(buyer, { shopKey: null, kind: 'AMOUNT_OFF', amountOff: 300, validUntil: new Date(clock.now().getTime() + 10 * MINUTE) });
    const out = await placed(buyer, [own.id, soon.id]);
    expect(out.total.amountMinor).toBe(10000 - 800);
    expect(await statusesOf(own, soon)).toEqual(['USED', 'USED']);
    const held = await t.sql('select checkout_id from user_coupon where id in (?)', [[own.key, soon.key]]);
    expect(held.map((r) => String(r.checkout_id))).toEqual([keyOf(out.id), keyOf(out.id)]);

    clock.advance(31 * MINUTE);
    await runTask('expire-checkouts');
    const [order] = await t.sql('select status from orders where checkout_id = ?', [keyOf(out.id)]);
    expect(order.status).toBe('CANCELLED');
    expect(await statusesOf(own, soon)).toEqual(['AVAILABLE', 'EXPIRED']);
    const after = await t.sql('select used_at, checkout_id from user_coupon where id in (?)', [[own.key, soon.key]]);
    expect(after).toEqual([
      { used_at: null, checkout_id: null },
      { used_at: null, checkout_id: null },
    ]);
    // The coupon given back applies again.
    await cartLine(t, buyer.user.id, p.variants[0], 1);
    expect((await quoted(buyer, [own.id])).discountTotal.amountMinor).toBe(500);
  });

  it('gives the coupon and the promotion budget back when the buyer cancels a paid order before shipping', async () => {
    const s = await shop();
    const p = await listed(s, [10000]);
    const budgeted = await promo({ shopKey: s.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', tiers: [{ threshold: 10000, amountOff: 1000 }], budget: 50000 });
    const buyer = await newShopper(t);
    await cartLine(t, buyer.user.id, p.variants[0], 1);
    const own = await coupon(buyer, { shopKey: s.shop.id, kind: 'PERCENT_OFF', percentOffBp: 1000 });
    const out = await placed(buyer, [own.id]);
    // 100.00 − 10.00, then 10% of 90.00.
    expect(out.total.amountMinor).toBe(8100);
    expect(await spentOf(budgeted)).toBe(1000);
    await pay(buyer, out.id);
    await cancel(buyer.token, out.orders[0].id);
    expect(await statusesOf(own)).toEqual(['AVAILABLE']);
    expect(await spentOf(budgeted)).toBe(0);
  });

  it('keeps the coupon USED when a shipped order is cancelled and refunded', async () => {
    const s = await shop();
    const p = await listed(s, [10000]);
    const buyer = await newShopper(t);
    await cartLine(t, buyer.user.id, p.variants[0], 1);
    const own = await coupon(buyer, { shopKey: s.shop.id, kind: 'AMOUNT_OFF', amountOff: 700 });
    const out = await placed(buyer, [own.id]);
    await pay(buyer, out.id);
    await ship(s, out.orders[0].id);
    await cancel(orderStaff, out.orders[0].id, 'Lost by the carrier, refunded in full');
    const [refund] = await t.sql('select amount from refund where order_id = ?', [keyOf(out.orders[0].id)]);
    expect(Number(refund.amount)).toBe(10000 - 700);
    expect(await statusesOf(own)).toEqual(['USED']);
  });

  it('gives a platform coupon spread over two shops’ orders back only when both orders are cancelled', async () => {
    const a = await shop();
    const b = await shop();
    const pa = await listed(a, [6000]);
    const pb = await listed(b, [4000]);
    const buyer = await newShopper(t);
    await cartLine(t, buyer.user.id, pa.variants[0], 1);
    await cartLine(t, buyer.user.id, pb.variants[0], 1);
    const platform = await coupon(buyer, { shopKey: null, kind: 'AMOUNT_OFF', amountOff: 1000 });
    const out = await placed(buyer, [platform.id]);
    expect(out.orders).toHaveLength(2);
    const parts = await t.sql('select order_id, amount from order_discount where user_coupon_id = ? order by amount desc', [platform.key]);
    expect(parts.map((r) => Number(r.amount))).toEqual([600, 400]);

    const [first, second] = out.orders;
    await cancel(buyer.token, first.id);
    expect(await statusesOf(platform)).toEqual(['USED']);
    await cancel(buyer.token, second.id);
    expect(await statusesOf(platform)).toEqual(['AVAILABLE']);
  });
});

// --- 6. Coupon refusals -----------------------------------------------------------------------------

describe('coupon refusals', () => {
  it('refuses at quote and at checkout a coupon that cannot be used, and changes nothing', async () => {
    const s = await shop();
    const elsewhere = await shop();
    const p = await listed(s, [5000]);
    const buyer = await newShopper(t);
    const stranger = await newShopper(t);
    await cartLine(t, buyer.user.id, p.variants[0], 1);
    const now = clock.now().getTime();
    const platform = (extra: Partial<CouponSpec> = {}) => coupon(buyer, { shopKey: null, kind: 'AMOUNT_OFF', amountOff: 100, ...extra });
    const ofShop = (extra: Partial<CouponSpec> = {}) => coupon(buyer, { shopKey: s.shop.id, kind: 'AMOUNT_OFF', amountOff: 100, ...extra });
    const foreign = await coupon(stranger, { shopKey: null, kind: 'AMOUNT_OFF', amountOff: 100 });
    const otherShop = await coupon(buyer, { shopKey: elsewhere.shop.id, kind: 'AMOUNT_OFF', amountOff: 100 });
    const expired = await platform({ validFrom: new Date(now - 2 * DAY), validUntil: new Date(now - HOUR) });
    const used = await platform();
    await t.sql("update user_coupon set status = 'USED', used_at = ? where id = ?", [clock.now(), used.key]);
    const [p1, p2] = [await platform(), await platform()];
    const [s1, s2] = [await ofShop(), await ofShop()];
    const big = await ofShop({ minSubtotal: 5001 });

    const cases: [string, string[], string, number][] = [
      ['another user’s coupon', [foreign.id], 'COUPON_NOT_APPLICABLE', 0],
      ['a coupon of a shop not in the checkout', [otherShop.id], 'COUPON_NOT_APPLICABLE', 0],
      ['an expired coupon', [expired.id], 'COUPON_EXPIRED', 0],
      ['a used coupon', [used.id], 'COUPON_NOT_APPLICABLE', 0],
      ['two platform coupons', [p1.id, p2.id], 'COUPON_NOT_APPLICABLE', 1],
      ['two coupons of one shop', [s1.id, s2.id], 'COUPON_NOT_APPLICABLE', 1],
      ['a minimum spend not met', [big.id], 'COUPON_NOT_APPLICABLE', 0],
    ];
    const before = await holdings(buyer);
    const strangerBefore = await holdings(stranger);
    for (const [what, ids, expected, index] of cases) {
      const res = await quote(buyer, ids);
      expect(code(res), what).toBe(expected);
      expect(res.errors![0].extensions!.field, what).toEqual(['input', 'couponIds', String(index)]);
      const refused = await checkout(buyer, ids);
      expect(refused.checkout, what).toBeNull();
      expect(refused.errors.map((e) => [e.code, e.field]), what).toEqual([[expected, ['input', 'couponIds', String(index)]]]);
      expect(await holdings(buyer), what).toEqual(before);
    }
    expect(await holdings(stranger)).toEqual(strangerBefore);
    expect(await statusesOf(foreign, otherShop, expired, used, p1, p2, s1, s2, big)).toEqual(['AVAILABLE', 'AVAILABLE', 'AVAILABLE', 'USED', 'AVAILABLE', 'AVAILABLE', 'AVAILABLE', 'AVAILABLE', 'AVAILABLE']);
    // And the cart still checks out, with a coupon that applies.
    expect((await placed(buyer, [s1.id])).total.amountMinor).toBe(4900);
  });
});

// --- 7–10. Budgets, per-user limits, gifts, stacking ------------------------------------------------

describe('promotion rules at checkout', () => {
  it('caps a budget at what is left: 20.00, then the 10.00 left, then nothing', async () => {
    const s = await shop();
    const p = await listed(s, [10000]);
    const key = await promo({ shopKey: s.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', tiers: [{ threshold: 10000, amountOff: 2000 }], budget: 3000 });
    const given: number[] = [];
    for (let i = 0; i < 3; i++) {
      const buyer = await newShopper(t);
      await cartLine(t, buyer.user.id, p.variants[0], 1);
      expect((await quoted(buyer)).discountTotal.amountMinor).toBe([2000, 1000, 0][i]);
      given.push((await placed(buyer)).orders[0].discountTotal.amountMinor);
    }
    expect(given).toEqual([2000, 1000, 0]);
    expect(await spentOf(key)).toBe(3000);
  });

  it('lets one of two checkouts racing for the same budget have it: the other fails with PROMOTION_BUDGET_EXHAUSTED and creates nothing, or is priced without it', async () => {
    const s = await shop();
    const p = await listed(s, [10000], { stock: 100 });
    for (let round = 0; round < 4; round++) {
      const key = await promo({ shopKey: s.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', tiers: [{ threshold: 10000, amountOff: 2000 }], budget: 2000 });
      const buyers = [await newShopper(t), await newShopper(t)];
      for (const b of buyers) {
        await cartLine(t, b.user.id, p.variants[0], 1);
        expect((await quoted(b)).discountTotal.amountMinor).toBe(2000);
      }
      const before = await Promise.all(buyers.map(holdings));
      const results = await Promise.all(buyers.map((b) => checkout(b)));
      const discounted = results.filter((r) => r.checkout?.orders[0].discountTotal.amountMinor === 2000);
      expect(discounted).toHaveLength(1);
      const loser = results.findIndex((r) => r !== discounted[0]);
      const other = results[loser];
      if (other.checkout) {
        expect(other.checkout.orders[0].discountTotal.amountMinor).toBe(0);
      } else {
        expect(other.errors.map((e) => e.code)).toEqual(['PROMOTION_BUDGET_EXHAUSTED']);
        expect(await holdings(buyers[loser])).toEqual(before[loser]);
      }
      const [row] = await t.sql(
        `select p.spent, p.budget, (select coalesce(sum(d.amount), 0) from order_discount d join orders o on o.id = d.order_id where d.promotion_id = p.id and o.status <> 'CANCELLED') as given
         from promotion p where p.id = ?`,
        [key],
      );
      expect([Number(row.spent), Number(row.given)]).toEqual([2000, 2000]);
      expect(Number(row.spent)).toBeLessThanOrEqual(Number(row.budget));
    }
  });

  it('applies a promotion limited to one checkout a buyer once, and again after that order is cancelled', async () => {
    const s = await shop();
    const p = await listed(s, [10000]);
    await promo({ shopKey: s.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', title: '每人一次 滿100減10', tiers: [{ threshold: 10000, amountOff: 1000 }], perUserLimit: 1 });
    const buyer = await newShopper(t);
    const buy = async () => {
      await cartLine(t, buyer.user.id, p.variants[0], 1);
      const q = await quoted(buyer);
      const out = await placed(buyer);
      expect(out.orders[0].discountTotal.amountMinor).toBe(q.discountTotal.amountMinor);
      return out;
    };
    const first = await buy();
    expect(first.orders[0].discountTotal.amountMinor).toBe(1000);
    const second = await buy();
    expect(second.orders[0].discountTotal.amountMinor).toBe(0);
    expect(second.orders[0].discounts).toEqual([]);
    await cancel(buyer.token, first.orders[0].id);
    const third = await buy();
    expect(third.orders[0].discountTotal.amountMinor).toBe(1000);
  });

  it('adds a gift line at 0 when the threshold is met and reserves its stock; with the gift out of stock, checks out without it', async () => {
    const s = await shop();
    const p = await listed(s, [10000]);
    const gift = await listed(s, [1500], { stock: 1 });
    const giftKey = gift.variants[0];
    await promo({ shopKey: s.shop.id, kind: 'GIFT_WITH_PURCHASE', title: '滿100送杯墊', tiers: [{ threshold: 10000, giftVariantId: giftKey }] });

    const first = await newShopper(t);
    await cartLine(t, first.user.id, p.variants[0], 1);
    const cart = await cartOf(first);
    expect(cart.groups[0].gifts).toEqual([{ quantity: 1, variant: { id: idOf('ProductVariant', giftKey) } }]);
    expect(cart.total.amountMinor).toBe(10000);
    const out = await placed(first);
    const order = out.orders[0];
    expect(order.total.amountMinor).toBe(10000);
    const giftLine = order.lines.find((l: any) => l.gift);
    expect(giftLine).toMatchObject({ gift: true, quantity: 1, unitPrice: { amountMinor: 0 }, lineTotal: { amountMinor: 0 }, discount: { amountMinor: 0 } });
    expect(order.lines.filter((l: any) => !l.gift)).toHaveLength(1);
    expect(await stockOf(t, giftKey)).toEqual({ on_hand: 1, reserved: 1 });
    await expectBooksAddUp(keyOf(out.id));

    const second = await newShopper(t);
    await cartLine(t, second.user.id, p.variants[0], 1);
    expect((await cartOf(second)).groups[0].gifts).toEqual([]);
    const without = await placed(second);
    expect(without.orders[0].lines.map((l: any) => l.gift)).toEqual([false]);
    expect(await stockOf(t, giftKey)).toEqual({ on_hand: 1, reserved: 1 });
  });

  it('applies a promotion that does not stack alone when it gives more than the stacking ones together, and the stacking ones otherwise', async () => {
    const stacking = (s: Seller) => [
      promo({ shopKey: s.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', title: '滿100減10', tiers: [{ threshold: 10000, amountOff: 1000 }] }),
      promo({ shopKey: s.shop.id, kind: 'PERCENT_OFF', title: '95 折', tiers: [{ threshold: 0, percentOffBp: 500 }] }),
    ];
    const alone = await shop();
    const together = await shop();
    const pa = await listed(alone, [20000]);
    const pt = await listed(together, [20000]);
    await Promise.all(stacking(alone));
    await Promise.all(stacking(together));
    await promo({ shopKey: alone.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', title: '滿200減30 不疊加', stackable: false, tiers: [{ threshold: 20000, amountOff: 3000 }] });
    await promo({ shopKey: together.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', title: '滿200減15 不疊加', stackable: false, tiers: [{ threshold: 20000, amountOff: 1500 }] });

    const buyer = await newShopper(t);
    await cartLine(t, buyer.user.id, pa.variants[0], 1);
    await cartLine(t, buyer.user.id, pt.variants[0], 1);
    const q = await quoted(buyer);
    const out = await placed(buyer);
    const titles = (g: any) => [g.shop.id, g.discounts.map((d: any) => [d.title, d.amount.amountMinor])];
    const expected = [
      // 30.00 alone beats 5% of 200.00 (10.00) then 滿100減10 (10.00).
      [alone.shopId, [['滿200減30 不疊加', 3000]]],
      // 15.00 alone does not: percentages before thresholds, each on what the last one left.
      [together.shopId, [['95 折', 1000], ['滿100減10', 1000]]],
    ];
    expect(q.groups.map(titles).sort()).toEqual([...expected].sort());
    expect(out.orders.map(titles).sort()).toEqual([...expected].sort());
  });
});

// --- 11. Product.promotions ---------------------------------------------------------------------

describe('Product.promotions', () => {
  const PROMOTIONS = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { promotions { id title kind } } } }`;

  it('lists the live promotions covering a product, its shop’s and the platform’s, by product or category, and no other', async () => {
    const catA = await createCategory(t);
    const catB = await createCategory(t);
    const s = await shop();
    const rival = await shop();
    const p1 = await listed(s, [1000], { categoryId: idOf('Category', catA.id) });
    const p2 = await listed(s, [1000], { categoryId: idOf('Category', catB.id) });
    const p3 = await listed(rival, [1000], { categoryId: idOf('Category', catA.id) });
    const now = clock.now().getTime();
    const tiers = [{ threshold: 20000, amountOff: 2000 }];
    const threshold = (title: string, extra: Partial<PromotionSpec> = {}) => promo({ shopKey: s.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', title, tiers, ...extra });
    const shopAll = await threshold('shop, everything');
    const shopP1 = await threshold('shop, p1', { scope: { productIds: [p1.key] } });
    const platformA = await threshold('platform, category A', { shopKey: null, scope: { categoryIds: [catA.id] } });
    await threshold('scheduled', { startsAt: new Date(now + HOUR), endsAt: new Date(now + DAY) });
    await threshold('ended', { startsAt: new Date(now - 2 * DAY), endsAt: new Date(now - HOUR) });
    const cancelled = await threshold('cancelled');
    await t.sql('update promotion set cancelled_at = ? where id = ?', [clock.now(), cancelled]);
    const spent = await threshold('budget spent', { budget: 2000 });
    await t.sql('update promotion set spent = budget where id = ?', [spent]);
    const rivals = await promo({ shopKey: rival.shop.id, kind: 'PERCENT_OFF', title: 'rival shop', tiers: [{ threshold: 0, percentOffBp: 1000 }] });

    const res = await t.gql(PROMOTIONS, { ids: [p1.id, p2.id, p3.id] });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const listedFor = Object.fromEntries(res.data!.nodes.map((n: any) => [n.id, n.promotions.map((x: any) => x.title)]));
    expect(listedFor).toEqual({
      [p1.id]: ['shop, everything', 'shop, p1', 'platform, category A'],
      [p2.id]: ['shop, everything'],
      [p3.id]: ['rival shop', 'platform, category A'],
    });
    const ids = res.data!.nodes[0].promotions.map((x: any) => x.id);
    expect(ids).toEqual([idOf('Promotion', shopAll), idOf('Promotion', shopP1), idOf('Promotion', platformA)]);
    expect(res.data!.nodes[2].promotions[0]).toEqual({ id: idOf('Promotion', rivals), title: 'rival shop', kind: 'PERCENT_OFF' });
  });

  it('costs the same SQL statements for a page of 20 products with their promotions as for a page of 2', async () => {
    const s = await shop();
    const made: Listed[] = [];
    for (let i = 0; i < 20; i++) made.push(await listed(s, [1000 + i]));
    await promo({ shopKey: s.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', title: 'shop-wide', tiers: [{ threshold: 20000, amountOff: 2000 }] });
    await promo({ shopKey: s.shop.id, kind: 'PERCENT_OFF', title: 'some', tiers: [{ threshold: 0, percentOffBp: 500 }], scope: { productIds: made.filter((_, i) => i % 2 === 0).map((p) => p.key) } });
    await promo({ shopKey: null, kind: 'PERCENT_OFF', title: 'platform', tiers: [{ threshold: 0, percentOffBp: 500 }], scope: { productIds: made.slice(0, 10).map((p) => p.key) } });
    const PAGE = `query($shopId: ID!, $first: Int) { products(filter: { shopId: $shopId }, first: $first) { nodes { id title promotions { id title kind every } } } }`;
    const two = await t.countQueries(PAGE, { shopId: s.shopId, first: 2 });
    const twenty = await t.countQueries(PAGE, { shopId: s.shopId, first: 20 });
    expect(twenty.result.errors, JSON.stringify(twenty.result.errors)).toBeUndefined();
    const nodes = twenty.result.data!.products.nodes;
    expect(nodes).toHaveLength(20);
    expect(nodes.reduce((n: number, p: any) => n + p.promotions.length, 0)).toBe(20 + 10 + 10);
    expect(two.result.data!.products.nodes.every((p: any) => p.promotions.length > 0)).toBe(true);
    expect(twenty.queries).toBe(two.queries);
  });
});

// --- 12–13. What the cart costs; who may quote ------------------------------------------------------

describe('the cart with promotions and coupons', () => {
  it('costs the same statements for 1 line as for 30 lines across three shops', async () => {
    const variants: string[] = [];
    const shops: Seller[] = [];
    const productKeys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await shop({ first: '8.00', additional: '2.00' });
      shops.push(s);
      const p = await listed(s, Array.from({ length: 10 }, (_, j) => (j + 1) * 1000));
      variants.push(...p.variants);
      productKeys.push(p.key);
      await promo({ shopKey: s.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', title: `滿10減1 #${i}`, every: true, tiers: [{ threshold: 1000, amountOff: 100 }] });
      await promo({ shopKey: s.shop.id, kind: 'FIXED_PRICE_BUNDLE', title: `任選2件 #${i}`, tiers: [{ threshold: 0, quantity: 2, price: 1500 }], stackable: false });
    }
    await promo({ shopKey: null, kind: 'PERCENT_OFF', title: '平台 95 折', tiers: [{ threshold: 0, percentOffBp: 500 }], scope: { productIds: productKeys } });
    const small = await newShopper(t);
    const large = await newShopper(t);
    for (const who of [small, large]) {
      await coupon(who, { shopKey: null, kind: 'AMOUNT_OFF', amountOff: 100 });
      await coupon(who, { shopKey: null, kind: 'FREE_SHIPPING' });
      for (const s of shops) await coupon(who, { shopKey: s.shop.id, kind: 'PERCENT_OFF', percentOffBp: 1000, maxDiscount: 500 });
    }
    await cartLine(t, small.user.id, variants[0], 1);
    await t.sql('insert into cart_line (user_id, variant_id, quantity) select ?, id, 1 from product_variant where id in (?)', [large.user.id, variants]);
    const one = await t.countQueries(CART, {}, { token: small.token });
    const thirty = await t.countQueries(CART, {}, { token: large.token });
    expect(one.result.errors, JSON.stringify(one.result.errors)).toBeUndefined();
    expect(thirty.result.errors, JSON.stringify(thirty.result.errors)).toBeUndefined();
    const big = thirty.result.data!.cart;
    expect(big.groups).toHaveLength(3);
    expect(big.discounts.length).toBeGreaterThanOrEqual(4);
    expect(big.applicableCoupons).toHaveLength(5);
    expect(one.result.data!.cart.discounts.length).toBeGreaterThan(0);
    expect(one.result.data!.cart.applicableCoupons).toHaveLength(3);
    expect(thirty.queries).toBe(one.queries);
  });

  it('refuses an anonymous checkoutQuote with UNAUTHENTICATED', async () => {
    const res = await t.gql(QUOTE, { input: {} });
    expect(code(res)).toBe('UNAUTHENTICATED');
    expect(res.data?.checkoutQuote ?? null).toBeNull();
  });
});
