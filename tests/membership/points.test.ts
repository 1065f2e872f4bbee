import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Order, PointsReason, StaffRole } from '../../src/entities';
import { expirePoints, postPoints } from '../../src/services/membership';
import { refundOrder } from '../../src/services/payments/refunds';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { cartLine, newKey, PAY, webhook } from '../helpers/buying';
import { type Seller, seller, staff } from '../helpers/catalog';
import { createCategory } from '../helpers/factories';
import { code, idOf, keyOf, okPayload, payloadOf } from '../helpers/kit';
import { assertLedgerBalanced, orderAccounts } from '../helpers/ledger';
import { newShopper, scenario, type Shopper } from '../helpers/scenario';

/**
 * The points ledger (積分) through the API: redeemed at checkout as a platform-funded discount
 * (checked against the balance and the cap, and under concurrent checkouts), given back when a
 * checkout expires or an order is cancelled before shipping, earned when orders complete (the
 * level's multiplier, less refunds), reversed in proportion by a refund after completion, and
 * expired oldest first at the end of the next year as the clock moves. After every step the
 * balance is Σ entries and never negative.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const clock = new ManualClock(new Date('2031-03-10T02:00:00Z'));
let t: TestApp;
let reviewer: { token: string };
let categoryId: string;
let admin: string;

const PRICED = `subtotal { amountMinor } shippingTotal { amountMinor } discountTotal { amountMinor } total { amountMinor } discounts { source fundedBy title amount { amountMinor } }`;
const QUOTE = `query($input: CheckoutQuoteInput!) { checkoutQuote(input: $input) { ${PRICED} pointsBalance maxRedeemablePoints pointsRedeemed } }`;
const CHECKOUT = `mutation($input: CheckoutInput!, $key: String!) { checkout(input: $input, idempotencyKey: $key) {
  checkout { id total { amountMinor } orders { id number total { amountMinor } discountTotal { amountMinor } shop { id } discounts { source fundedBy amount { amountMinor } } } }
  errors { code field message } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status } errors { code field message } } }`;
const MY_POINTS = `query($first: Int, $after: String) { myPoints(first: $first, after: $after) {
  totalCount nodes { id delta reason orderId expiresAt note at } pageInfo { hasNextPage endCursor } } }`;
const RUN_TASK = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code field message } } }`;
const TEMPLATE = `mutation($input: ShippingTemplateInput!) { createShippingTemplate(input: $input) { shippingTemplate { id } errors { code field message } } }`;

beforeAll(async () => {
  t = await createTestApp({ SETTLEMENT_PERIOD: 'CONTINUOUS', CHECKOUT_TTL_MINUTES: '30', AFTER_SALES_DAYS: '7', LOG_LEVEL: 'error' }, { clock });
  reviewer = await staff(t, StaffRole.REVIEWER);
  categoryId = idOf('Category', (await createCategory(t)).id);
  admin = (await staff(t, StaffRole.ADMIN)).token;
});
afterAll(() => t.close());

// --- Set-up -------------------------------------------------------------------------------------

/** Product keys and variant keys of a product of `s` on sale, one variant per price (minor units). */
async function listed(s: Seller, prices: number[]): Promise<{ id: string; variants: string[] }> {
  const { product } = await scenario(t, { reviewer, categoryId })
    .shop(s)
    .product({ variants: prices.map((price) => ({ price, stock: 100 })) })
    .run();
  return { id: product.id, variants: product.variantKeys };
}

/** Gives `buyer` points, earned now (they expire at the end of next year), through the ledger's writer. */
async function grant(buyer: Shopper, points: number, at = clock.now()): Promise<void> {
  await postPoints(t.orm.em.fork(), [{ userId: buyer.user.id, delta: points, reason: PointsReason.CHECK_IN, key: `test:${newKey()}`, at, expires: true }]);
}

/** The balance as Σ entries, after checking no prefix of the ledger ever went below 0. */
async function balanceOf(buyer: Shopper): Promise<number> {
  const rows = await t.sql('select delta from points_entry where user_id = ? order by id', [buyer.user.id]);
  let running = 0;
  for (const r of rows) {
    running += Number(r.delta);
    expect(running, 'the running balance').toBeGreaterThanOrEqual(0);
  }
  return running;
}

async function entries(buyer: Shopper): Promise<[string, number, string | null][]> {
  const rows = await t.sql('select reason, delta, order_id from points_entry where user_id = ? order by id', [buyer.user.id]);
  return rows.map((r) => [r.reason, Number(r.delta), r.order_id === null ? null : String(r.order_id)]);
}

const runTask = async (name: string) => okPayload(await t.gql(RUN_TASK, { input: { name } }, { token: admin }), 'runScheduledTask').task.lastResult as string;

async function quote(buyer: Shopper, input: Record<string, unknown> = {}) {
  return t.gql(QUOTE, { input }, { token: buyer.token });
}

async function checkout(buyer: Shopper, input: Record<string, unknown> = {}, key = newKey()) {
  const res = await t.gql(CHECKOUT, { input: { addressId: buyer.addressId, ...input }, key }, { token: buyer.token });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.checkout as { checkout: any; errors: { code: string; field: string[]; message: string }[] };
}

async function pay(buyer: Shopper, checkoutId: string): Promise<void> {
  const { payment } = okPayload(await t.gql(PAY, { input: { checkoutId, provider: 'MOCK' } }, { token: buyer.token }), 'payCheckout');
  expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id })).statusCode).toBe(200);
}

const pointsOf = (o: { discounts: { source: string; amount: { amountMinor: number } }[] }) => o.discounts.filter((d) => d.source === 'POINTS').reduce((s, d) => s + d.amount.amountMinor, 0);

// --- Redeeming ----------------------------------------------------------------------------------

describe('redeeming points at checkout', () => {
  it('takes them off as a platform-funded discount spread over the shops, exactly as quoted, with one entry per order', async () => {
    const [a, b] = [await seller(t), await seller(t)];
    const [pa, pb] = [await listed(a, [100_00]), await listed(b, [50_00])];
    const buyer = await newShopper(t);
    await grant(buyer, 5000);
    await cartLine(t, buyer.user.id, pa.variants[0], 1);
    await cartLine(t, buyer.user.id, pb.variants[0], 1);

    const q = payloadOf(await quote(buyer), 'checkoutQuote');
    // The cap is half of 150.00 (7,500 points) but the balance is 5,000.
    expect([q.pointsBalance, q.maxRedeemablePoints, q.pointsRedeemed]).toEqual([5000, 5000, 0]);
    const quoted = payloadOf(await quote(buyer, { pointsToRedeem: 3000 }), 'checkoutQuote');
    expect(quoted.discounts).toEqual([{ source: 'POINTS', fundedBy: 'PLATFORM', title: 'Points', amount: { amountMinor: 30_00 } }]);
    expect([quoted.total.amountMinor, quoted.pointsRedeemed]).toEqual([120_00, 3000]);

    const out = await checkout(buyer, { pointsToRedeem: 3000 });
    expect(out.errors).toEqual([]);
    expect(out.checkout.total.amountMinor).toBe(quoted.total.amountMinor);
    const byShop = Object.fromEntries(out.checkout.orders.map((o: any) => [o.shop.id, pointsOf(o)]));
    expect(byShop).toEqual({ [a.shopId]: 20_00, [b.shopId]: 10_00 });
    const orderKeys = Object.fromEntries(out.checkout.orders.map((o: any) => [o.shop.id, keyOf(o.id)]));
    expect((await entries(buyer)).slice(1).sort()).toEqual(
      [
        ['REDEEMED', -2000, orderKeys[a.shopId]],
        ['REDEEMED', -1000, orderKeys[b.shopId]],
      ].sort(),
    );
    expect(await balanceOf(buyer)).toBe(2000);

    // Paid: the platform pays each shop the points' part of its order (PLATFORM_PROMOTIONS).
    await pay(buyer, out.checkout.id);
    expect(await orderAccounts(t, orderKeys[a.shopId], ['PAYMENT'])).toMatchObject({ BUYER_PAYMENTS: 80_00, PLATFORM_PROMOTIONS: 20_00 });
    await assertLedgerBalanced(t);
  });

  it('refuses more than held (INSUFFICIENT_POINTS), more than the cap (POINTS_CAP_EXCEEDED) and bad numbers (INVALID_INPUT), in the quote and at checkout, changing nothing', async () => {
    const s = await seller(t);
    const p = await listed(s, [10_00]);
    const buyer = await newShopper(t);
    await grant(buyer, 1000);
    const line = await cartLine(t, buyer.user.id, p.variants[0], 1);
    const refused = [
      [600, 'POINTS_CAP_EXCEEDED'],
      [1001, 'INSUFFICIENT_POINTS'],
      [-1, 'INVALID_INPUT'],
    ] as const;
    for (const [points, expected] of refused) {
      expect((await quote(buyer, { pointsToRedeem: points })).data?.checkoutQuote ?? null).toBeNull();
      expect(code(await quote(buyer, { pointsToRedeem: points }))).toBe(expected);
      const out = await checkout(buyer, { pointsToRedeem: points });
      expect(out.checkout).toBeNull();
      expect(out.errors.map((e) => [e.code, e.field])).toEqual([[expected, ['input', 'pointsToRedeem']]]);
    }
    // The message says how far the cap goes.
    expect((await checkout(buyer, { pointsToRedeem: 600 })).errors[0].message).toContain('500');
    expect(await t.sql('select id from orders where buyer_id = ?', [buyer.user.id])).toEqual([]);
    expect((await t.sql('select id from cart_line where user_id = ?', [buyer.user.id])).map((r) => String(r.id))).toEqual([keyOf(line)]);
    expect(await entries(buyer)).toHaveLength(1);
    expect(await balanceOf(buyer)).toBe(1000);
    // Exactly the cap is fine.
    expect((await checkout(buyer, { pointsToRedeem: 500 })).errors).toEqual([]);
    expect(await balanceOf(buyer)).toBe(500);
  });

  it('lets concurrent checkouts redeem only what is held: the balance never goes negative and always equals Σ entries', async () => {
    const s = await seller(t);
    const p = await listed(s, [30_00, 31_00, 32_00, 33_00]);
    for (let round = 0; round < 3; round++) {
      const buyer = await newShopper(t);
      await grant(buyer, 1000);
      const lines = await Promise.all(p.variants.map((v) => cartLine(t, buyer.user.id, v, 1)));
      // Four checkouts of a line each, at once, each redeeming 400 of the 1,000 points.
      const outs = await Promise.all(lines.map((l) => checkout(buyer, { lineIds: [l], pointsToRedeem: 400 })));
      const codes = outs.map((o) => o.errors[0]?.code ?? 'OK').sort();
      expect(codes).toEqual(['INSUFFICIENT_POINTS', 'INSUFFICIENT_POINTS', 'OK', 'OK']);
      expect(await balanceOf(buyer)).toBe(200);
      const [{ n }] = await t.sql("select count(*)::int as n from points_entry where user_id = ? and reason = 'REDEEMED'", [buyer.user.id]);
      expect(n).toBe(2);
    }
  });
});

// --- Giving back ----------------------------------------------------------------------------------

describe('giving redeemed points back', () => {
  it('returns them once when the checkout expires unpaid, and per order when a paid order is cancelled before shipping', async () => {
    const [a, b] = [await seller(t), await seller(t)];
    const [pa, pb] = [await listed(a, [40_00]), await listed(b, [40_00])];
    const buyer = await newShopper(t);
    await grant(buyer, 3000);

    await cartLine(t, buyer.user.id, pa.variants[0], 1);
    const unpaid = await checkout(buyer, { pointsToRedeem: 1000 });
    expect(await balanceOf(buyer)).toBe(2000);
    clock.advance(31 * MINUTE);
    await runTask('expire-checkouts');
    expect(await balanceOf(buyer)).toBe(3000);
    await runTask('expire-checkouts');
    const returned = (await entries(buyer)).filter(([reason]) => reason === 'REDEEM_RETURNED');
    expect(returned).toEqual([['REDEEM_RETURNED', 1000, keyOf(unpaid.checkout.orders[0].id)]]);

    await cartLine(t, buyer.user.id, pa.variants[0], 1);
    await cartLine(t, buyer.user.id, pb.variants[0], 1);
    const paid = await checkout(buyer, { pointsToRedeem: 2000 });
    await pay(buyer, paid.checkout.id);
    expect(await balanceOf(buyer)).toBe(1000);
    const [first, second] = paid.checkout.orders;
    okPayload(await t.gql(CANCEL, { input: { orderId: first.id } }, { token: buyer.token }), 'cancelOrder');
    expect(await balanceOf(buyer)).toBe(2000);
    expect((await entries(buyer)).at(-1)).toEqual(['REDEEM_RETURNED', 1000, keyOf(first.id)]);
    // The other order keeps its redemption.
    expect((await t.sql("select count(*)::int as n from points_entry where order_id = ? and reason = 'REDEEM_RETURNED'", [keyOf(second.id)]))[0].n).toBe(0);
    await assertLedgerBalanced(t);
  });
});

// --- Earning and reversing --------------------------------------------------------------------------

describe('earning points', () => {
  it('earns floor(paid less refunds × POINTS_PER_YUAN × the level’s multiplier) when an order completes, once, expiring at the end of the next year', async () => {
    await t.sql("insert into member_level (rank, name, min_spend, points_multiplier_pct) values (7, 'Test ×1.5', 99999999999, 150)");
    const journey = scenario(t, { reviewer, categoryId }).shop().product({ price: 123_45, stock: 10 }).buyer().inCart(2).delivered();
    const s = await journey.run();
    const buyer = s.buyers[0];
    await t.sql('insert into member (user_id, level_rank, level_since) values (?, 7, now())', [buyer.user.id]);
    const order = s.order;
    // One of the two units refunded through an after-sale case before the order completes.
    const [line] = await t.sql('select id from order_line where order_id = ?', [order.key]);
    const requested = okPayload(
      await t.gql(
        `mutation($input: RequestAfterSaleInput!) { requestAfterSale(input: $input) { afterSaleCase { id } errors { code field message } } }`,
        { input: { orderId: order.id, type: 'REFUND_ONLY', reason: 'One arrived broken', lines: [{ orderLineId: idOf('OrderLine', line.id), quantity: 1 }] } },
        { token: buyer.token },
      ),
      'requestAfterSale',
      'afterSaleCase',
    );
    okPayload(
      await t.gql(`mutation($input: RespondAfterSaleInput!) { respondAfterSale(input: $input) { afterSaleCase { id } errors { code field message } } }`, { input: { caseId: requested.id, decision: 'APPROVE' } }, { token: s.shop.owner.token }),
      'respondAfterSale',
    );
    await runTask('send-refunds');
    clock.advance(8 * DAY);
    await runTask('complete-orders');
    await runTask('complete-orders');
    const earned = await t.sql("select delta, expires_at, note from points_entry where order_id = ? and reason = 'ORDER_EARNED'", [order.key]);
    // 246.90 paid, 123.45 refunded: floor(123.45 × 1 × 1.5) = 185.
    expect(earned.map((e) => Number(e.delta))).toEqual([185]);
    // Earned in 2031: expires when 2033 begins in Asia/Shanghai.
    expect(new Date(earned[0].expires_at).toISOString()).toBe('2032-12-31T16:00:00.000Z');
    expect(earned[0].note).toBe(`Order ${order.number}`);
    await t.sql('delete from member_level where rank = 7');
  });

  it('takes earned points back in proportion to a refund after completion, each refund once, never below what is left', async () => {
    const s = await scenario(t, { reviewer, categoryId }).shop().product({ price: 200_00, stock: 10 }).buyer().inCart(1).completed().run();
    const buyer = s.buyers[0];
    const order = s.order;
    expect(await entries(buyer)).toEqual([['ORDER_EARNED', 200, order.key]]);
    // 150 of the 200 points spent on another order.
    const other = await listed(s.shop, [10_00]);
    await cartLine(t, buyer.user.id, other.variants[0], 1);
    expect((await checkout(buyer, { pointsToRedeem: 150 })).errors).toEqual([]);
    expect(await balanceOf(buyer)).toBe(50);

    const refund = (amount: number) =>
      t.orm.em.fork().transactional(async (em) => {
        const o = await em.findOneOrFail(Order, { id: order.key });
        return refundOrder(em, o, 'Goodwill after completion', clock.now(), amount);
      });
    // Half refunded: half the points (100) are due back, but only 50 are left.
    await refund(100_00);
    expect((await entries(buyer)).at(-1)).toEqual(['REFUND_REVERSED', -50, order.key]);
    expect(await balanceOf(buyer)).toBe(0);
    // The rest refunded: nothing left to take.
    await refund(100_00);
    expect((await entries(buyer)).filter(([r]) => r === 'REFUND_REVERSED')).toHaveLength(1);

    // With points to take, the second half takes the rest of the 200, never more.
    const again = await scenario(t, { reviewer, categoryId }).shop().product({ price: 200_00 }).buyer().inCart(1).completed().run();
    const b2 = again.buyers[0];
    await grant(b2, 1000);
    const refund2 = (amount: number) =>
      t.orm.em.fork().transactional(async (em) => refundOrder(em, await em.findOneOrFail(Order, { id: again.order.key }), 'Goodwill', clock.now(), amount));
    await refund2(50_00);
    await refund2(50_00);
    await refund2(100_00);
    expect((await entries(b2)).filter(([r]) => r === 'REFUND_REVERSED').map(([, d]) => d)).toEqual([-50, -50, -100]);
    expect(await balanceOf(b2)).toBe(1000);
  });
});

// --- Expiry -------------------------------------------------------------------------------------

describe('expiring points', () => {
  it('expires what is left of a year’s points when the year after ends, oldest first, once — and points returned later that had come from them', async () => {
    const s = await seller(t);
    const p = await listed(s, [10_00]);
    const buyer = await newShopper(t);
    const start = clock.now();
    // 100 earned in 2031 (expiring 2033-01-01 Shanghai), 50 in 2032 (expiring 2034-01-01).
    await grant(buyer, 100, new Date('2031-05-01T00:00:00Z'));
    await grant(buyer, 50, new Date('2032-06-01T00:00:00Z'));
    // 30 spent on an order left unpaid for now (FIFO: from the 2031 points).
    await cartLine(t, buyer.user.id, p.variants[0], 1);
    const unpaid = await checkout(buyer, { pointsToRedeem: 30 });
    expect(unpaid.errors).toEqual([]);

    clock.set(new Date('2032-12-31T15:59:00Z'));
    expect(await runTask('expire-points')).toBe('done: 0');
    clock.set(new Date('2032-12-31T16:05:00Z'));
    await runTask('expire-points');
    expect((await entries(buyer)).filter(([r]) => r === 'EXPIRED')).toEqual([['EXPIRED', -70, null]]);
    expect(await balanceOf(buyer)).toBe(50);
    expect(await runTask('expire-points')).toBe('done: 0');

    // The unpaid checkout expires: its 30 points come back — and they were 2031 points, so they expire too.
    clock.advance(MINUTE);
    await runTask('expire-checkouts');
    expect(await balanceOf(buyer)).toBe(80);
    await runTask('expire-points');
    expect((await entries(buyer)).filter(([r]) => r === 'EXPIRED').map(([, d]) => d)).toEqual([-70, -30]);
    expect(await balanceOf(buyer)).toBe(50);
    expect(await runTask('expire-points')).toBe('done: 0');

    // The 2032 points last until 2034 begins.
    clock.set(new Date('2033-12-31T16:00:00Z'));
    await runTask('expire-points');
    expect(await balanceOf(buyer)).toBe(0);
    clock.set(start);
  });
});

describe('expire-points in batches', () => {
  it('looks at each member once a run, so members with returned points never hold up the others', async () => {
    const start = clock.now();
    const s = await seller(t);
    const p = await listed(s, [10_00]);
    const buyers = [await newShopper(t), await newShopper(t), await newShopper(t), await newShopper(t)];
    for (const b of buyers) await grant(b, 100, new Date('2041-05-01T00:00:00Z'));
    // The first two spend 10 on a checkout that will expire unpaid after the year's expiry ran.
    for (const b of buyers.slice(0, 2)) {
      await cartLine(t, b.user.id, p.variants[0], 1);
      expect((await checkout(b, { pointsToRedeem: 10 })).errors).toEqual([]);
    }
    clock.set(new Date('2042-12-31T16:05:00Z'));
    const deps = { config: t.config, clock, rateLimits: undefined as never };
    expect(await expirePoints(deps, t.orm.em.fork(), 2)).toBeGreaterThanOrEqual(4);
    clock.advance(MINUTE);
    await runTask('expire-checkouts');
    // Batches of two: the two with returns are looked at again, once, and the run ends.
    const fresh = await newShopper(t);
    await grant(fresh, 100, new Date('2041-06-01T00:00:00Z'));
    clock.advance(MINUTE);
    expect(await expirePoints(deps, t.orm.em.fork(), 2)).toBe(3);
    for (const b of [...buyers, fresh]) expect(await balanceOf(b)).toBe(0);
    clock.advance(MINUTE);
    expect(await expirePoints(deps, t.orm.em.fork(), 2)).toBe(0);
    clock.set(start);
  });
});

// --- Member free shipping -----------------------------------------------------------------------------

describe('a member level’s free shipping', () => {
  it('waives the fee of a shop group whose goods reach the level’s threshold, paid by the platform, in the cart, the quote and the order', async () => {
    await t.sql("insert into member_level (rank, name, min_spend, free_shipping_threshold) values (8, 'Test free shipping', 99999999998, 5000)");
    const s = await seller(t);
    okPayload(
      await t.gql(TEMPLATE, { input: { shopId: s.shopId, name: 'Standard', rules: [], defaultRule: { firstUnits: 1, firstFee: '8.00', additionalUnits: 1, additionalFee: '0.00' } } }, { token: s.owner.token }),
      'createShippingTemplate',
    );
    const p = await listed(s, [60_00]);
    const member = await newShopper(t);
    const plain = await newShopper(t);
    await t.sql('insert into member (user_id, level_rank, level_since) values (?, 8, now())', [member.user.id]);
    for (const buyer of [member, plain]) await cartLine(t, buyer.user.id, p.variants[0], 1);

    const cart = (await t.gql(`query { cart { ${PRICED} } }`, {}, { token: member.token })).data!.cart;
    expect(cart.discounts).toEqual([{ source: 'MEMBER_SHIPPING', fundedBy: 'PLATFORM', title: 'Test free shipping: free shipping', amount: { amountMinor: 8_00 } }]);
    expect(cart.total.amountMinor).toBe(60_00);
    expect(payloadOf(await quote(plain), 'checkoutQuote').total.amountMinor).toBe(68_00);

    const out = await checkout(member);
    expect(out.checkout.total.amountMinor).toBe(60_00);
    const [o] = await t.sql('select shipping_fee, shipping_discount, platform_discount, total from orders where id = ?', [keyOf(out.checkout.orders[0].id)]);
    expect([o.shipping_fee, o.shipping_discount, o.platform_discount, o.total].map(Number)).toEqual([8_00, 8_00, 8_00, 60_00]);
    await pay(member, out.checkout.id);
    await assertLedgerBalanced(t);
    await t.sql('delete from member where user_id = ?', [member.user.id]);
    await t.sql('delete from member_level where rank = 8');
  });
});

// --- Listing ----------------------------------------------------------------------------------------

describe('myPoints', () => {
  it('lists your entries newest first, page by page, with the order’s global ID; anonymous callers are refused', async () => {
    const s = await seller(t);
    const p = await listed(s, [20_00]);
    const buyer = await newShopper(t);
    await grant(buyer, 300);
    await grant(buyer, 200);
    await cartLine(t, buyer.user.id, p.variants[0], 1);
    const out = await checkout(buyer, { pointsToRedeem: 100 });
    const first = payloadOf(await t.gql(MY_POINTS, { first: 2 }, { token: buyer.token }), 'myPoints');
    expect(first.totalCount).toBe(3);
    expect(first.nodes.map((n: any) => [n.delta, n.reason, n.orderId])).toEqual([
      [-100, 'REDEEMED', out.checkout.orders[0].id],
      [200, 'CHECK_IN', null],
    ]);
    expect(first.nodes[0].expiresAt).toBeNull();
    expect(first.nodes[1].expiresAt).not.toBeNull();
    const second = payloadOf(await t.gql(MY_POINTS, { first: 2, after: first.pageInfo.endCursor }, { token: buyer.token }), 'myPoints');
    expect(second.nodes.map((n: any) => n.delta)).toEqual([300]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    // Another shopper sees only their own (none), and cannot refetch this one.
    const other = await newShopper(t);
    expect(payloadOf(await t.gql(MY_POINTS, {}, { token: other.token }), 'myPoints').totalCount).toBe(0);
    const NODE = `query($id: ID!) { node(id: $id) { ... on PointsEntry { delta reason } } }`;
    expect(payloadOf(await t.gql(NODE, { id: first.nodes[0].id }, { token: buyer.token }), 'node')).toEqual({ delta: -100, reason: 'REDEEMED' });
    expect(payloadOf(await t.gql(NODE, { id: first.nodes[0].id }, { token: other.token }), 'node')).toBeNull();
    expect(code(await t.gql(MY_POINTS, {}))).toBe('UNAUTHENTICATED');
  });
});
