import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../src/entities';
import { MockPaymentProvider } from '../src/services/payments';
import { ManualClock } from '../src/services/shared';
import { type TestApp, createTestApp } from './helpers/app';
import { staff } from './helpers/catalog';
import { type HttpClient, listen } from './helpers/kit';
import { type ScenarioProduct, type ScenarioShop, scenario } from './helpers/scenario';

/**
 * The shopper's journey of the README ("Buying"), over a real HTTP socket: browse the catalog, open
 * a product, fill the cart, check out, pay (the provider's signed webhook), and follow the order as
 * the shop accepts and ships it, the buyer confirms receipt, and the after-sales window closes.
 * (The merchant's side is merchant-journey.test.ts.)
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const start = new Date('2026-11-23T02:00:00Z');
const clock = new ManualClock(start);

let t: TestApp;
let http: HttpClient;
let shop: ScenarioShop;
let earphones: ScenarioProduct;
let admin: { token: string };

beforeAll(async () => {
  t = await createTestApp({ CHECKOUT_TTL_MINUTES: '30', AUTO_CONFIRM_DAYS: '10', AFTER_SALES_DAYS: '7' }, { clock });
  http = await listen(t);
  // Before the shopper arrives: an active shop selling earphones in two colours, and a cable.
  const s = await scenario(t)
    .shop()
    .product({ title: 'Wireless Earphones Pro', tags: ['audio'], variants: [{ title: 'Black', price: '199.00', stock: 10 }, { title: 'White', price: '209.00', stock: 5 }] })
    .product({ title: 'USB-C Cable', description: 'Braided USB-C to USB-C cable, 1 metre, 60 W.', tags: ['cable'], price: '29.00', stock: 50 })
    .run();
  shop = s.shop;
  earphones = s.products[0];
  admin = await staff(t, StaffRole.ADMIN);
});
afterAll(() => t.close());

const ORDER = `id number status paidAt shippedAt deliveredAt completedAt total { amount }
  lines { productTitle sku quantity unitPrice { amount } lineTotal { amount } }
  shipments { carrier trackingNumber } events { type status note at }`;

describe('buyer journey', () => {
  it('takes a shopper from a search to a completed order', async () => {
    // `call` returns an operation's data, `mutate` its single payload; both assert nothing failed.
    const { call, mutate } = http;
    const owner = shop.owner.token;
    /** Stock of the earphones' variants, as the shop's members see it. */
    const stock = async () =>
      (await call(owner, `query($id: ID!) { product(id: $id) { variants { title stock { onHand reserved available } } } }`, { id: earphones.id })).product.variants;

    // The shop charges 10.00 for the first unit and 5.00 for each further one.
    await mutate(owner, `mutation($s: ID!) { createShippingTemplate(input: { shopId: $s, name: "Standard", rules: [], defaultRule: { firstUnits: 1, firstFee: "10.00", additionalUnits: 1, additionalFee: "5.00" } }) { shippingTemplate { id } errors { code } } }`, { s: shop.shopId });

    // 1. An anonymous visitor searches the catalog for earphones in stock: one product, from 199.00.
    const { products } = await call(null, `query($f: ProductFilter) { products(filter: $f) { totalCount nodes { id title priceRange { min { amount } } shop { name } } } }`, {
      f: { search: 'earphones', inStock: true },
    });
    expect(products).toEqual({ totalCount: 1, nodes: [{ id: earphones.id, title: 'Wireless Earphones Pro', priceRange: { min: { amount: '199.00' } }, shop: { name: shop.shop.name } }] });

    // 2. The product page: both colours, with their prices, in stock.
    const { product } = await call(null, `query($id: ID!) { product(id: $id) { title variants { id title price { amount } inStock } } }`, { id: products.nodes[0].id });
    expect(product.variants.map((v: any) => [v.title, v.price.amount, v.inStock])).toEqual([
      ['Black', '199.00', true],
      ['White', '209.00', true],
    ]);
    const black = product.variants[0].id;

    // 3. She signs up and adds an address, her default.
    const { accessToken: me } = await mutate(null, `mutation($i: RegisterInput!) { register(input: $i) { accessToken errors { code } } }`, {
      i: { email: `xiaoming-${randomUUID()}@example.com`, password: 'correct horse battery', displayName: '王小明' },
    });
    const { address } = await mutate(me, `mutation { createAddress(input: { recipientName: "王小明", phone: "13812345678", province: "浙江省", city: "杭州市", district: "西湖區", line1: "文三路 100 號" }) { address { id isDefault } errors { code field } } }`);
    expect(address.isDefault).toBe(true);

    // 4. Two black pairs in the cart: 398.00, and 15.00 shipping to her address.
    await mutate(me, `mutation($v: ID!) { addToCart(input: { variantId: $v, quantity: 2 }) { cart { id } errors { code } } }`, { v: black });
    const { cart } = await call(me, `{ cart { shippingAddress { province } lines { quantity problem variant { id } lineTotal { amount } }
      groups { shop { name } subtotal { amount } shippingFee { amount } } subtotal { amount } shippingTotal { amount } total { amount } } }`);
    expect(cart).toEqual({
      shippingAddress: { province: '浙江省' },
      lines: [{ quantity: 2, problem: null, variant: { id: black }, lineTotal: { amount: '398.00' } }],
      groups: [{ shop: { name: shop.shop.name }, subtotal: { amount: '398.00' }, shippingFee: { amount: '15.00' } }],
      subtotal: { amount: '398.00' },
      shippingTotal: { amount: '15.00' },
      total: { amount: '413.00' },
    });

    // 5. She checks out with an idempotency key: one order, the two units reserved, the cart empty.
    //    Her app retries with the same key and gets the same checkout.
    const CHECKOUT = `mutation($k: String!, $a: ID!) { checkout(input: { addressId: $a }, idempotencyKey: $k) {
      checkout { id status total { amount } orders { id number status total { amount } shop { name } } } errors { code field message } } }`;
    const key = randomUUID();
    const { checkout } = await mutate(me, CHECKOUT, { k: key, a: address.id });
    expect(checkout).toEqual({
      id: expect.any(String),
      status: 'PENDING_PAYMENT',
      total: { amount: '413.00' },
      orders: [{ id: expect.any(String), number: expect.stringMatching(/^20261123\d{6}$/), status: 'PENDING_PAYMENT', total: { amount: '413.00' }, shop: { name: shop.shop.name } }],
    });
    expect((await mutate(me, CHECKOUT, { k: key, a: address.id })).checkout.id).toBe(checkout.id);
    const orderId = checkout.orders[0].id;
    expect(await stock()).toEqual([
      { title: 'Black', stock: { onHand: 10, reserved: 2, available: 8 } },
      { title: 'White', stock: { onHand: 5, reserved: 0, available: 5 } },
    ]);
    expect((await call(me, `{ cart { lines { id } total { amount } } }`)).cart).toEqual({ lines: [], total: { amount: '0.00' } });

    // 6. She pays with the mock provider; the provider settles the payment through its signed
    //    webhook. The order is PAID and the reservation became a sale.
    const { payment } = await mutate(me, `mutation($c: ID!) { payCheckout(input: { checkoutId: $c, provider: MOCK }) { payment { id status amount { amount } } errors { code } } }`, { c: checkout.id });
    expect(payment).toEqual({ id: expect.any(String), status: 'PENDING', amount: { amount: '413.00' } });
    const body = JSON.stringify({ eventId: 'evt-1', type: 'payment.succeeded', paymentId: payment.id });
    const signature = new MockPaymentProvider(t.config.paymentWebhookSecret).sign(body);
    expect(await http.post('/webhooks/payments/mock', body, { 'x-signature': signature })).toEqual({ status: 200, body: { ok: true, outcome: 'processed' } });
    const ORDER_Q = `query($id: ID!) { order(id: $id) { ${ORDER} } }`;
    const paid = (await call(me, ORDER_Q, { id: orderId })).order;
    expect(paid).toMatchObject({ status: 'PAID', paidAt: start.toISOString(), total: { amount: '413.00' } });
    expect(paid.lines).toEqual([{ productTitle: 'Wireless Earphones Pro', sku: expect.any(String), quantity: 2, unitPrice: { amount: '199.00' }, lineTotal: { amount: '398.00' } }]);
    expect(await stock()).toEqual([
      { title: 'Black', stock: { onHand: 8, reserved: 0, available: 8 } },
      { title: 'White', stock: { onHand: 5, reserved: 0, available: 5 } },
    ]);

    // 7. The shop finds the paid order, accepts it, and ships it the next morning.
    const { shop: shopView } = await call(owner, `query($s: ID!) { shop(id: $s) { orders(filter: { status: PAID }) { totalCount nodes { id status } } } }`, { s: shop.shopId });
    expect(shopView.orders).toEqual({ totalCount: 1, nodes: [{ id: orderId, status: 'PAID' }] });
    const accepted = await mutate(owner, `mutation($id: ID!) { acceptOrder(input: { id: $id }) { order { status } errors { code } } }`, { id: orderId });
    expect(accepted.order.status).toBe('PROCESSING');
    clock.advance(20 * HOUR);
    const shipped = await mutate(owner, `mutation($id: ID!) { shipOrder(input: { orderId: $id, carrier: "SF Express", trackingNumber: "SF1234567890" }) { order { status shipments { carrier trackingNumber } } errors { code } } }`, { id: orderId });
    expect(shipped.order).toEqual({ status: 'SHIPPED', shipments: [{ carrier: 'SF Express', trackingNumber: 'SF1234567890' }] });

    // 8. She sees the parcel on its way in her orders, and confirms receipt two days later.
    const { myOrders } = await call(me, `{ myOrders { totalCount nodes { id status shipments { trackingNumber } } } }`);
    expect(myOrders).toEqual({ totalCount: 1, nodes: [{ id: orderId, status: 'SHIPPED', shipments: [{ trackingNumber: 'SF1234567890' }] }] });
    clock.advance(2 * DAY);
    const confirmed = await mutate(me, `mutation($id: ID!) { confirmDelivery(input: { id: $id }) { order { status deliveredAt } errors { code } } }`, { id: orderId });
    expect(confirmed.order).toEqual({ status: 'DELIVERED', deliveredAt: clock.now().toISOString() });
    const deliveredAt = clock.now();

    // 9. AFTER_SALES_DAYS (7) after delivery, the `complete-orders` task completes the order — here
    //    run at once by an ADMIN — and its units count as sales.
    const RUN = `mutation { runScheduledTask(input: { name: "complete-orders" }) { task { name lastResult } errors { code } } }`;
    clock.advance(7 * DAY - HOUR);
    expect((await mutate(admin.token, RUN)).task).toEqual({ name: 'complete-orders', lastResult: 'done: 0' });
    expect((await call(me, ORDER_Q, { id: orderId })).order.status).toBe('DELIVERED');
    clock.advance(HOUR);
    expect((await mutate(admin.token, RUN)).task).toEqual({ name: 'complete-orders', lastResult: 'done: 1' });

    const completed = (await call(me, ORDER_Q, { id: orderId })).order;
    expect(completed).toMatchObject({ status: 'COMPLETED', completedAt: clock.now().toISOString(), deliveredAt: deliveredAt.toISOString() });
    // The whole timeline, oldest first.
    expect(completed.events.map((e: any) => [e.type, e.status, e.note, e.at])).toEqual([
      ['PLACED', 'PENDING_PAYMENT', null, start.toISOString()],
      ['PAID', 'PAID', null, start.toISOString()],
      ['ACCEPTED', 'PROCESSING', null, start.toISOString()],
      ['SHIPPED', 'SHIPPED', 'SF Express SF1234567890', new Date(start.getTime() + 20 * HOUR).toISOString()],
      ['DELIVERED', 'DELIVERED', null, deliveredAt.toISOString()],
      ['COMPLETED', 'COMPLETED', null, clock.now().toISOString()],
    ]);
    const { products: best } = await call(null, `query($s: ID!) { products(filter: { shopId: $s }, sort: BEST_SELLING) { nodes { id salesCount } } }`, { s: shop.shopId });
    expect(best.nodes[0]).toEqual({ id: earphones.id, salesCount: 2 });
  });
});
