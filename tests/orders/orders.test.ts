import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PaymentProviderName, ShippingTemplate, Shop, ShopMemberRole, StaffRole, type User } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { ManualClock } from '../../src/services/shared';
import { autoConfirmDeliveries, completeOrders, expireCheckouts } from '../../src/services/orders';
import { paymentProvider, processRefunds } from '../../src/services/payments';
import { createTestApp, type GqlResult, type TestApp } from '../helpers/app';
import { newKey, PAY, stockOf, variantKeys, webhook } from '../helpers/buying';
import { listedProduct, productInput, seller, type Seller, staff } from '../helpers/catalog';
import { createCategory } from '../helpers/factories';
import { code as thrown, okPayload as ok, keyOf } from '../helpers/kit';
import { newShopper, scenario } from '../helpers/scenario';

const DAY = 86_400_000;
const MINUTE = 60_000;
const clock = new ManualClock(new Date('2026-11-23T02:00:00Z'));

let t: TestApp;
let reviewer: { token: string };
let categoryId: string;

const ORDER_FIELDS = `id number status placedAt paidAt
  subtotal { amountMinor } shippingFee { amountMinor } discountTotal { amountMinor } total { amountMinor }
  lines { sku quantity unitPrice { amountMinor } lineTotal { amountMinor } }
  shipments { carrier trackingNumber shippedAt } events { type status note } refunds { status reason amount { amountMinor } }`;
const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
const ACCEPT = `mutation($input: IdInput!) { acceptOrder(input: $input) { order { ${ORDER_FIELDS} } errors { code field } } }`;
const SHIP = `mutation($input: ShipOrderInput!) { shipOrder(input: $input) { order { ${ORDER_FIELDS} } errors { code field } } }`;
const CONFIRM = `mutation($input: IdInput!) { confirmDelivery(input: $input) { order { ${ORDER_FIELDS} } errors { code field } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { ${ORDER_FIELDS} } errors { code field } } }`;
const PAGE = 'totalCount nodes { id status placedAt } pageInfo { hasNextPage endCursor }';
const MY_ORDERS = `query($filter: OrderFilter, $first: Int, $after: String) { myOrders(filter: $filter, first: $first, after: $after) { ${PAGE} } }`;
const SHOP_ORDERS = `query($id: ID!, $filter: OrderFilter) { shop(id: $id) { id orders(filter: $filter, first: 100) { ${PAGE} } } }`;
const STAFF_ORDERS = `query($filter: StaffOrderFilter) { orders(filter: $filter, first: 100) { ${PAGE} } }`;

type Person = { user: User; token: string };
type Shopper = Person & { addressId: string };
interface Placed {
  id: string;
  key: string;
  variant: string;
  quantity: number;
  buyer: Shopper;
  checkoutId: string;
  total: number;
}

/** A shop with an OWNER (from `seller`) and one member of every other role. */
interface Team extends Seller {
  members: Record<ShopMemberRole, Person>;
  variant: string;
}

/** A listed product with one variant of `stock` units at `price`; returns the variant key. */
async function variantWith(s: Seller, stock: number, price = '100.00'): Promise<string> {
  return (await productWith(s, stock, price)).variant;
}

async function productWith(s: Seller, stock: number, price = '100.00'): Promise<{ productId: string; variant: string }> {
  const sku = `V-${Math.random().toString(36).slice(2, 10)}`;
  const productId = await listedProduct(t, s, reviewer.token, productInput(s.shopId, categoryId, { variants: [{ sku, title: 'Only', options: [], price, stockOnHand: stock }] }));
  return { productId, variant: (await variantKeys(t, productId))[0] };
}

/** A new shopper with a default address (made through the API). */
const shopper = (province?: string): Promise<Shopper> => newShopper(t, province);

/** A shop with an OWNER and one member of every other role (invited and joined through the API), selling one variant. */
async function team(): Promise<Team> {
  const { MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE } = ShopMemberRole;
  const { shop: s, variantKeys } = await scenario(t, { reviewer, categoryId }).shop({ members: [MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE] }).product({ stock: 100_000 }).run();
  return { ...s, members: s.members as Team['members'], variant: variantKeys[0] };
}

/** Checks out `lines` (variant key → quantity) for `buyer`; returns the checkout as the API shows it. */
async function checkOut(buyer: Shopper, lines: [string, number][]) {
  const s = scenario(t).buyer(buyer);
  for (const [variant, quantity] of lines) s.inCart(quantity, variant);
  return (await s.checkout().run()).checkout;
}

/** One unpaid order of one variant. */
async function placed(variant: string, opts: { quantity?: number; buyer?: Shopper } = {}): Promise<Placed> {
  const buyer = opts.buyer ?? (await shopper());
  const quantity = opts.quantity ?? 1;
  const checkout = await checkOut(buyer, [[variant, quantity]]);
  const order = checkout.orders[0];
  return { id: order.id, key: keyOf(order.id), variant, quantity, buyer, checkoutId: checkout.id, total: order.total.amountMinor };
}

/** Pays a checkout through the mock provider's webhook. */
async function payFor(buyer: Shopper, checkoutId: string): Promise<string> {
  const pay = await t.gql(PAY, { input: { checkoutId, provider: 'MOCK' } }, { token: buyer.token });
  expect(pay.data!.payCheckout.errors).toEqual([]);
  const paymentId = pay.data!.payCheckout.payment.id;
  expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId })).statusCode).toBe(200);
  return paymentId;
}

async function paid(variant: string, opts: { quantity?: number; buyer?: Shopper } = {}): Promise<Placed> {
  const order = await placed(variant, opts);
  await payFor(order.buyer, order.checkoutId);
  expect(await statusOf(order)).toBe('PAID');
  return order;
}

async function shipped(s: Team | Seller, variant: string, opts: { quantity?: number; buyer?: Shopper } = {}): Promise<Placed> {
  const order = await paid(variant, opts);
  ok(await t.gql(SHIP, { input: { orderId: order.id, carrier: 'SF Express', trackingNumber: `SF${Date.now()}` } }, { token: s.owner.token }), 'shipOrder');
  return order;
}

async function delivered(s: Team | Seller, variant: string, opts: { quantity?: number; buyer?: Shopper } = {}): Promise<Placed> {
  const order = await shipped(s, variant, opts);
  ok(await t.gql(CONFIRM, { input: { id: order.id } }, { token: order.buyer.token }), 'confirmDelivery');
  return order;
}

/** A delivered order moved past the after-sales window by the clock and the completion job. */
async function completedOrder(s: Team | Seller, variant: string): Promise<Placed> {
  const order = await delivered(s, variant);
  clock.advance(t.config.orders.afterSalesDays * DAY + MINUTE);
  await completeOrders(t.app.deps, t.orm.em.fork());
  expect(await statusOf(order)).toBe('COMPLETED');
  return order;
}

async function statusOf(order: Placed): Promise<string> {
  const [row] = await t.sql('select status from orders where id = ?', [order.key]);
  return row.status;
}

/** Everything an order mutation can change, to show that a refused one changed nothing. */
async function stateOf(order: Placed) {
  const key = [order.key];
  const [row] = await t.sql('select status, paid_at, shipped_at, delivered_at, completed_at, cancelled_at, cancel_reason, updated_at from orders where id = ?', key);
  return {
    row,
    events: await t.sql('select type, status, note from order_event where order_id = ? order by id', key),
    shipments: await t.sql('select carrier, tracking_number from shipment where order_id = ? order by id', key),
    refunds: await t.sql('select status, amount from refund where order_id = ? order by id', key),
    moves: await t.sql('select reason, delta_on_hand, delta_reserved from stock_movement where order_id = ? order by id', key),
    audits: await t.sql("select action from audit_entry where target_type = 'Order' and target_id = ?", key),
    checkout: (await t.sql('select c.status, c.total from checkout c join orders o on o.checkout_id = c.id where o.id = ?', key))[0],
    stock: await stockOf(t, order.variant),
  };
}

async function refusedWithoutChange(order: Placed, run: () => Promise<GqlResult>, expectation: { thrown: string } | { error: string }) {
  const before = await stateOf(order);
  const res = await run();
  if ('thrown' in expectation) {
    expect(thrown(res)).toBe(expectation.thrown);
  } else {
    expect(res.errors).toBeUndefined();
    const out = Object.values(res.data!)[0] as { order: unknown; errors: { code: string }[] };
    expect(out.errors.map((e) => e.code)).toEqual([expectation.error]);
    expect(out.order).toBeNull();
  }
  expect(await stateOf(order)).toEqual(before);
}

const accept = (order: Placed, token?: string) => t.gql(ACCEPT, { input: { id: order.id } }, { token });
const ship = (order: Placed, token?: string, trackingNumber = 'SF1234567890') => t.gql(SHIP, { input: { orderId: order.id, carrier: 'SF Express', trackingNumber } }, { token });
const confirm = (order: Placed, token?: string) => t.gql(CONFIRM, { input: { id: order.id } }, { token });
const cancel = (order: Placed, token?: string, reason?: string) => t.gql(CANCEL, { input: { orderId: order.id, ...(reason === undefined ? {} : { reason }) } }, { token });

let shop: Team;
let otherShop: Team;
let stranger: Shopper;
const staffOf = {} as Record<StaffRole, Person>;

beforeAll(async () => {
  t = await createTestApp({ CHECKOUT_TTL_MINUTES: '30', AUTO_CONFIRM_DAYS: '10', AFTER_SALES_DAYS: '7' }, { clock });
  reviewer = await staff(t, StaffRole.REVIEWER);
  categoryId = toGlobalId('Category', (await createCategory(t)).id);
  shop = await team();
  otherShop = await team();
  stranger = await shopper();
  for (const role of Object.values(StaffRole)) staffOf[role] = await staff(t, role);
});
afterAll(() => t.close());

describe('the life cycle', () => {
  it('accepts a paid order: PAID → PROCESSING with an ACCEPTED event', async () => {
    const order = await paid(shop.variant);
    const out = ok(await accept(order, shop.owner.token), 'acceptOrder');
    expect(out.order.status).toBe('PROCESSING');
    expect(out.order.events.map((e: { type: string; status: string }) => [e.type, e.status])).toEqual([
      ['PLACED', 'PENDING_PAYMENT'],
      ['PAID', 'PAID'],
      ['ACCEPTED', 'PROCESSING'],
    ]);
    expect(await statusOf(order)).toBe('PROCESSING');
  });

  it('ships a processing order with its carrier and tracking number in the shipments and the SHIPPED event', async () => {
    const order = await paid(shop.variant);
    ok(await accept(order, shop.owner.token), 'acceptOrder');
    clock.advance(MINUTE);
    const out = ok(await ship(order, shop.owner.token, 'SF-1234567890'), 'shipOrder');
    expect(out.order.status).toBe('SHIPPED');
    expect(out.order.shipments).toEqual([{ carrier: 'SF Express', trackingNumber: 'SF-1234567890', shippedAt: clock.now().toISOString() }]);
    expect(out.order.events.at(-1)).toEqual({ type: 'SHIPPED', status: 'SHIPPED', note: 'SF Express SF-1234567890' });
    const [row] = await t.sql('select shipped_at from orders where id = ?', [order.key]);
    expect(new Date(row.shipped_at)).toEqual(clock.now());
  });

  it('ships a paid order straight away, without accepting it first', async () => {
    const order = await paid(shop.variant);
    const out = ok(await ship(order, shop.owner.token, 'YT9876543210'), 'shipOrder');
    expect(out.order.status).toBe('SHIPPED');
    expect(out.order.events.map((e: { type: string }) => e.type)).toEqual(['PLACED', 'PAID', 'SHIPPED']);
    expect(out.order.shipments.map((s: { trackingNumber: string }) => s.trackingNumber)).toEqual(['YT9876543210']);
  });

  it('refuses a malformed tracking number and changes nothing', async () => {
    const order = await paid(shop.variant);
    await refusedWithoutChange(order, () => ship(order, shop.owner.token, 'no spaces!'), { error: 'INVALID_INPUT' });
  });

  it('lets the buyer confirm delivery: SHIPPED → DELIVERED', async () => {
    const order = await shipped(shop, shop.variant);
    const out = ok(await confirm(order, order.buyer.token), 'confirmDelivery');
    expect(out.order.status).toBe('DELIVERED');
    expect(out.order.events.at(-1)).toEqual({ type: 'DELIVERED', status: 'DELIVERED', note: null });
    const [row] = await t.sql('select delivered_at from orders where id = ?', [order.key]);
    expect(new Date(row.delivered_at)).toEqual(clock.now());
  });

  it('confirms delivery automatically AUTO_CONFIRM_DAYS after shipping, and not before', async () => {
    const order = await shipped(shop, shop.variant);
    clock.advance(10 * DAY - MINUTE);
    await autoConfirmDeliveries(t.app.deps, t.orm.em.fork());
    expect(await statusOf(order)).toBe('SHIPPED');

    clock.advance(MINUTE);
    expect(await autoConfirmDeliveries(t.app.deps, t.orm.em.fork())).toBeGreaterThanOrEqual(1);
    const { events } = await stateOf(order);
    expect(events.at(-1)).toEqual({ type: 'DELIVERED', status: 'DELIVERED', note: 'Confirmed automatically after 10 days' });
    const [row] = await t.sql('select status, delivered_at from orders where id = ?', [order.key]);
    expect({ ...row, delivered_at: new Date(row.delivered_at) }).toEqual({ status: 'DELIVERED', delivered_at: clock.now() });
  });

  it('completes a delivered order after AFTER_SALES_DAYS and counts its units as sales, so BEST_SELLING reorders', async () => {
    const s = await seller(t);
    const slow = await productWith(s, 100);
    const fast = await productWith(s, 100);
    const BEST = `query($shopId: ID!) { products(filter: { shopId: $shopId }, sort: BEST_SELLING) { nodes { id salesCount } } }`;
    const ranking = async () => (await t.gql(BEST, { shopId: s.shopId })).data!.products.nodes;
    // Ties break by id, newest first.
    expect(await ranking()).toEqual([{ id: fast.productId, salesCount: 0 }, { id: slow.productId, salesCount: 0 }]);

    const buyer = await shopper();
    const checkout = await checkOut(buyer, [[slow.variant, 3]]);
    const order: Placed = { id: checkout.orders[0].id, key: keyOf(checkout.orders[0].id), variant: slow.variant, quantity: 3, buyer, checkoutId: checkout.id, total: 0 };
    await payFor(buyer, checkout.id);
    ok(await ship(order, s.owner.token), 'shipOrder');
    ok(await confirm(order, buyer.token), 'confirmDelivery');
    // Sold but not completed: does not count yet.
    const pending = await shipped(s, fast.variant, { quantity: 1 });

    clock.advance(7 * DAY - MINUTE);
    await completeOrders(t.app.deps, t.orm.em.fork());
    expect(await statusOf(order)).toBe('DELIVERED');
    expect((await ranking())[0].id).toBe(fast.productId);

    clock.advance(MINUTE);
    expect(await completeOrders(t.app.deps, t.orm.em.fork())).toBeGreaterThanOrEqual(1);
    const { row, events } = await stateOf(order);
    expect(row.status).toBe('COMPLETED');
    expect(new Date(row.completed_at)).toEqual(clock.now());
    expect(events.at(-1)).toEqual({ type: 'COMPLETED', status: 'COMPLETED', note: null });
    expect(await statusOf(pending)).toBe('SHIPPED');
    expect(await ranking()).toEqual([{ id: slow.productId, salesCount: 3 }, { id: fast.productId, salesCount: 0 }]);
  });
});

describe('transitions refused by state', () => {
  it('refuses to accept an unpaid order', async () => {
    const order = await placed(shop.variant);
    await refusedWithoutChange(order, () => accept(order, shop.owner.token), { error: 'INVALID_TRANSITION' });
  });

  it('refuses to accept an order twice', async () => {
    const order = await paid(shop.variant);
    ok(await accept(order, shop.owner.token), 'acceptOrder');
    await refusedWithoutChange(order, () => accept(order, shop.owner.token), { error: 'INVALID_TRANSITION' });
  });

  it('refuses to ship a delivered order', async () => {
    const order = await delivered(shop, shop.variant);
    await refusedWithoutChange(order, () => ship(order, shop.owner.token), { error: 'INVALID_TRANSITION' });
  });

  it('refuses to ship an unpaid order', async () => {
    const order = await placed(shop.variant);
    await refusedWithoutChange(order, () => ship(order, shop.owner.token), { error: 'INVALID_TRANSITION' });
  });

  it('refuses to confirm delivery of a paid, unshipped order', async () => {
    const order = await paid(shop.variant);
    await refusedWithoutChange(order, () => confirm(order, order.buyer.token), { error: 'INVALID_TRANSITION' });
  });

  it('refuses the buyer’s and the shop’s cancellation of a shipped order', async () => {
    const order = await shipped(shop, shop.variant);
    await refusedWithoutChange(order, () => cancel(order, order.buyer.token), { error: 'INVALID_TRANSITION' });
    await refusedWithoutChange(order, () => cancel(order, shop.owner.token, 'Out of stock after all'), { error: 'INVALID_TRANSITION' });
  });

  it('refuses everyone’s cancellation of a completed order', async () => {
    const order = await completedOrder(shop, shop.variant);
    await refusedWithoutChange(order, () => cancel(order, order.buyer.token, 'Changed my mind'), { error: 'INVALID_TRANSITION' });
    await refusedWithoutChange(order, () => cancel(order, shop.owner.token, 'Customer asked'), { error: 'INVALID_TRANSITION' });
    for (const role of [StaffRole.CUSTOMER_SERVICE, StaffRole.OPERATIONS, StaffRole.ADMIN]) {
      await refusedWithoutChange(order, () => cancel(order, staffOf[role].token, 'Fraud suspected'), { error: 'INVALID_TRANSITION' });
    }
  });

  it('refuses to cancel a cancelled order again', async () => {
    const order = await paid(shop.variant);
    ok(await cancel(order, order.buyer.token), 'cancelOrder');
    await refusedWithoutChange(order, () => cancel(order, order.buyer.token), { error: 'INVALID_TRANSITION' });
    await refusedWithoutChange(order, () => cancel(order, staffOf.CUSTOMER_SERVICE.token, 'Duplicate request'), { error: 'INVALID_TRANSITION' });
  });
});

describe('who may move an order', () => {
  const FULFILLERS = [ShopMemberRole.OWNER, ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR];
  const NON_FULFILLERS = [ShopMemberRole.CUSTOMER_SERVICE, ShopMemberRole.FINANCE];

  it.each(FULFILLERS)('lets a shop %s accept and ship', async (role) => {
    const order = await paid(shop.variant);
    expect(ok(await accept(order, shop.members[role].token), 'acceptOrder').order.status).toBe('PROCESSING');
    expect(ok(await ship(order, shop.members[role].token), 'shipOrder').order.status).toBe('SHIPPED');
    const direct = await paid(shop.variant);
    expect(ok(await ship(direct, shop.members[role].token), 'shipOrder').order.status).toBe('SHIPPED');
  });

  it.each(NON_FULFILLERS)('throws FORBIDDEN at a shop %s who accepts or ships', async (role) => {
    const order = await paid(shop.variant);
    await refusedWithoutChange(order, () => accept(order, shop.members[role].token), { thrown: 'FORBIDDEN' });
    await refusedWithoutChange(order, () => ship(order, shop.members[role].token), { thrown: 'FORBIDDEN' });
  });

  it('throws NOT_FOUND at the buyer, another shop’s owner and strangers who accept or ship, UNAUTHENTICATED at anonymous callers', async () => {
    const order = await paid(shop.variant);
    for (const token of [order.buyer.token, otherShop.owner.token, otherShop.members.MANAGER.token, stranger.token]) {
      await refusedWithoutChange(order, () => accept(order, token), { thrown: 'NOT_FOUND' });
      await refusedWithoutChange(order, () => ship(order, token), { thrown: 'NOT_FOUND' });
    }
    await refusedWithoutChange(order, () => accept(order), { thrown: 'UNAUTHENTICATED' });
    await refusedWithoutChange(order, () => ship(order), { thrown: 'UNAUTHENTICATED' });
  });

  it('lets only the buyer confirm delivery: FORBIDDEN to the shop and order staff, NOT_FOUND to strangers', async () => {
    const order = await shipped(shop, shop.variant);
    for (const role of Object.values(ShopMemberRole)) {
      await refusedWithoutChange(order, () => confirm(order, shop.members[role].token), { thrown: 'FORBIDDEN' });
    }
    await refusedWithoutChange(order, () => confirm(order, staffOf.CUSTOMER_SERVICE.token), { thrown: 'FORBIDDEN' });
    for (const token of [stranger.token, otherShop.owner.token, staffOf.ANALYST.token]) {
      await refusedWithoutChange(order, () => confirm(order, token), { thrown: 'NOT_FOUND' });
    }
    await refusedWithoutChange(order, () => confirm(order), { thrown: 'UNAUTHENTICATED' });
    expect(ok(await confirm(order, order.buyer.token), 'confirmDelivery').order.status).toBe('DELIVERED');
  });

  it('lets the buyer cancel before shipping without a reason', async () => {
    const order = await paid(shop.variant);
    const out = ok(await cancel(order, order.buyer.token), 'cancelOrder');
    expect(out.order.status).toBe('CANCELLED');
    expect(out.order.events.find((e: { type: string }) => e.type === 'CANCELLED')).toEqual({ type: 'CANCELLED', status: 'CANCELLED', note: 'Cancelled by the buyer' });
    expect((await stateOf(order)).audits).toEqual([]);
  });

  it.each(FULFILLERS)('lets a shop %s cancel before shipping with a reason, and answers REASON_REQUIRED without one', async (role) => {
    const order = await paid(shop.variant);
    ok(await accept(order, shop.owner.token), 'acceptOrder');
    await refusedWithoutChange(order, () => cancel(order, shop.members[role].token), { error: 'REASON_REQUIRED' });
    await refusedWithoutChange(order, () => cancel(order, shop.members[role].token, ' x '), { error: 'REASON_REQUIRED' });
    const stock = await stockOf(t, order.variant);
    const out = ok(await cancel(order, shop.members[role].token, 'Out of stock'), 'cancelOrder');
    expect(await stockOf(t, order.variant)).toEqual({ on_hand: stock.on_hand + 1, reserved: stock.reserved });
    expect(out.order.refunds).toEqual([{ status: 'PENDING', reason: 'Out of stock', amount: { amountMinor: order.total } }]);
    expect(out.order.status).toBe('CANCELLED');
    expect(out.order.events.find((e: { type: string }) => e.type === 'CANCELLED').note).toBe('Out of stock');
    const [row] = await t.sql('select cancel_reason, cancelled_at from orders where id = ?', [order.key]);
    expect({ ...row, cancelled_at: new Date(row.cancelled_at) }).toEqual({ cancel_reason: 'Out of stock', cancelled_at: clock.now() });
  });

  it.each(NON_FULFILLERS)('throws FORBIDDEN at a shop %s who cancels', async (role) => {
    const order = await paid(shop.variant);
    await refusedWithoutChange(order, () => cancel(order, shop.members[role].token, 'Out of stock'), { thrown: 'FORBIDDEN' });
  });

  it.each([StaffRole.CUSTOMER_SERVICE, StaffRole.OPERATIONS, StaffRole.ADMIN])('lets %s staff cancel a shipped order with a reason, and audits it', async (role) => {
    const order = await shipped(shop, shop.variant);
    await refusedWithoutChange(order, () => cancel(order, staffOf[role].token), { error: 'REASON_REQUIRED' });
    const out = ok(await cancel(order, staffOf[role].token, 'Lost by the carrier'), 'cancelOrder');
    expect(out.order.status).toBe('CANCELLED');
    const [audit] = await t.sql("select actor_id, before, after from audit_entry where action = 'order.cancel' and target_type = 'Order' and target_id = ?", [order.key]);
    expect(audit).toEqual({ actor_id: staffOf[role].user.id, before: { status: 'SHIPPED' }, after: { status: 'CANCELLED', reason: 'Lost by the carrier' } });
  });

  it('lets order staff cancel a delivered order: refunded, the shipped units stay out', async () => {
    const order = await delivered(shop, shop.variant, { quantity: 2 });
    const before = await stockOf(t, order.variant);
    ok(await cancel(order, staffOf.CUSTOMER_SERVICE.token, 'Item arrived broken'), 'cancelOrder');
    const state = await stateOf(order);
    expect(state.row.status).toBe('CANCELLED');
    expect(state.stock).toEqual(before);
    expect(state.refunds).toEqual([{ status: 'PENDING', amount: String(order.total) }]);
    expect(state.audits).toEqual([{ action: 'order.cancel' }]);
  });

  it('throws NOT_FOUND at other staff roles, strangers and another shop’s members who cancel; UNAUTHENTICATED at anonymous callers', async () => {
    const order = await paid(shop.variant);
    for (const role of [StaffRole.ANALYST, StaffRole.RISK, StaffRole.REVIEWER, StaffRole.FINANCE]) {
      await refusedWithoutChange(order, () => cancel(order, staffOf[role].token, 'Looks fraudulent'), { thrown: 'NOT_FOUND' });
    }
    for (const token of [stranger.token, otherShop.owner.token, otherShop.members.OPERATOR.token]) {
      await refusedWithoutChange(order, () => cancel(order, token, 'Out of stock'), { thrown: 'NOT_FOUND' });
    }
    await refusedWithoutChange(order, () => cancel(order, undefined, 'Out of stock'), { thrown: 'UNAUTHENTICATED' });
  });
});

describe('cancelling', () => {
  it('releases an unpaid order’s reservation and lowers its checkout’s total; the last open order cancels the checkout', async () => {
    const [a, b] = [await variantWith(shop, 10, '30.00'), await variantWith(otherShop, 10, '45.00')];
    const buyer = await shopper();
    const checkout = await checkOut(buyer, [[a, 2], [b, 3]]);
    expect(checkout.total.amountMinor).toBe(2 * 3000 + 3 * 4500);
    const orderOf = (variant: string, shopId: string): Placed => {
      const o = checkout.orders.find((x: { shop: { id: string } }) => x.shop.id === shopId);
      return { id: o.id, key: keyOf(o.id), variant, quantity: o.lines[0].quantity, buyer, checkoutId: checkout.id, total: o.total.amountMinor };
    };
    const first = orderOf(a, shop.shopId);
    const second = orderOf(b, otherShop.shopId);
    const CHECKOUT_Q = `query($id: ID!) { checkout(id: $id) { status total { amountMinor } } }`;

    const out = ok(await cancel(first, buyer.token), 'cancelOrder');
    expect(out.order.status).toBe('CANCELLED');
    expect(await stockOf(t, a)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await stockOf(t, b)).toEqual({ on_hand: 10, reserved: 3 });
    expect((await stateOf(first)).moves).toEqual([
      { reason: 'RESERVE', delta_on_hand: 0, delta_reserved: 2 },
      { reason: 'RELEASE', delta_on_hand: 0, delta_reserved: -2 },
    ]);
    expect((await stateOf(first)).refunds).toEqual([]);
    expect((await t.gql(CHECKOUT_Q, { id: checkout.id }, { token: buyer.token })).data!.checkout).toEqual({ status: 'PENDING_PAYMENT', total: { amountMinor: 3 * 4500 } });

    // The checkout can still be paid, for what is left.
    const pay = await t.gql(PAY, { input: { checkoutId: checkout.id, provider: 'MOCK' } }, { token: buyer.token });
    expect(pay.data!.payCheckout.payment.amount.amountMinor).toBe(3 * 4500);

    ok(await cancel(second, buyer.token), 'cancelOrder');
    expect(await stockOf(t, b)).toEqual({ on_hand: 10, reserved: 0 });
    expect((await t.gql(CHECKOUT_Q, { id: checkout.id }, { token: buyer.token })).data!.checkout).toEqual({ status: 'CANCELLED', total: { amountMinor: 0 } });
    const late = await t.gql(PAY, { input: { checkoutId: checkout.id, provider: 'MOCK' } }, { token: buyer.token });
    expect(late.data!.payCheckout.errors.map((e: { code: string }) => e.code)).toEqual(['INVALID_TRANSITION']);
  });

  it('returns a paid order’s units on hand and requests a refund, which processRefunds settles once even when run twice at once', async () => {
    const v = await variantWith(shop, 10, '88.00');
    const order = await paid(v, { quantity: 4 });
    expect(await stockOf(t, v)).toEqual({ on_hand: 6, reserved: 0 });

    const out = ok(await cancel(order, order.buyer.token, 'Ordered the wrong size'), 'cancelOrder');
    expect(out.order.status).toBe('CANCELLED');
    expect(out.order.events.slice(-2)).toEqual([
      { type: 'CANCELLED', status: 'CANCELLED', note: 'Ordered the wrong size' },
      { type: 'REFUND_REQUESTED', status: null, note: 'Ordered the wrong size' },
    ]);
    expect(out.order.refunds).toEqual([{ status: 'PENDING', reason: 'Ordered the wrong size', amount: { amountMinor: 4 * 8800 } }]);
    expect(await stockOf(t, v)).toEqual({ on_hand: 10, reserved: 0 });
    expect((await stateOf(order)).moves).toEqual([
      { reason: 'RESERVE', delta_on_hand: 0, delta_reserved: 4 },
      { reason: 'SALE', delta_on_hand: -4, delta_reserved: -4 },
      { reason: 'RELEASE', delta_on_hand: 4, delta_reserved: 0 },
    ]);

    const provider = paymentProvider(t.config, PaymentProviderName.MOCK);
    const sent = vi.spyOn(provider, 'refund');
    try {
      const [one, two] = await Promise.all([processRefunds(t.app.deps, t.orm.em.fork()), processRefunds(t.app.deps, t.orm.em.fork())]);
      const [refund] = await t.sql('select id, status, provider_reference from refund where order_id = ?', [order.key]);
      expect(refund).toEqual({ id: refund.id, status: 'SUCCEEDED', provider_reference: `mock_refund_${refund.id}` });
      expect(sent.mock.calls.filter(([r]) => r.id === String(refund.id))).toHaveLength(1);
      expect(one + two).toBe(sent.mock.calls.length);
      expect(await processRefunds(t.app.deps, t.orm.em.fork())).toBe(0);
    } finally {
      sent.mockRestore();
    }
    const shown = (await t.gql(ORDER, { id: order.id }, { token: order.buyer.token })).data!.order;
    expect(shown.refunds).toEqual([{ status: 'SUCCEEDED', reason: 'Ordered the wrong size', amount: { amountMinor: 4 * 8800 } }]);
  });

  it('refunds the cancelled order’s share when the payment opened before the cancellation succeeds', async () => {
    const [a, b] = [await variantWith(shop, 10, '30.00'), await variantWith(otherShop, 10, '45.00')];
    const buyer = await shopper();
    const checkout = await checkOut(buyer, [[a, 1], [b, 2]]);
    const pay = await t.gql(PAY, { input: { checkoutId: checkout.id, provider: 'MOCK' } }, { token: buyer.token });
    const payment = pay.data!.payCheckout.payment;
    expect(payment.amount.amountMinor).toBe(3000 + 9000);
    const cancelled = checkout.orders.find((o: { shop: { id: string } }) => o.shop.id === shop.shopId);
    const kept = checkout.orders.find((o: { shop: { id: string } }) => o.shop.id === otherShop.shopId);
    ok(await t.gql(CANCEL, { input: { orderId: cancelled.id } }, { token: buyer.token }), 'cancelOrder');

    expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id })).statusCode).toBe(200);
    const statuses = await t.sql('select id, status from orders where checkout_id = ? order by id', [keyOf(checkout.id)]);
    expect(Object.fromEntries(statuses.map((r) => [String(r.id), r.status]))).toEqual({ [keyOf(cancelled.id)]: 'CANCELLED', [keyOf(kept.id)]: 'PAID' });
    expect(await t.sql('select order_id, amount, status from refund where payment_id = ?', [keyOf(payment.id)])).toEqual([{ order_id: null, amount: '3000', status: 'PENDING' }]);
    expect(await stockOf(t, a)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await stockOf(t, b)).toEqual({ on_hand: 8, reserved: 0 });
  });

  it('settles a cancellation racing the payment webhook without deadlock, refunding exactly once', async () => {
    const v = await variantWith(shop, 100);
    for (let i = 0; i < 8; i++) {
      const order = await placed(v, { quantity: 2 });
      const pay = await t.gql(PAY, { input: { checkoutId: order.checkoutId, provider: 'MOCK' } }, { token: order.buyer.token });
      const paymentId = pay.data!.payCheckout.payment.id;
      const [cancelled, hook] = await Promise.all([cancel(order, order.buyer.token), webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId })]);
      expect(cancelled.errors).toBeUndefined();
      expect(cancelled.data!.cancelOrder.errors).toEqual([]);
      expect(hook.statusCode).toBe(200);
      expect(await statusOf(order)).toBe('CANCELLED');
      const refunds = await t.sql('select amount from refund where payment_id = ?', [keyOf(paymentId)]);
      expect(refunds).toEqual([{ amount: String(order.total) }]);
      expect(await stockOf(t, v)).toEqual({ on_hand: 100, reserved: 0 });
    }
  });

  it('settles a cancellation racing the expiry job without deadlock, releasing the stock once', async () => {
    const v = await variantWith(shop, 100);
    for (let i = 0; i < 6; i++) {
      const order = await placed(v, { quantity: 3 });
      clock.advance(31 * MINUTE);
      const [cancelled] = await Promise.all([cancel(order, order.buyer.token), expireCheckouts(t.app.deps, t.orm.em.fork())]);
      expect(cancelled.errors).toBeUndefined();
      expect(['OK', 'INVALID_TRANSITION']).toContain(cancelled.data!.cancelOrder.errors[0]?.code ?? 'OK');
      const state = await stateOf(order);
      expect(state.row.status).toBe('CANCELLED');
      expect(state.moves.filter((m: { reason: string }) => m.reason === 'RELEASE')).toEqual([{ reason: 'RELEASE', delta_on_hand: 0, delta_reserved: -3 }]);
      expect(state.stock).toEqual({ on_hand: 100, reserved: 0 });
    }
  });

  it('refunds once when the buyer and the shop cancel the same paid order at the same moment', async () => {
    const v = await variantWith(shop, 10);
    const order = await paid(v, { quantity: 2 });
    const results = await Promise.all([cancel(order, order.buyer.token), cancel(order, shop.owner.token, 'Cannot deliver there')]);
    const outcomes = results.map((r) => (r.errors ? `thrown:${thrown(r)}` : r.data!.cancelOrder.errors[0]?.code ?? 'OK')).sort();
    expect(outcomes).toEqual(['INVALID_TRANSITION', 'OK']);
    const state = await stateOf(order);
    expect(state.refunds).toHaveLength(1);
    expect(state.events.filter((e: { type: string }) => e.type === 'CANCELLED')).toHaveLength(1);
    expect(state.stock).toEqual({ on_hand: 10, reserved: 0 });
  });
});

describe('who sees orders', () => {
  it('shows an order to its buyer, its shop’s members and order staff, and null to everyone else', async () => {
    const order = await paid(shop.variant);
    const seen = async (token?: string) => (await t.gql(ORDER, { id: order.id }, { token })).data!.order?.id ?? null;
    expect(await seen(order.buyer.token)).toBe(order.id);
    for (const role of Object.values(ShopMemberRole)) expect(await seen(shop.members[role].token)).toBe(order.id);
    for (const role of [StaffRole.CUSTOMER_SERVICE, StaffRole.OPERATIONS, StaffRole.ADMIN]) expect(await seen(staffOf[role].token)).toBe(order.id);
    for (const token of [stranger.token, otherShop.owner.token, otherShop.members.CUSTOMER_SERVICE.token, staffOf.ANALYST.token, staffOf.RISK.token, undefined]) {
      expect(await seen(token)).toBeNull();
    }
  });

  it('lists only the viewer’s orders in myOrders, filtered by status and placing time, in keyset pages without gaps', async () => {
    const buyer = await shopper();
    const other = await shopper();
    await placed(shop.variant, { buyer: other });
    const start = clock.now();
    const mine: Placed[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(MINUTE);
      mine.push(await placed(shop.variant, { buyer }));
    }
    // Two orders placed in the same millisecond: the id breaks the tie.
    clock.advance(MINUTE);
    const both = await checkOut(buyer, [[shop.variant, 1], [otherShop.variant, 1]]);
    const tied = both.orders.map((o: { id: string }) => o.id);
    clock.advance(MINUTE);
    const latest = await paid(shop.variant, { buyer });

    const all = async (filter?: Record<string, unknown>) => {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const res: GqlResult = await t.gql(MY_ORDERS, { filter, first: 2, after }, { token: buyer.token });
        expect(res.errors).toBeUndefined();
        const page = res.data!.myOrders;
        ids.push(...page.nodes.map((n: { id: string }) => n.id));
        if (!page.pageInfo.hasNextPage) return { ids, totalCount: page.totalCount };
        after = page.pageInfo.endCursor;
      }
    };
    const tiedDesc = [...tied].sort((x, y) => Number(keyOf(y)) - Number(keyOf(x)));
    const expected = [latest.id, ...tiedDesc, ...mine.map((o) => o.id).reverse()];
    expect(await all()).toEqual({ ids: expected, totalCount: 6 });
    expect(await all({ status: 'PAID' })).toEqual({ ids: [latest.id], totalCount: 1 });
    const window = { placedAfter: new Date(start.getTime() + 2 * MINUTE).toISOString(), placedBefore: new Date(start.getTime() + 5 * MINUTE).toISOString() };
    expect(await all(window)).toEqual({ ids: [...tiedDesc, mine[2].id, mine[1].id], totalCount: 4 });
    const anonymous = await t.gql(MY_ORDERS, {});
    expect(thrown(anonymous)).toBe('UNAUTHENTICATED');
  });

  it('lists a shop’s orders by status to its members, and refuses another shop’s members and shoppers', async () => {
    const s = await team();
    const unpaid = await placed(s.variant);
    const paidOne = await paid(s.variant);
    await paid(otherShop.variant);
    for (const role of Object.values(ShopMemberRole)) {
      const res = await t.gql(SHOP_ORDERS, { id: s.shopId }, { token: s.members[role].token });
      expect(res.errors).toBeUndefined();
      expect(res.data!.shop.orders.nodes.map((n: { id: string }) => n.id)).toEqual([paidOne.id, unpaid.id]);
    }
    const onlyPaid = await t.gql(SHOP_ORDERS, { id: s.shopId, filter: { status: 'PAID' } }, { token: s.owner.token });
    expect(onlyPaid.data!.shop.orders).toMatchObject({ totalCount: 1, nodes: [{ id: paidOne.id, status: 'PAID' }] });
    const byStaff = await t.gql(SHOP_ORDERS, { id: s.shopId }, { token: staffOf.CUSTOMER_SERVICE.token });
    expect(byStaff.data!.shop.orders.totalCount).toBe(2);
    for (const token of [otherShop.owner.token, unpaid.buyer.token, stranger.token]) {
      const res = await t.gql(SHOP_ORDERS, { id: s.shopId }, { token });
      expect(thrown(res)).toBe('NOT_FOUND');
      expect(res.data?.shop ?? null).toBeNull();
    }
    expect(thrown(await t.gql(SHOP_ORDERS, { id: s.shopId }))).toBe('UNAUTHENTICATED');
  });

  it('lets CUSTOMER_SERVICE and OPERATIONS staff search every order by shop, number and status; FORBIDDEN to others', async () => {
    const s = await team();
    const unpaid = await placed(s.variant);
    const paidOne = await paid(s.variant);
    const [{ number }] = await t.sql('select number from orders where id = ?', [paidOne.key]);
    for (const role of [StaffRole.CUSTOMER_SERVICE, StaffRole.OPERATIONS, StaffRole.ADMIN]) {
      const token = staffOf[role].token;
      const byShop = await t.gql(STAFF_ORDERS, { filter: { shopId: s.shopId } }, { token });
      expect(byShop.errors).toBeUndefined();
      expect(byShop.data!.orders.nodes.map((n: { id: string }) => n.id)).toEqual([paidOne.id, unpaid.id]);
      const byNumber = await t.gql(STAFF_ORDERS, { filter: { number } }, { token });
      expect(byNumber.data!.orders.nodes.map((n: { id: string }) => n.id)).toEqual([paidOne.id]);
      const byStatus = await t.gql(STAFF_ORDERS, { filter: { shopId: s.shopId, status: 'PENDING_PAYMENT' } }, { token });
      expect(byStatus.data!.orders).toMatchObject({ totalCount: 1, nodes: [{ id: unpaid.id }] });
    }
    for (const token of [staffOf.ANALYST.token, staffOf.RISK.token, staffOf.REVIEWER.token, staffOf.FINANCE.token, s.owner.token, unpaid.buyer.token]) {
      const res = await t.gql(STAFF_ORDERS, { filter: { shopId: s.shopId } }, { token });
      expect(thrown(res)).toBe('FORBIDDEN');
      expect(res.data ?? null).toBeNull();
    }
    expect(thrown(await t.gql(STAFF_ORDERS, {}))).toBe('UNAUTHENTICATED');
  });
});

describe('money', () => {
  const CREATE_TEMPLATE = `mutation($input: ShippingTemplateInput!) { createShippingTemplate(input: $input) { shippingTemplate { id } errors { code field } } }`;

  /**
   * A default shipping template for the shop: through `createShippingTemplate` when the API has it,
   * else straight in the database (the fee rules are what this test is about).
   */
  async function template(s: Seller, input: { rules: { regions: string[]; firstUnits: number; firstFee: string; additionalUnits: number; additionalFee: string }[]; defaultRule: { firstUnits: number; firstFee: string; additionalUnits: number; additionalFee: string }; freeShippingThreshold?: string }) {
    const schema = await t.gql(`{ __type(name: "Mutation") { fields { name } } }`);
    const hasMutation = schema.data!.__type.fields.some((f: { name: string }) => f.name === 'createShippingTemplate');
    if (hasMutation) {
      const res = await t.gql(CREATE_TEMPLATE, { input: { shopId: s.shopId, name: 'Standard', isDefault: true, ...input } }, { token: s.owner.token });
      expect(res.errors).toBeUndefined();
      expect(res.data!.createShippingTemplate.errors).toEqual([]);
      return;
    }
    const minor = (r: { firstUnits: number; firstFee: string; additionalUnits: number; additionalFee: string }) => ({
      firstUnits: r.firstUnits,
      firstFee: Math.round(Number(r.firstFee) * 100),
      additionalUnits: r.additionalUnits,
      additionalFee: Math.round(Number(r.additionalFee) * 100),
    });
    const em = t.orm.em.fork();
    em.create(ShippingTemplate, {
      shop: em.getReference(Shop, s.shop.id),
      name: 'Standard',
      isDefault: true,
      rules: input.rules.map((r) => ({ regions: r.regions, ...minor(r) })),
      defaultRule: minor(input.defaultRule),
      freeShippingThreshold: input.freeShippingThreshold ? Math.round(Number(input.freeShippingThreshold) * 100) : null,
    });
    await em.flush();
  }

  it('adds up for a multi-shop checkout with shipping templates: lines + shipping − discounts per order, orders to the checkout, the checkout to the payment', async () => {
    const [x, y, z] = [await seller(t), await seller(t), await seller(t)];
    // x: 浙江 10.00 for the first unit, 5.00 per further 2 units; elsewhere 20.00 + 10.00 a unit.
    await template(x, { rules: [{ regions: ['浙江省'], firstUnits: 1, firstFee: '10.00', additionalUnits: 2, additionalFee: '5.00' }], defaultRule: { firstUnits: 1, firstFee: '20.00', additionalUnits: 1, additionalFee: '10.00' } });
    // y: free from 100.00.
    await template(y, { rules: [], defaultRule: { firstUnits: 1, firstFee: '15.00', additionalUnits: 1, additionalFee: '15.00' }, freeShippingThreshold: '100.00' });
    // z: no template, ships free.
    const x1 = await variantWith(x, 50, '19.90');
    const x2 = await variantWith(x, 50, '5.50');
    const y1 = await variantWith(y, 50, '250.00');
    const z1 = await variantWith(z, 50, '12.34');
    const buyer = await shopper('浙江省');
    const checkout = await checkOut(buyer, [[x1, 3], [x2, 1], [y1, 1], [z1, 2]]);

    const byShop = (s: Seller) => checkout.orders.find((o: { shop: { id: string } }) => o.shop.id === s.shopId);
    const expected = [
      { shop: x, subtotal: 3 * 1990 + 550, shipping: 1000 + Math.ceil(3 / 2) * 500 },
      { shop: y, subtotal: 25000, shipping: 0 },
      { shop: z, subtotal: 2 * 1234, shipping: 0 },
    ];
    for (const e of expected) {
      const order = byShop(e.shop);
      const lines = order.lines.reduce((sum: number, l: { unitPrice: { amountMinor: number }; quantity: number; lineTotal: { amountMinor: number } }) => {
        expect(l.lineTotal.amountMinor).toBe(l.unitPrice.amountMinor * l.quantity);
        return sum + l.lineTotal.amountMinor;
      }, 0);
      expect(order.subtotal.amountMinor).toBe(lines);
      expect(order.subtotal.amountMinor).toBe(e.subtotal);
      expect(order.shippingFee.amountMinor).toBe(e.shipping);
      expect(order.total.amountMinor).toBe(order.subtotal.amountMinor + order.shippingFee.amountMinor - order.discountTotal.amountMinor);
    }
    const sum = checkout.orders.reduce((acc: number, o: { total: { amountMinor: number } }) => acc + o.total.amountMinor, 0);
    expect(checkout.total.amountMinor).toBe(sum);
    expect(sum).toBe(expected.reduce((acc, e) => acc + e.subtotal + e.shipping, 0));

    const pay = await t.gql(PAY, { input: { checkoutId: checkout.id, provider: 'MOCK' } }, { token: buyer.token });
    expect(pay.data!.payCheckout.payment.amount.amountMinor).toBe(sum);

    // The same lines to another province: the default rule applies to x.
    const far = await shopper('廣東省');
    const elsewhere = await checkOut(far, [[x1, 3], [x2, 1]]);
    expect(elsewhere.orders[0].shippingFee.amountMinor).toBe(2000 + 3 * 1000);
    expect(elsewhere.total.amountMinor).toBe(3 * 1990 + 550 + 5000);
  });
});

describe('the jobs', () => {
  it('change nothing when run a second time', async () => {
    const v = await variantWith(shop, 100);
    const unpaid = await placed(v, { quantity: 2 });
    const toConfirm = await shipped(shop, v, { quantity: 3 });
    const toComplete = await delivered(shop, v, { quantity: 4 });
    const refunded = await paid(v, { quantity: 5 });
    ok(await cancel(refunded, refunded.buyer.token), 'cancelOrder');
    clock.advance(10 * DAY + MINUTE);

    const runAll = async () => ({
      expired: await expireCheckouts(t.app.deps, t.orm.em.fork()),
      confirmed: await autoConfirmDeliveries(t.app.deps, t.orm.em.fork()),
      completed: await completeOrders(t.app.deps, t.orm.em.fork()),
      refunds: await processRefunds(t.app.deps, t.orm.em.fork()),
    });
    const snapshot = async () => ({
      orders: await Promise.all([unpaid, toConfirm, toComplete, refunded].map(stateOf)),
      sales: await t.sql('select sales_count from product where id = (select product_id from product_variant where id = ?)', [v]),
      checkouts: await t.sql('select status, total from checkout where id in (?, ?) order by id', [keyOf(unpaid.checkoutId), keyOf(refunded.checkoutId)]),
    });

    const first = await runAll();
    expect(first.expired).toBeGreaterThanOrEqual(1);
    expect(first.confirmed).toBeGreaterThanOrEqual(1);
    expect(first.completed).toBeGreaterThanOrEqual(1);
    expect(first.refunds).toBeGreaterThanOrEqual(1);
    const after = await snapshot();
    expect(after.orders.map((o) => o.row.status)).toEqual(['CANCELLED', 'DELIVERED', 'COMPLETED', 'CANCELLED']);
    expect(after.orders[0].events.at(-1)).toEqual({ type: 'CANCELLED', status: 'CANCELLED', note: 'Not paid in time' });
    expect(after.orders[3].refunds).toEqual([{ status: 'SUCCEEDED', amount: String(refunded.total) }]);
    expect(after.sales).toEqual([{ sales_count: 4 }]);
    // 100 on hand; sold 3 + 4 (the 2 reserved were released, the 5 refunded came back).
    expect(await stockOf(t, v)).toEqual({ on_hand: 93, reserved: 0 });

    expect(await runAll()).toEqual({ expired: 0, confirmed: 0, completed: 0, refunds: 0 });
    expect(await snapshot()).toEqual(after);
    expect(await stockOf(t, v)).toEqual({ on_hand: 93, reserved: 0 });
  });
});
