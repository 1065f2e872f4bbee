import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { dispatchNotifications } from '../../src/services/notifications';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { code, failuresOf, keyOf, okPayload } from '../helpers/kit';
import { type Buyer, buy, buyerAt, onlyRules, pay, placed, RISK_FIELDS } from '../helpers/riskOrders';
import { type Account, type Scenario, scenario } from '../helpers/scenario';

/**
 * Holds: an order scored RISK_HOLD_SCORE or more is held once paid — the shop cannot ship it, staff
 * RISK see it in their queue and release it or cancel it with a refund — and the buyer never learns.
 */

const MINUTE = 60_000;
const clock = new ManualClock(new Date('2031-06-01T08:00:00Z'));

const ORDER = `query($id: ID!) { order(id: $id) { id status nextActions events { type note } refunds { amount { amountMinor } } ${RISK_FIELDS} } }`;
const SHIP = `mutation($input: ShipOrderInput!) { shipOrder(input: $input) { order { id status } errors { code field } } }`;
const ACCEPT = `mutation($input: IdInput!) { acceptOrder(input: $input) { order { id status } errors { code field } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status cancelledBy refunds { amount { amountMinor } } } errors { code field } } }`;
const RELEASE = `mutation($input: ReleaseOrderHoldInput!) { releaseOrderHold(input: $input) { order { id status events { type note } ${RISK_FIELDS} } errors { code field } } }`;
const QUEUE = `query($first: Int, $after: String) { riskQueue(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id status paidAt } } }`;

let t: TestApp;
let market: Scenario;
let variant: string;
let owner: string;
let risk: Account;
let service: Account;

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  market = await scenario(t).shop({ members: [ShopMemberRole.FINANCE] }).product({ stock: 10_000, price: '50.00' }).run();
  variant = market.product.variantKeys[0];
  owner = market.shop.owner.token;
  risk = await staff(t, StaffRole.RISK);
  service = await staff(t, StaffRole.CUSTOMER_SERVICE);
  // Every order of 50.00 or more scores 70: HIGH, held.
  await onlyRules(t, [{ kind: 'ORDER_AMOUNT', weight: 70, amount: 5000 }]);
});

afterAll(() => t.close());

/** A paid order of one unit by a new buyer: held, unless `held: false` (the rule disabled for its checkout). */
async function paidOrder(opts: { held?: boolean } = {}): Promise<{ buyer: Buyer; orderId: string; checkoutId: string; total: number }> {
  if (opts.held === false) await t.sql(`update risk_rule set enabled = false where kind = 'ORDER_AMOUNT'`);
  const buyer = await buyerAt(t);
  const checkout = placed(await buy(t, buyer, { lines: [{ variantKey: variant, quantity: 1 }] }));
  if (opts.held === false) await t.sql(`update risk_rule set enabled = true where kind = 'ORDER_AMOUNT' and name like 'test %'`);
  await pay(t, buyer, checkout.id);
  return { buyer, orderId: checkout.orders[0].id, checkoutId: checkout.id, total: checkout.orders[0].total.amountMinor };
}

const orderAs = async (id: string, token: string) => (await t.gql(ORDER, { id }, { token })).data!.order;
const ship = (orderId: string, token = owner) => t.gql(SHIP, { input: { orderId, carrier: 'SF Express', trackingNumber: 'SF1234567890' } }, { token });
const release = (orderId: string, token = risk.token, reason = 'Called the buyer: genuine') => t.gql(RELEASE, { input: { orderId, reason } }, { token });

describe('a held order once paid', () => {
  it('gets a HELD event, an ORDER_HELD notice for staff RISK and a risk event', async () => {
    const { orderId } = await paidOrder();
    const key = keyOf(orderId);
    const events = await t.sql(`select type, status from order_event where order_id = ? order by id`, [key]);
    expect(events).toEqual([
      { type: 'PLACED', status: 'PENDING_PAYMENT' },
      { type: 'PAID', status: 'PAID' },
      { type: 'HELD', status: 'PAID' },
    ]);
    const [number] = (await t.sql('select number from orders where id = ?', [key])).map((r) => r.number);
    expect(await t.sql(`select type, subject_type, subject_id::text as subject, data from outbox_event where type = 'ORDER_HELD' and subject_id = ?`, [key])).toEqual([
      { type: 'ORDER_HELD', subject_type: 'Order', subject: key, data: { number, score: 70 } },
    ]);
    expect(await t.sql(`select kind, detail from risk_event where kind = 'ORDER_HELD' and detail->>'orderId' = ?`, [key])).toMatchObject([{ kind: 'ORDER_HELD', detail: { number, score: 70 } }]);
    await dispatchNotifications(t.app.deps, t.orm.em.fork());
    const inbox = await t.sql(`select title from notification where user_id = ? and kind = 'ORDER_HELD'`, [risk.user.id]);
    expect(inbox).toEqual([{ title: `Order ${number} held by risk control` }]);
  });

  it('adds nothing to the payment of an order that is not held', async () => {
    const { orderId } = await paidOrder({ held: false });
    expect((await t.sql(`select type from order_event where order_id = ? order by id`, [keyOf(orderId)])).map((r) => r.type)).toEqual(['PLACED', 'PAID']);
    expect((await orderAs(orderId, owner)).risk).toMatchObject({ level: 'LOW', onHold: false });
  });

  it('cannot ship (ORDER_ON_HOLD), even once accepted; the shop sees no SHIP action', async () => {
    const { orderId } = await paidOrder();
    expect(failuresOf(await ship(orderId), 'shipOrder', 'order')).toEqual([['ORDER_ON_HOLD', 'input.orderId']]);
    const seen = await orderAs(orderId, owner);
    expect(seen.status).toBe('PAID');
    expect(seen.nextActions).toEqual(['ACCEPT', 'CANCEL']);
    expect(okPayload(await t.gql(ACCEPT, { input: { id: orderId } }, { token: owner }), 'acceptOrder', 'order').status).toBe('PROCESSING');
    expect(failuresOf(await ship(orderId), 'shipOrder', 'order')).toEqual([['ORDER_ON_HOLD', 'input.orderId']]);
    expect((await orderAs(orderId, owner)).nextActions).toEqual(['CANCEL']);
  });

  it('shows its level and hold to the shop and any staff, its score and reasons to staff RISK, nothing to the buyer', async () => {
    const { buyer, orderId } = await paidOrder();
    const asBuyer = await orderAs(orderId, buyer.token);
    expect(asBuyer.risk).toBeNull();
    expect(asBuyer.events.map((e: { type: string }) => e.type)).toEqual(['PLACED', 'PAID']);
    const finance = market.shop.members[ShopMemberRole.FINANCE]!.token;
    for (const token of [owner, finance, service.token]) {
      const seen = await orderAs(orderId, token);
      expect(seen.risk).toEqual({ level: 'HIGH', score: null, reasons: null, onHold: true, holdReleasedAt: null });
      expect(seen.events.map((e: { type: string }) => e.type)).toEqual(['PLACED', 'PAID', 'HELD']);
    }
    const asRisk = await orderAs(orderId, risk.token);
    expect(asRisk.risk).toMatchObject({ level: 'HIGH', score: 70, onHold: true, reasons: [{ kind: 'ORDER_AMOUNT', weight: 70, detail: 'Order total 50.00, at least 50.00' }] });
  });
});

describe('releaseOrderHold', () => {
  it('lets the shop ship: HOLD_RELEASED in the timeline (not the buyer’s), the hold stamped, audited', async () => {
    const { buyer, orderId } = await paidOrder();
    clock.advance(MINUTE);
    const released = okPayload(await release(orderId), 'releaseOrderHold', 'order');
    expect(released.risk).toMatchObject({ level: 'HIGH', onHold: false, holdReleasedAt: clock.now().toISOString() });
    expect(released.events.at(-1)).toEqual({ type: 'HOLD_RELEASED', note: 'Released by risk control' });
    const [row] = await t.sql('select held, hold_released_by_id::text as by from orders where id = ?', [keyOf(orderId)]);
    expect(row).toEqual({ held: false, by: risk.user.id });
    expect(await t.sql(`select action, target_id, before, after from audit_entry where action = 'order.releaseHold' and target_id = ?`, [keyOf(orderId)])).toEqual([
      { action: 'order.releaseHold', target_id: keyOf(orderId), before: { held: true, score: 70 }, after: { held: false, reason: 'Called the buyer: genuine' } },
    ]);
    expect((await orderAs(orderId, buyer.token)).events.map((e: { type: string }) => e.type)).toEqual(['PLACED', 'PAID']);
    expect((await orderAs(orderId, owner)).nextActions).toContain('SHIP');
    expect(okPayload(await ship(orderId), 'shipOrder', 'order').status).toBe('SHIPPED');
  });

  it('refuses an order that is not on hold with NOT_ON_HOLD: never held, released already, or no longer waiting to ship', async () => {
    const plain = await paidOrder({ held: false });
    expect(failuresOf(await release(plain.orderId), 'releaseOrderHold', 'order')).toEqual([['NOT_ON_HOLD', 'input.orderId']]);
    const held = await paidOrder();
    okPayload(await release(held.orderId), 'releaseOrderHold', 'order');
    expect(failuresOf(await release(held.orderId), 'releaseOrderHold', 'order')).toEqual([['NOT_ON_HOLD', 'input.orderId']]);
    // Held but unpaid: nothing waits to ship yet.
    const buyer = await buyerAt(t);
    const unpaid = placed(await buy(t, buyer, { lines: [{ variantKey: variant, quantity: 1 }] }));
    expect(failuresOf(await release(unpaid.orders[0].id), 'releaseOrderHold', 'order')).toEqual([['NOT_ON_HOLD', 'input.orderId']]);
  });

  it('needs a reason', async () => {
    const { orderId } = await paidOrder();
    expect(failuresOf(await release(orderId, risk.token, ' ok '), 'releaseOrderHold', 'order')).toEqual([['REASON_REQUIRED', 'input.reason']]);
    expect((await orderAs(orderId, risk.token)).risk.onHold).toBe(true);
  });

  it('is for staff RISK (ADMIN passes): shops, buyers and other staff are refused', async () => {
    const { buyer, orderId } = await paidOrder();
    for (const token of [owner, buyer.token, service.token]) expect(code(await release(orderId, token))).toBe('FORBIDDEN');
    expect(code(await t.gql(RELEASE, { input: { orderId, reason: 'anonymous' } }))).toBe('UNAUTHENTICATED');
    const admin = await staff(t, StaffRole.ADMIN);
    expect(okPayload(await release(orderId, admin.token), 'releaseOrderHold', 'order').risk.onHold).toBe(false);
  });
});

describe('cancelling a held order', () => {
  it('lets staff RISK cancel it with a reason: refunded in full and audited', async () => {
    const { orderId, total } = await paidOrder();
    expect((await orderAs(orderId, risk.token)).nextActions).toEqual(['CANCEL']);
    const cancelled = okPayload(await t.gql(CANCEL, { input: { orderId, reason: 'Stolen card reported' } }, { token: risk.token }), 'cancelOrder', 'order');
    expect(cancelled).toMatchObject({ status: 'CANCELLED', cancelledBy: 'STAFF', refunds: [{ amount: { amountMinor: total } }] });
    expect(await t.sql(`select action from audit_entry where action = 'order.cancel' and target_id = ?`, [keyOf(orderId)])).toHaveLength(1);
    // No longer waiting to ship: out of the queue, not on hold.
    expect((await orderAs(orderId, risk.token)).risk.onHold).toBe(false);
  });

  it('gives staff RISK no hand in orders risk control did not flag', async () => {
    const { orderId } = await paidOrder({ held: false });
    expect(await orderAs(orderId, risk.token)).toBeNull();
    expect(code(await t.gql(CANCEL, { input: { orderId, reason: 'Looks odd' } }, { token: risk.token }))).toBe('NOT_FOUND');
  });
});

describe('riskQueue', () => {
  it('lists held orders waiting to ship, paid longest ago first, page by page', async () => {
    // Clear what earlier tests left: the queue holds only these from here.
    await t.sql(`update orders set held = false where held`);
    const paid: string[] = [];
    for (let i = 0; i < 3; i++) {
      paid.push((await paidOrder()).orderId);
      clock.advance(MINUTE);
    }
    await paidOrder({ held: false });
    // Accepted still waits to ship; a shipped-after-release or cancelled one does not.
    okPayload(await t.gql(ACCEPT, { input: { id: paid[1] } }, { token: owner }), 'acceptOrder', 'order');
    const gone = await paidOrder();
    okPayload(await t.gql(CANCEL, { input: { orderId: gone.orderId, reason: 'Fraud confirmed' } }, { token: risk.token }), 'cancelOrder', 'order');

    const first = (await t.gql(QUEUE, { first: 2 }, { token: risk.token })).data!.riskQueue;
    expect(first.totalCount).toBe(3);
    expect(first.nodes.map((n: { id: string }) => n.id)).toEqual(paid.slice(0, 2));
    expect(first.nodes.map((n: { status: string }) => n.status)).toEqual(['PAID', 'PROCESSING']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await t.gql(QUEUE, { first: 2, after: first.pageInfo.endCursor }, { token: risk.token })).data!.riskQueue;
    expect(rest.nodes.map((n: { id: string }) => n.id)).toEqual([paid[2]]);
    expect(rest.pageInfo.hasNextPage).toBe(false);

    okPayload(await release(paid[0]), 'releaseOrderHold', 'order');
    expect((await t.gql(QUEUE, {}, { token: risk.token })).data!.riskQueue.nodes.map((n: { id: string }) => n.id)).toEqual(paid.slice(1));
  });

  it('is for staff RISK alone', async () => {
    const buyer = await buyerAt(t);
    for (const token of [owner, buyer.token, service.token]) expect(code(await t.gql(QUEUE, {}, { token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(QUEUE, {}))).toBe('UNAUTHENTICATED');
  });

  it('reads the partial index of held orders', async () => {
    const { statements } = await t.captureQueries(QUEUE, { first: 5 }, { token: risk.token });
    const list = statements.find((s) => /from "orders"/.test(s.sql) && /held/.test(s.sql) && /limit/i.test(s.sql))!;
    const plan = await t.orm.em.fork().transactional(async (em) => {
      await em.execute('set local enable_seqscan = off');
      return (await em.execute<{ 'QUERY PLAN': string }[]>(`explain ${list.sql}`, [...list.params])).map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('orders_held_idx');
  });
});
