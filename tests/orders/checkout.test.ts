import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { ManualClock } from '../../src/services/shared';
import { expireCheckouts } from '../../src/services/orders';
import { type TestApp, createTestApp } from '../helpers/app';
import { CHECKOUT, ORDER, PAY, cartLine, newKey, stockOf, variantKeys, webhook } from '../helpers/buying';
import { createMarket, listedProduct, type Market, productInput, type Seller, seller } from '../helpers/catalog';
import { code, outcomeOf, keyOf } from '../helpers/kit';
import { newShopper, scenario } from '../helpers/scenario';

const clock = new ManualClock(new Date('2026-11-23T02:00:00Z'));
let t: TestApp;
let market: Market;

/** A listed product with one variant of `stock` units at `price`; returns the variant key. */
async function variantWith(s: Seller, stock: number, price = '100.00'): Promise<string> {
  const sku = `V-${Math.random().toString(36).slice(2, 10)}`;
  const id = await listedProduct(t, s, market.reviewer.token, productInput(s.shopId, market.categoryId, { variants: [{ sku, title: 'Only', options: [], price, stockOnHand: stock }] }));
  return (await variantKeys(t, id))[0];
}

/** A new shopper with a default address (made through the API). */
const shopper = () => newShopper(t);

beforeAll(async () => {
  t = await createTestApp({ CHECKOUT_TTL_MINUTES: '30' }, { clock });
  market = await createMarket(t);
});
afterAll(() => t.close());

describe('checkout', () => {
  it('places one order per shop with snapshots, reserves stock and empties the bought lines', async () => {
    const s = await scenario(t)
      .buyer()
      .shop(market.shopA).product({ stock: 10, price: '19.90' }).inCart(3)
      .shop(market.shopB).product({ stock: 5, price: '250.00' }).inCart(1)
      .run();
    const [a, b] = s.products.map((p) => p.variantKeys[0]);
    const buyer = s.buyer;
    const res = await t.gql(CHECKOUT, { input: { addressId: buyer.addressId }, key: newKey() }, { token: buyer.token });
    expect(res.errors).toBeUndefined();
    const { checkout, errors } = res.data!.checkout;
    expect(errors).toEqual([]);
    expect(checkout.status).toBe('PENDING_PAYMENT');
    expect(checkout.orders).toHaveLength(2);
    for (const order of checkout.orders) {
      expect(order.status).toBe('PENDING_PAYMENT');
      expect(order.number).toMatch(/^20261123\d{6}$/);
      expect(order.shippingAddress).toEqual({ province: '浙江省', recipientName: '王小明' });
      const lines = order.lines.reduce((sum: number, l: { lineTotal: { amountMinor: number } }) => sum + l.lineTotal.amountMinor, 0);
      expect(order.subtotal.amountMinor).toBe(lines);
      expect(order.total.amountMinor).toBe(order.subtotal.amountMinor + order.shippingFee.amountMinor - order.discountTotal.amountMinor);
    }
    expect(checkout.total.amountMinor).toBe(checkout.orders.reduce((sum: number, o: { total: { amountMinor: number } }) => sum + o.total.amountMinor, 0));
    expect(checkout.total.amountMinor).toBe(3 * 1990 + 25000);
    expect(await stockOf(t, a)).toEqual({ on_hand: 10, reserved: 3 });
    expect(await stockOf(t, b)).toEqual({ on_hand: 5, reserved: 1 });
    expect(await t.sql('select * from cart_line where user_id = ?', [buyer.user.id])).toEqual([]);
    const moves = await t.sql("select delta_on_hand, delta_reserved from stock_movement where variant_id = ? and reason = 'RESERVE'", [a]);
    expect(moves).toEqual([{ delta_on_hand: 0, delta_reserved: 3 }]);
  });

  it('answers EMPTY_CART, ADDRESS_NOT_FOUND, PRODUCT_UNAVAILABLE and INSUFFICIENT_STOCK and changes nothing', async () => {
    const buyer = await shopper();
    const other = await shopper();
    const empty = await t.gql(CHECKOUT, { input: { addressId: buyer.addressId }, key: newKey() }, { token: buyer.token });
    expect(empty.data!.checkout.errors.map((e: { code: string }) => e.code)).toEqual(['EMPTY_CART']);

    const v = await variantWith(market.shopA, 2);
    const line = await cartLine(t, buyer.user.id, v, 3);
    const foreignAddress = await t.gql(CHECKOUT, { input: { addressId: other.addressId }, key: newKey() }, { token: buyer.token });
    expect(foreignAddress.data!.checkout.errors[0]).toMatchObject({ code: 'ADDRESS_NOT_FOUND', field: ['input', 'addressId'] });
    const short = await t.gql(CHECKOUT, { input: { addressId: buyer.addressId }, key: newKey() }, { token: buyer.token });
    expect(short.data!.checkout.errors).toEqual([expect.objectContaining({ code: 'INSUFFICIENT_STOCK', field: ['lines', line] })]);

    await t.sql('update product set listed = false, visible = false, status = ? where id = (select product_id from product_variant where id = ?)', ['DELISTED', v]);
    const gone = await t.gql(CHECKOUT, { input: { addressId: buyer.addressId }, key: newKey() }, { token: buyer.token });
    expect(gone.data!.checkout.errors).toEqual([expect.objectContaining({ code: 'PRODUCT_UNAVAILABLE', field: ['lines', line] })]);

    expect(await stockOf(t, v)).toEqual({ on_hand: 2, reserved: 0 });
    expect(await t.sql('select id from checkout where buyer_id = ?', [buyer.user.id])).toEqual([]);
    expect(await t.sql('select id from cart_line where user_id = ?', [buyer.user.id])).toHaveLength(1);
  });

  it('refuses products of a suspended shop', async () => {
    const suspended = await seller(t);
    const v = await variantWith(suspended, 5);
    await t.sql("update shop set status = 'SUSPENDED' where id = ?", [suspended.shop.id]);
    await t.sql('update product set visible = false where shop_id = ?', [suspended.shop.id]);
    const buyer = await shopper();
    await cartLine(t, buyer.user.id, v, 1);
    const res = await t.gql(CHECKOUT, { input: { addressId: buyer.addressId }, key: newKey() }, { token: buyer.token });
    expect(res.data!.checkout.errors[0].code).toBe('PRODUCT_UNAVAILABLE');
  });

  it('refuses anonymous callers', async () => {
    const res = await t.gql(CHECKOUT, { input: { addressId: toGlobalId('Address', '1') }, key: newKey() });
    expect(code(res)).toBe('UNAUTHENTICATED');
  });

  it('never oversells: 50 concurrent checkouts of 1 unit against 10 in stock', async () => {
    const v = await variantWith(market.shopA, 10);
    const buyers = await Promise.all(Array.from({ length: 50 }, () => shopper()));
    for (const b of buyers) await cartLine(t, b.user.id, v, 1);
    const results = await Promise.all(buyers.map((b) => t.gql(CHECKOUT, { input: { addressId: b.addressId }, key: newKey() }, { token: b.token })));
    const codes = results.map((r) => outcomeOf(r, 'checkout'));
    expect(codes.filter((c) => c === 'OK')).toHaveLength(10);
    expect(codes.filter((c) => c === 'INSUFFICIENT_STOCK')).toHaveLength(40);
    expect(await stockOf(t, v)).toEqual({ on_hand: 10, reserved: 10 });
    const [{ n }] = await t.sql('select count(*)::int as n from order_line where variant_id = ?', [v]);
    expect(n).toBe(10);
  });
});

describe('idempotency', () => {
  it('returns the first checkout for a repeated key and creates nothing new', async () => {
    const { variantKeys: [v], buyer } = await scenario(t).shop(market.shopA).product({ stock: 10 }).buyer().inCart(2).run();
    const key = newKey();
    const first = await t.gql(CHECKOUT, { input: { addressId: buyer.addressId }, key }, { token: buyer.token });
    await cartLine(t, buyer.user.id, v, 1);
    const again = await t.gql(CHECKOUT, { input: { addressId: buyer.addressId }, key }, { token: buyer.token });
    expect(again.data!.checkout.checkout.id).toBe(first.data!.checkout.checkout.id);
    expect(await stockOf(t, v)).toEqual({ on_hand: 10, reserved: 2 });
    expect(await t.sql('select id from checkout where buyer_id = ?', [buyer.user.id])).toHaveLength(1);
  });

  it('settles a race on one key to one checkout', async () => {
    const { variantKeys: [v], buyer } = await scenario(t).shop(market.shopA).product({ stock: 10 }).buyer().inCart(1).run();
    const key = newKey();
    const results = await Promise.all(Array.from({ length: 8 }, () => t.gql(CHECKOUT, { input: { addressId: buyer.addressId }, key }, { token: buyer.token })));
    const ids = new Set(results.map((r) => r.data!.checkout.checkout?.id));
    expect(results.every((r) => r.data!.checkout.errors.length === 0)).toBe(true);
    expect(ids.size).toBe(1);
    expect(await stockOf(t, v)).toEqual({ on_hand: 10, reserved: 1 });
  });

  it('does not let another buyer’s identical key collide', async () => {
    const { variantKeys: [v], buyers: [one, two] } = await scenario(t).shop(market.shopA).product({ stock: 10 }).buyer().inCart(1).buyer().inCart(1).run();
    const key = newKey();
    const a = await t.gql(CHECKOUT, { input: { addressId: one.addressId }, key }, { token: one.token });
    const b = await t.gql(CHECKOUT, { input: { addressId: two.addressId }, key }, { token: two.token });
    expect(a.data!.checkout.checkout.id).not.toBe(b.data!.checkout.checkout.id);
    expect(await stockOf(t, v)).toEqual({ on_hand: 10, reserved: 2 });
  });
});

describe('payment', () => {
  async function placed(stock = 10, quantity = 2) {
    const { variantKeys: [v], buyer, checkout } = await scenario(t).shop(market.shopA).product({ stock }).buyer().inCart(quantity).checkout().run();
    const pay = await t.gql(PAY, { input: { checkoutId: checkout.id, provider: 'MOCK' } }, { token: buyer.token });
    expect(pay.data!.payCheckout.errors).toEqual([]);
    return { v, buyer, checkout, payment: pay.data!.payCheckout.payment };
  }

  it('pays every order of the checkout and turns reservations into sales, once', async () => {
    const { v, buyer, checkout, payment } = await placed();
    expect(payment).toMatchObject({ status: 'PENDING', amount: { amountMinor: checkout.total.amountMinor } });
    const event = { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id };
    const res = await webhook(t, event);
    expect(res.statusCode).toBe(200);
    const order = (await t.gql(ORDER, { id: checkout.orders[0].id }, { token: buyer.token })).data!.order;
    expect(order.status).toBe('PAID');
    expect(order.paidAt).toBeTruthy();
    expect(await stockOf(t, v)).toEqual({ on_hand: 8, reserved: 0 });
    const replay = await webhook(t, event);
    expect(replay.statusCode).toBe(200);
    expect(await stockOf(t, v)).toEqual({ on_hand: 8, reserved: 0 });
    const [{ n }] = await t.sql("select count(*)::int as n from stock_movement where variant_id = ? and reason = 'SALE'", [v]);
    expect(n).toBe(1);
  });

  it('returns the pending payment again instead of opening a second one', async () => {
    const { buyer, checkout, payment } = await placed();
    const again = await t.gql(PAY, { input: { checkoutId: checkout.id, provider: 'MOCK' } }, { token: buyer.token });
    expect(again.data!.payCheckout.payment.id).toBe(payment.id);
  });

  it('answers 401 to a bad signature, 400 to a malformed body and 404 to an unknown payment, changing nothing', async () => {
    const { v, payment } = await placed();
    const event = JSON.stringify({ eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id });
    expect((await webhook(t, event, 'sha256=' + '0'.repeat(64))).statusCode).toBe(401);
    expect((await webhook(t, event, 'nonsense')).statusCode).toBe(401);
    expect((await webhook(t, '{not json')).statusCode).toBe(400);
    expect((await webhook(t, { eventId: 'e', type: 'payment.refunded', paymentId: payment.id })).statusCode).toBe(400);
    expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: toGlobalId('Payment', '999999') })).statusCode).toBe(404);
    expect(await stockOf(t, v)).toEqual({ on_hand: 10, reserved: 2 });
    const [{ status }] = await t.sql('select status from payment where id = ?', [keyOf(payment.id)]);
    expect(status).toBe('PENDING');
  });

  it('leaves orders unpaid when the payment fails', async () => {
    const { buyer, checkout, payment } = await placed();
    expect((await webhook(t, { eventId: newKey(), type: 'payment.failed', paymentId: payment.id })).statusCode).toBe(200);
    const order = (await t.gql(ORDER, { id: checkout.orders[0].id }, { token: buyer.token })).data!.order;
    expect(order.status).toBe('PENDING_PAYMENT');
  });

  it('releases the stock of an unpaid checkout when it expires, and refunds money that arrives later', async () => {
    const { v, buyer, checkout, payment } = await placed(5, 3);
    clock.advance(31 * 60_000);
    expect(await expireCheckouts(t.app.deps, t.orm.em.fork())).toBeGreaterThanOrEqual(1);
    expect(await stockOf(t, v)).toEqual({ on_hand: 5, reserved: 0 });
    const order = (await t.gql(ORDER, { id: checkout.orders[0].id }, { token: buyer.token })).data!.order;
    expect(order.status).toBe('CANCELLED');
    expect(await expireCheckouts(t.app.deps, t.orm.em.fork())).toBe(0);

    expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id })).statusCode).toBe(200);
    const after = (await t.gql(ORDER, { id: checkout.orders[0].id }, { token: buyer.token })).data!.order;
    expect(after.status).toBe('CANCELLED');
    const [pay] = await t.sql('select status, refund_required from payment where id = ?', [keyOf(payment.id)]);
    expect(pay).toEqual({ status: 'SUCCEEDED', refund_required: true });
    const refunds = await t.sql('select amount from refund where payment_id = ?', [keyOf(payment.id)]);
    expect(refunds).toEqual([{ amount: String(checkout.total.amountMinor) }]);
    expect(await stockOf(t, v)).toEqual({ on_hand: 5, reserved: 0 });

    const late = await t.gql(PAY, { input: { checkoutId: checkout.id, provider: 'MOCK' } }, { token: buyer.token });
    expect(late.data!.payCheckout.errors[0].code).toBe('INVALID_TRANSITION');
  });
});

describe('found in review', () => {
  it('keeps order numbers unique past the millionth order', async () => {
    await t.sql("select setval('order_number_seq', 999998)");
    const numbers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { buyer } = await scenario(t).shop(market.shopA).product({ stock: 5 }).buyer().inCart(1).run();
      const res = await t.gql(CHECKOUT, { input: { addressId: buyer.addressId }, key: newKey() }, { token: buyer.token });
      expect(res.errors).toBeUndefined();
      numbers.push(res.data!.checkout.checkout.orders[0].number);
    }
    expect(numbers.map((n) => n.slice(8))).toEqual(['999999', '1000000', '1000001']);
  });

  it('refunds a cancelled order from the payment that paid it, not from one already refunded', async () => {
    const { buyer, checkout } = await scenario(t).shop(market.shopA).product({ stock: 10 }).buyer().inCart(1).checkout().run();
    const pay = async () => (await t.gql(PAY, { input: { checkoutId: checkout.id, provider: 'MOCK' } }, { token: buyer.token })).data!.payCheckout.payment;
    const first = await pay();
    await webhook(t, { eventId: newKey(), type: 'payment.failed', paymentId: first.id });
    const second = await pay();
    expect(second.id).not.toBe(first.id);
    await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: second.id });
    // The first payment succeeds after all, late: it is flagged and refunded in full.
    await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: first.id });
    const cancel = await t.gql(`mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code } } }`, { input: { orderId: checkout.orders[0].id } }, { token: buyer.token });
    expect(cancel.data!.cancelOrder.order.status).toBe('CANCELLED');
    const refunds = await t.sql('select payment_id, amount from refund where payment_id in (?, ?) order by id', [keyOf(first.id), keyOf(second.id)]);
    const total = String(checkout.total.amountMinor);
    expect(refunds).toEqual([
      { payment_id: keyOf(first.id), amount: total },
      { payment_id: keyOf(second.id), amount: total },
    ]);
  });

  it('refuses NUL characters with BAD_USER_INPUT instead of failing in the database', async () => {
    const buyer = await shopper();
    const res = await t.gql(`mutation($input: AddressInput!) { createAddress(input: $input) { address { id } errors { code } } }`, {
      input: { recipientName: 'a\u0000b', phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖區', line1: '文三路 1 號' },
    }, { token: buyer.token });
    expect(res.status).toBe(400);
    expect(code(res)).toBe('BAD_USER_INPUT');
    expect((await webhook(t, { eventId: 'evt\u0000', type: 'payment.succeeded', paymentId: toGlobalId('Payment', '1') })).statusCode).toBe(400);
  });

  it('refetches orders, checkouts and payments by node ID for their buyer only', async () => {
    const { buyer, checkout } = await scenario(t).shop(market.shopA).product({ stock: 5 }).buyer().inCart(1).checkout().run();
    const stranger = await shopper();
    const payment = (await t.gql(PAY, { input: { checkoutId: checkout.id, provider: 'MOCK' } }, { token: buyer.token })).data!.payCheckout.payment;
    const ids = [checkout.orders[0].id, checkout.id, payment.id];
    const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
    expect((await t.gql(NODES, { ids }, { token: buyer.token })).data!.nodes).toEqual(ids.map((id) => ({ id })));
    expect((await t.gql(NODES, { ids }, { token: stranger.token })).data!.nodes).toEqual([null, null, null]);
  });
});
