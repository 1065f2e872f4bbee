import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StockMovementReason } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { applyMoves } from '../../src/services/inventory';
import { expireCheckouts } from '../../src/services/orders';
import { ManualClock } from '../../src/services/shared';
import { type TestApp, createTestApp } from '../helpers/app';
import { addressFor, CHECKOUT, cartLine, newKey, PAY, stockOf, variantKeys, webhook } from '../helpers/buying';
import { keyOf } from '../helpers/kit';
import { createMarket, listedProduct, type Market, productInput, type Seller } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';

const ADJUST = `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { variant { id } errors { code field } } }`;
const STOCKTAKE = `mutation($input: StocktakeInput!) { submitStocktake(input: $input) { stocktake { id } errors { code field } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code } } }`;
const UPDATE = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { id } errors { code field } } }`;
const VARIANTS = `query($id: ID!) { product(id: $id) { variants { id sku title options { name value } price { amount } compareAtPrice { amount } } } }`;

const clock = new ManualClock(new Date('2026-11-23T02:00:00Z'));
let t: TestApp;
let market: Market;

beforeAll(async () => {
  t = await createTestApp({ CHECKOUT_TTL_MINUTES: '30' }, { clock });
  market = await createMarket(t, 'Ledger');
});
afterAll(() => t.close());

/** A listed product of `s` with one variant per entry of `stock`; returns its ID and the variant keys in order. */
async function product(s: Seller, ...stock: number[]): Promise<{ id: string; variants: string[] }> {
  const sku = `L-${Math.random().toString(36).slice(2, 10)}`;
  const variants = stock.map((units, i) => ({ sku: `${sku}-${i}`, title: `Size ${i}`, options: [{ name: 'Size', value: String(i) }], price: '10.00', stockOnHand: units, lowStockThreshold: 3 }));
  const id = await listedProduct(t, s, market.reviewer.token, productInput(s.shopId, market.categoryId, { variants }));
  return { id, variants: await variantKeys(t, id) };
}

async function shopper() {
  const { user, token } = await userWithToken(t);
  return { user, token, addressId: await addressFor(t, user.id) };
}
type Shopper = Awaited<ReturnType<typeof shopper>>;

/** Puts `lines` (variant key, quantity) in the buyer's cart, in that order, and checks out. */
async function checkOut(buyer: Shopper, lines: [string, number][]) {
  for (const [variant, quantity] of lines) await cartLine(t, buyer.user.id, variant, quantity);
  const res = await t.gql(CHECKOUT, { input: { addressId: buyer.addressId }, key: newKey() }, { token: buyer.token });
  expect(res.errors).toBeUndefined();
  return res.data!.checkout;
}

/** Pays a checkout through the mock provider's webhook. */
async function pay(buyer: Shopper, checkoutId: string): Promise<void> {
  const res = await t.gql(PAY, { input: { checkoutId, provider: 'MOCK' } }, { token: buyer.token });
  expect(res.data!.payCheckout.errors).toEqual([]);
  const event = { eventId: newKey(), type: 'payment.succeeded', paymentId: res.data!.payCheckout.payment.id };
  expect((await webhook(t, event)).statusCode).toBe(200);
}

async function cancel(buyer: Shopper, orderId: string): Promise<void> {
  const res = await t.gql(CANCEL, { input: { orderId } }, { token: buyer.token });
  expect(res.data!.cancelOrder).toEqual({ order: { status: 'CANCELLED' }, errors: [] });
}

const variantId = (key: string) => toGlobalId('ProductVariant', key);

/** Every variant whose stock differs from the sums of its ledger rows (none, when the ledger is whole). */
function unrecorded(): Promise<any[]> {
  return t.sql(
    `select v.id, v.on_hand, v.reserved, l.on_hand as ledger_on_hand, l.reserved as ledger_reserved
     from product_variant v
     left join lateral (select coalesce(sum(m.delta_on_hand), 0)::int as on_hand, coalesce(sum(m.delta_reserved), 0)::int as reserved
                        from stock_movement m where m.variant_id = v.id) l on true
     where v.on_hand <> l.on_hand or v.reserved <> l.reserved`,
  );
}

describe('the stock ledger', () => {
  it('sums to every variant’s on-hand and reserved stock after checkouts, payments, cancellations, expiry, adjustments, a stocktake and product edits', async () => {
    const a = await product(market.shopA, 12, 6, 0);
    const b = await product(market.shopB, 8);
    const [a0, a1, a2] = a.variants;
    const [b0] = b.variants;

    // Paid: reservations become sales.
    const one = await shopper();
    const first = await checkOut(one, [[a0, 2], [a1, 1], [b0, 3]]);
    expect(first.errors).toEqual([]);
    await pay(one, first.checkout.id);

    // Left unpaid: released by the expiry job.
    const two = await shopper();
    expect((await checkOut(two, [[a0, 4], [a1, 2]])).errors).toEqual([]);

    // Paid, then one of its orders cancelled: the sold units come back on hand.
    const three = await shopper();
    const third = await checkOut(three, [[a1, 3], [b0, 1]]);
    expect(third.errors).toEqual([]);
    await pay(three, third.checkout.id);
    await cancel(three, third.checkout.orders.find((o: { shop: { id: string } }) => o.shop.id === market.shopA.shopId).id);

    // Short of one variant: nothing is reserved, not even the variant in stock.
    const four = await shopper();
    const before = await stockOf(t, a0);
    const refused = await checkOut(four, [[a0, 1], [a1, 4]]);
    expect(refused.errors.map((e: { code: string }) => e.code)).toEqual(['INSUFFICIENT_STOCK']);
    expect(await stockOf(t, a0)).toEqual(before);

    // Unpaid and cancelled by the buyer: the reservation is released.
    const five = await shopper();
    const fifth = await checkOut(five, [[b0, 1]]);
    await cancel(five, fifth.checkout.orders[0].id);

    clock.advance(31 * 60_000);
    expect(await expireCheckouts(t.app.deps, t.orm.em.fork())).toBeGreaterThanOrEqual(1);

    const adjust = (variant: string, delta: number, reason: string) => t.gql(ADJUST, { input: { variantId: variantId(variant), delta, reason } }, { token: (variant === b0 ? market.shopB : market.shopA).owner.token });
    expect((await adjust(a2, 7, 'RESTOCK')).data!.adjustStock.errors).toEqual([]);
    expect((await adjust(a0, -1, 'DAMAGE')).data!.adjustStock.errors).toEqual([]);
    expect((await adjust(b0, -100, 'DAMAGE')).data!.adjustStock.errors).toEqual([{ code: 'INSUFFICIENT_STOCK', field: ['input', 'delta'] }]);

    const counts = [{ variantId: variantId(a0), counted: 3 }, { variantId: variantId(a1), counted: 5 }, { variantId: variantId(a2), counted: 9 }];
    expect((await t.gql(STOCKTAKE, { input: { shopId: market.shopA.shopId, counts } }, { token: market.shopA.owner.token })).data!.submitStocktake.errors).toEqual([]);

    // Stock set through the product (a CORRECTION) and a new variant's starting stock (INITIAL).
    const [current] = (await t.gql(VARIANTS, { id: b.id }, { token: market.shopB.owner.token })).data!.product.variants;
    const kept = { id: current.id, sku: current.sku, title: current.title, options: current.options, price: current.price.amount, compareAtPrice: current.compareAtPrice?.amount ?? null, stockOnHand: 10 };
    const added = { sku: `${current.sku}-new`, title: 'New', options: [{ name: 'Size', value: 'new' }], price: '12.00', stockOnHand: 4 };
    expect((await t.gql(UPDATE, { input: { id: b.id, variants: [kept, added] } }, { token: market.shopB.owner.token })).data!.updateProduct.errors).toEqual([]);

    expect([await stockOf(t, a0), await stockOf(t, a1), await stockOf(t, a2), await stockOf(t, b0)]).toEqual([
      { on_hand: 3, reserved: 0 },
      { on_hand: 5, reserved: 0 },
      { on_hand: 9, reserved: 0 },
      { on_hand: 10, reserved: 0 },
    ]);
    expect(await unrecorded()).toEqual([]);
    // The run went through every kind of move but after-sales' (a return restocked, an exchange's
    // replacement) and flash sales' (units set aside and returned), which tests/aftersales/cases.test.ts
    // and tests/campaigns/flash-sales.test.ts check against the ledger the same way.
    const reasons = (await t.sql('select distinct reason from stock_movement')).map((r) => r.reason);
    const elsewhere: string[] = [StockMovementReason.RETURN, StockMovementReason.EXCHANGE, StockMovementReason.FLASH_SALE_HOLD, StockMovementReason.FLASH_SALE_RETURN];
    expect(reasons.sort()).toEqual(Object.values(StockMovementReason).filter((r) => !elsewhere.includes(r)).sort());
  });

  it('never oversells the last units to concurrent checkouts of several variants, and reserves each checkout’s lines all or none', async () => {
    const { variants: [plenty, last] } = await product(market.shopA, 100, 5);
    const buyers = await Promise.all(Array.from({ length: 20 }, () => shopper()));
    // Half the carts list the variants the other way round: the locks are still taken in one order.
    const results = await Promise.all(buyers.map((buyer, i) => checkOut(buyer, i % 2 ? [[plenty, 1], [last, 1]] : [[last, 1], [plenty, 1]])));
    const codes = results.map((r) => r.errors.map((e: { code: string }) => e.code).join() || 'OK');
    expect(codes.filter((c) => c === 'OK')).toHaveLength(5);
    expect(codes.filter((c) => c === 'INSUFFICIENT_STOCK')).toHaveLength(15);
    expect(await stockOf(t, last)).toEqual({ on_hand: 5, reserved: 5 });
    expect(await stockOf(t, plenty)).toEqual({ on_hand: 100, reserved: 5 });
    expect(await t.sql("select count(*)::int as n from stock_movement where variant_id in (?, ?) and reason = 'RESERVE'", [plenty, last])).toEqual([{ n: 10 }]);
    expect(await unrecorded()).toEqual([]);
  });

  it('moves nothing, writes no ledger row and no alert when the guard refuses one of several moves', async () => {
    const { variants: [x, y] } = await product(market.shopA, 10, 2);
    const outcome = await t.orm.em.fork().transactional((em) =>
      applyMoves(em, [{ variantId: x, dOnHand: 0, dReserved: 9 }, { variantId: y, dOnHand: 0, dReserved: 3 }], { reason: StockMovementReason.RESERVE, actorId: null, guard: 'available', at: clock.now() }),
    );
    expect(outcome).toEqual({ short: [y], moved: [] });
    expect([await stockOf(t, x), await stockOf(t, y)]).toEqual([{ on_hand: 10, reserved: 0 }, { on_hand: 2, reserved: 0 }]);
    expect(await t.sql("select count(*)::int as n from stock_movement where variant_id in (?, ?) and reason <> 'INITIAL'", [x, y])).toEqual([{ n: 0 }]);
    expect(await t.sql('select count(*)::int as n from stock_alert where variant_id in (?, ?)', [x, y])).toEqual([{ n: 0 }]);
  });

  it('sums the moves of one variant for its guard and writes one ledger row per move, with its order', async () => {
    const { variants: [v] } = await product(market.shopA, 6);
    // Two orders holding the same variant (the ledger names orders; it does not look them up).
    const orders = ['9000000001', '9000000002'];
    const moves = orders.map((orderId) => ({ variantId: v, dOnHand: 0, dReserved: 3, orderId }));
    const run = (extra: typeof moves) =>
      t.orm.em.fork().transactional((em) => applyMoves(em, [...moves, ...extra], { reason: StockMovementReason.RESERVE, actorId: null, guard: 'available', at: clock.now() }));
    expect((await run([{ variantId: v, dOnHand: 0, dReserved: 1, orderId: orders[0] }])).short).toEqual([v]);
    const done = await run([]);
    expect(done).toEqual({ short: [], moved: [{ variantId: v, shopId: market.shopA.shop.id, onHand: 6, reserved: 6, availableBefore: 6 }] });
    expect(await t.sql("select order_id, delta_reserved from stock_movement where variant_id = ? and reason = 'RESERVE' order by id", [v])).toEqual(
      orders.map((id) => ({ order_id: id, delta_reserved: 3 })),
    );
    // Available fell from 6 (above the line of 3) to 0: one alert.
    expect(await t.sql('select available, threshold from stock_alert where variant_id = ?', [v])).toEqual([{ available: 0, threshold: 3 }]);
    expect(await unrecorded()).toEqual([]);
  });

  it('stamps its rows and alerts with the business clock, as the order events of the same steps', async () => {
    // Far from the wall clock and from the other tests' times, so a time taken from the database shows.
    clock.set(new Date('2032-05-10T06:00:00Z'));
    const times: string[] = [];
    const tick = () => {
      clock.advance(7 * 60_000 + 1_234);
      times.push(clock.now().toISOString());
    };
    tick();
    const { variants: [v] } = await product(market.shopA, 5);
    tick();
    const buyer = await shopper();
    const placed = await checkOut(buyer, [[v, 3]]);
    expect(placed.errors).toEqual([]);
    tick();
    await pay(buyer, placed.checkout.id);
    tick();
    expect((await t.gql(ADJUST, { input: { variantId: variantId(v), delta: 5, reason: 'RESTOCK' } }, { token: market.shopA.owner.token })).data!.adjustStock.errors).toEqual([]);
    tick();
    const counts = [{ variantId: variantId(v), counted: 1 }];
    expect((await t.gql(STOCKTAKE, { input: { shopId: market.shopA.shopId, counts } }, { token: market.shopA.owner.token })).data!.submitStocktake.errors).toEqual([]);
    tick();
    await cancel(buyer, placed.checkout.orders[0].id);

    const [created, checkedOut, paid, adjusted, counted, cancelled] = times;
    const stamped = async (sql: string, params: unknown[]) => (await t.sql(sql, params)).map((r) => [r.what, new Date(r.at).toISOString()]);
    expect(await stamped('select reason as what, created_at as at from stock_movement where variant_id = ? order by id', [v])).toEqual([
      ['INITIAL', created],
      ['RESERVE', checkedOut],
      ['SALE', paid],
      ['RESTOCK', adjusted],
      ['STOCKTAKE', counted],
      ['RELEASE', cancelled],
    ]);
    // Available fell from 5 to 2 at the checkout and from 7 to 1 at the stocktake, past the line of 3.
    expect(await stamped('select available as what, created_at as at from stock_alert where variant_id = ? order by id', [v])).toEqual([
      [2, checkedOut],
      [1, counted],
    ]);
    expect(await stamped('select type as what, at from order_event where order_id = ? order by id', [keyOf(placed.checkout.orders[0].id)])).toEqual([
      ['PLACED', checkedOut],
      ['PAID', paid],
      ['CANCELLED', cancelled],
      ['REFUND_REQUESTED', cancelled],
    ]);
    expect(await stockOf(t, v)).toEqual({ on_hand: 4, reserved: 0 });
    expect(Math.abs(Date.parse(created) - Date.now())).toBeGreaterThan(86_400_000);
  });
});
