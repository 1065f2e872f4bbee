import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckoutStatus as C, OrderStatus as O, PaymentStatus as P, RefundStatus as R, ShopMemberRole, StaffRole } from '../../src/entities';
import { Failure, NotFoundError } from '../../src/errors';
import { autoConfirmDeliveries, CHECKOUT_TRANSITIONS, completeOrders, expireCheckouts, ORDER_TRANSITIONS, type OrderStep } from '../../src/services/orders';
import { PAYMENT_TRANSITIONS, REFUND_TRANSITIONS } from '../../src/services/payments';
import { allowedActions, ManualClock, transition, type TransitionTable } from '../../src/services/shared';
import { createTestApp, type GqlResult, type TestApp } from '../helpers/app';
import { addressFor, newKey, PAY, webhook } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { code, keyOf, okPayload as ok } from '../helpers/kit';
import { type Account, newShopper, scenario, type ScenarioOrder, type ScenarioShop, type Shopper } from '../helpers/scenario';

const DAY = 86_400_000;
const MINUTE = 60_000;
// Far from the wall clock, so a time taken from anything but the business clock shows.
const clock = new ManualClock(new Date('2031-03-01T08:00:00Z'));

/** What a call threw or answered: the thrown GraphQL code, a payload error code, or OK. */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'OK';
  } catch (err) {
    if (err instanceof Failure) return err.errors[0].code;
    if (err instanceof GraphQLError) return String(err.extensions.code);
    throw err;
  }
}

describe('the transition tables', () => {
  const PEOPLE = ['buyer', 'shop', 'staff'] as const;
  const SYSTEM_STEPS: OrderStep[] = ['pay', 'autoConfirm', 'complete', 'expire'];
  const PEOPLE_STEPS: OrderStep[] = ['accept', 'ship', 'confirmDelivery', 'buyerCancel', 'shopCancel', 'staffCancel'];

  it('refuses an actor the step does not name with FORBIDDEN, before looking at the state', () => {
    // A valid state and a wrong actor, then a wrong state and a wrong actor: the actor decides both.
    expect(outcome(() => transition(ORDER_TRANSITIONS, 'accept', O.PAID, 'order', { actors: ['buyer', 'staff'] }))).toBe('FORBIDDEN');
    expect(outcome(() => transition(ORDER_TRANSITIONS, 'accept', O.COMPLETED, 'order', { actors: ['buyer', 'staff'] }))).toBe('FORBIDDEN');
    expect(outcome(() => transition(ORDER_TRANSITIONS, 'confirmDelivery', O.SHIPPED, 'order', { actors: ['shop', 'staff'] }))).toBe('FORBIDDEN');
    expect(outcome(() => transition(ORDER_TRANSITIONS, 'staffCancel', O.SHIPPED, 'order', { actors: ['buyer', 'shop'] }))).toBe('FORBIDDEN');
  });

  it('refuses a state the step does not leave from with INVALID_TRANSITION, once the actor may act', () => {
    expect(outcome(() => transition(ORDER_TRANSITIONS, 'accept', O.PENDING_PAYMENT, 'order', { actors: ['shop'] }))).toBe('INVALID_TRANSITION');
    expect(outcome(() => transition(ORDER_TRANSITIONS, 'ship', O.SHIPPED, 'order', { actors: ['shop'] }))).toBe('INVALID_TRANSITION');
    expect(outcome(() => transition(ORDER_TRANSITIONS, 'buyerCancel', O.SHIPPED, 'order', { actors: ['buyer'] }))).toBe('INVALID_TRANSITION');
    expect(outcome(() => transition(ORDER_TRANSITIONS, 'staffCancel', O.COMPLETED, 'order', { actors: ['staff'] }))).toBe('INVALID_TRANSITION');
    expect(transition(ORDER_TRANSITIONS, 'staffCancel', O.DELIVERED, 'order', { actors: ['staff'] })).toBe(O.CANCELLED);
    expect(transition(ORDER_TRANSITIONS, 'ship', O.PAID, 'order', { actors: ['buyer', 'shop'] })).toBe(O.SHIPPED);
  });

  it('keeps the platform’s steps from people and people’s steps from the platform', () => {
    for (const s of SYSTEM_STEPS) {
      const from = ORDER_TRANSITIONS[s].from[0];
      expect(outcome(() => transition(ORDER_TRANSITIONS, s, from, 'order', { actors: PEOPLE }))).toBe('FORBIDDEN');
      expect(transition(ORDER_TRANSITIONS, s, from, 'order', { actors: ['system'] })).toBe(ORDER_TRANSITIONS[s].to);
    }
    for (const s of PEOPLE_STEPS) expect(outcome(() => transition(ORDER_TRANSITIONS, s, ORDER_TRANSITIONS[s].from[0], 'order', { actors: ['system'] }))).toBe('FORBIDDEN');
    const people = [...PEOPLE] as never[];
    expect(outcome(() => transition(CHECKOUT_TRANSITIONS, 'pay', C.PENDING_PAYMENT, 'checkout', { actors: people }))).toBe('FORBIDDEN');
    expect(outcome(() => transition(PAYMENT_TRANSITIONS, 'succeed', P.PENDING, 'payment', { actors: people }))).toBe('FORBIDDEN');
    expect(outcome(() => transition(REFUND_TRANSITIONS, 'settle', R.PENDING, 'refund', { actors: people }))).toBe('FORBIDDEN');
  });

  it('moves checkouts, payments and refunds only from the states their tables name', () => {
    expect(transition(CHECKOUT_TRANSITIONS, 'expire', C.PENDING_PAYMENT, 'checkout', { actors: ['system'] })).toBe(C.EXPIRED);
    for (const from of [C.PAID, C.EXPIRED, C.CANCELLED]) {
      for (const s of ['pay', 'expire', 'cancel'] as const) expect(outcome(() => transition(CHECKOUT_TRANSITIONS, s, from, 'checkout', { actors: ['system'] }))).toBe('INVALID_TRANSITION');
    }
    // The provider took the money even after it reported a failure; a success is final.
    expect(transition(PAYMENT_TRANSITIONS, 'succeed', P.FAILED, 'payment', { actors: ['system'] })).toBe(P.SUCCEEDED);
    expect(outcome(() => transition(PAYMENT_TRANSITIONS, 'fail', P.SUCCEEDED, 'payment', { actors: ['system'] }))).toBe('INVALID_TRANSITION');
    expect(outcome(() => transition(PAYMENT_TRANSITIONS, 'succeed', P.SUCCEEDED, 'payment', { actors: ['system'] }))).toBe('INVALID_TRANSITION');
    expect(transition(REFUND_TRANSITIONS, 'settle', R.PENDING, 'refund', { actors: ['system'] })).toBe(R.SUCCEEDED);
    expect(outcome(() => transition(REFUND_TRANSITIONS, 'settle', R.SUCCEEDED, 'refund', { actors: ['system'] }))).toBe('INVALID_TRANSITION');
  });

  it('answers a refused actor with the domain’s error, and checks its guard after the actor and before the state', () => {
    const table: TransitionTable<'A' | 'B', 'go', 'x' | 'y'> = { go: { from: ['A'], to: 'B', by: ['x'] } };
    const seen: string[] = [];
    const options = { refuse: () => new NotFoundError(), guard: () => void seen.push('guard') };
    expect(outcome(() => transition(table, 'go', 'A', 'thing', { ...options, actors: ['y'] }))).toBe('NOT_FOUND');
    expect(seen).toEqual([]);
    expect(outcome(() => transition(table, 'go', 'B', 'thing', { ...options, actors: ['x'] }))).toBe('INVALID_TRANSITION');
    expect(seen).toEqual(['guard']);
    // Without actors, only actions open to anyone are taken.
    expect(outcome(() => transition(table, 'go', 'A', 'thing'))).toBe('FORBIDDEN');
    const open: TransitionTable<'A' | 'B', 'go'> = { go: { from: ['A'], to: 'B' } };
    expect(transition(open, 'go', 'A', 'thing')).toBe('B');
  });

  it('lists the actions of the given actors in table order, or every action from the state without actors', () => {
    expect(allowedActions(ORDER_TRANSITIONS, O.PAID, ['shop'])).toEqual(['accept', 'ship', 'shopCancel']);
    expect(allowedActions(ORDER_TRANSITIONS, O.SHIPPED, ['buyer', 'staff'])).toEqual(['confirmDelivery', 'staffCancel']);
    expect(allowedActions(ORDER_TRANSITIONS, O.SHIPPED, ['system'])).toEqual(['autoConfirm']);
    expect(allowedActions(ORDER_TRANSITIONS, O.PAID)).toEqual(['accept', 'ship', 'buyerCancel', 'shopCancel', 'staffCancel', 'refundedCancel']);
    expect(allowedActions(ORDER_TRANSITIONS, O.COMPLETED, [...PEOPLE, 'system'])).toEqual([]);
  });
});

let t: TestApp;
let shop: ScenarioShop;
let variant: string;
let otherShop: ScenarioShop;
const staffOf = {} as Record<StaffRole, Account>;

const NEXT = `query($id: ID!) { order(id: $id) { id status nextActions } }`;
const TIMES = `query($id: ID!) { order(id: $id) { status placedAt paidAt shippedAt deliveredAt completedAt cancelledAt events { type at } shipments { shippedAt } } }`;
const ACCEPT = `mutation($input: IdInput!) { acceptOrder(input: $input) { order { status } errors { code } } }`;
const SHIP = `mutation($input: ShipOrderInput!) { shipOrder(input: $input) { order { status } errors { code } } }`;
const CONFIRM = `mutation($input: IdInput!) { confirmDelivery(input: $input) { order { status } errors { code } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code } } }`;

type Stage = 'PENDING_PAYMENT' | 'PAID' | 'PROCESSING' | 'SHIPPED' | 'DELIVERED' | 'COMPLETED' | 'CANCELLED';

/** One order of the shop's variant, brought to `stage` through the API (and the completion job). */
async function orderAt(stage: Stage, buyer?: Shopper): Promise<ScenarioOrder & { buyer: Shopper }> {
  const steps = scenario(t).shop(shop).buyer(buyer ?? {}).inCart(1, variant);
  if (stage === 'PENDING_PAYMENT' || stage === 'CANCELLED') steps.checkout();
  if (stage === 'PAID') steps.paid();
  if (stage === 'PROCESSING') steps.accepted();
  if (stage === 'SHIPPED') steps.shipped();
  if (stage === 'DELIVERED' || stage === 'COMPLETED') steps.delivered();
  const s = await steps.run();
  const order = { ...s.order, buyer: s.buyer };
  if (stage === 'CANCELLED') ok(await t.gql(CANCEL, { input: { orderId: order.id } }, { token: s.buyer.token }), 'cancelOrder');
  if (stage === 'COMPLETED') {
    clock.advance(t.config.orders.afterSalesDays * DAY + MINUTE);
    await completeOrders(t.app.deps, t.orm.em.fork());
  }
  const [{ status }] = await t.sql('select status from orders where id = ?', [order.key]);
  return { ...order, status };
}

async function nextActions(orderId: string, token?: string): Promise<string[] | null> {
  const res = await t.gql(NEXT, { id: orderId }, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.order?.nextActions ?? null;
}

beforeAll(async () => {
  t = await createTestApp({ CHECKOUT_TTL_MINUTES: '30', AUTO_CONFIRM_DAYS: '10', AFTER_SALES_DAYS: '7' }, { clock });
  const { MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE } = ShopMemberRole;
  const made = await scenario(t).shop({ members: [MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE] }).product({ stock: 10_000 }).run();
  shop = made.shop;
  variant = made.variantKeys[0];
  otherShop = (await scenario(t).shop().run()).shop;
  for (const role of Object.values(StaffRole)) staffOf[role] = await staff(t, role);
});
afterAll(() => t.close());

describe('Order.nextActions', () => {
  const STAGES: Stage[] = ['PENDING_PAYMENT', 'PAID', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED'];
  // What each kind of viewer may do at each stage, written out by hand from the order rules.
  const EXPECTED: Record<Stage, { buyer: string[]; fulfiller: string[]; staff: string[] }> = {
    PENDING_PAYMENT: { buyer: ['CANCEL'], fulfiller: ['CANCEL'], staff: ['CANCEL'] },
    PAID: { buyer: ['CANCEL'], fulfiller: ['ACCEPT', 'SHIP', 'CANCEL'], staff: ['CANCEL'] },
    PROCESSING: { buyer: ['CANCEL'], fulfiller: ['SHIP', 'CANCEL'], staff: ['CANCEL'] },
    SHIPPED: { buyer: ['CONFIRM_DELIVERY'], fulfiller: [], staff: ['CANCEL'] },
    DELIVERED: { buyer: [], fulfiller: [], staff: ['CANCEL'] },
    COMPLETED: { buyer: [], fulfiller: [], staff: [] },
    CANCELLED: { buyer: [], fulfiller: [], staff: [] },
  };

  it('lists what the buyer, each shop role and order staff may do, status by status', async () => {
    for (const stage of STAGES) {
      const order = await orderAt(stage);
      expect(order.status).toBe(stage);
      const seen = {
        buyer: await nextActions(order.id, order.buyer.token),
        OWNER: await nextActions(order.id, shop.owner.token),
        MANAGER: await nextActions(order.id, shop.members.MANAGER!.token),
        OPERATOR: await nextActions(order.id, shop.members.OPERATOR!.token),
        CUSTOMER_SERVICE: await nextActions(order.id, shop.members.CUSTOMER_SERVICE!.token),
        FINANCE: await nextActions(order.id, shop.members.FINANCE!.token),
        staffCS: await nextActions(order.id, staffOf.CUSTOMER_SERVICE.token),
        staffOPS: await nextActions(order.id, staffOf.OPERATIONS.token),
        staffADMIN: await nextActions(order.id, staffOf.ADMIN.token),
      };
      const e = EXPECTED[stage];
      expect(seen, stage).toEqual({
        buyer: e.buyer,
        OWNER: e.fulfiller,
        MANAGER: e.fulfiller,
        OPERATOR: e.fulfiller,
        // Shop roles that do not fulfil see the order but may do nothing with it.
        CUSTOMER_SERVICE: [],
        FINANCE: [],
        staffCS: e.staff,
        staffOPS: e.staff,
        staffADMIN: e.staff,
      });
    }
  });

  it('is out of reach of everyone else: the order is null for strangers, another shop, other staff roles and anonymous callers', async () => {
    const order = await orderAt('PAID');
    const stranger = await newShopper(t);
    for (const token of [stranger.token, otherShop.owner.token, staffOf.ANALYST.token, staffOf.RISK.token, staffOf.REVIEWER.token, staffOf.FINANCE.token, undefined]) {
      expect(await nextActions(order.id, token)).toBeNull();
    }
  });

  it('gives a viewer with two relations the actions of both: an owner buying from their own shop, order staff buying for themselves', async () => {
    const owner: Shopper = { ...shop.owner, addressId: await addressFor(t, shop.owner.user.id) };
    const ownPaid = await orderAt('PAID', owner);
    expect(await nextActions(ownPaid.id, owner.token)).toEqual(['ACCEPT', 'SHIP', 'CANCEL']);
    const ownShipped = await orderAt('SHIPPED', owner);
    expect(await nextActions(ownShipped.id, owner.token)).toEqual(['CONFIRM_DELIVERY']);

    const staffBuyer = await newShopper(t);
    await t.sql("update users set staff_roles = '{CUSTOMER_SERVICE}' where id = ?", [staffBuyer.user.id]);
    const shipped = await orderAt('SHIPPED', staffBuyer);
    expect(await nextActions(shipped.id, staffBuyer.token)).toEqual(['CONFIRM_DELIVERY', 'CANCEL']);
    // Staff cancel as staff even on their own orders: with a reason, unaudited (they bought it).
    const refused = await t.gql(CANCEL, { input: { orderId: shipped.id } }, { token: staffBuyer.token });
    expect(refused.data!.cancelOrder.errors.map((e: { code: string }) => e.code)).toEqual(['REASON_REQUIRED']);
    expect(ok(await t.gql(CANCEL, { input: { orderId: shipped.id, reason: 'Parcel lost' } }, { token: staffBuyer.token }), 'cancelOrder').order.status).toBe('CANCELLED');
    expect(await t.sql("select 1 from audit_entry where target_type = 'Order' and target_id = ?", [shipped.key])).toEqual([]);
  });

  it('agrees with the mutations: each action listed is taken, each one left out is refused and changes nothing', async () => {
    const take: Record<string, (orderId: string, token: string) => Promise<GqlResult>> = {
      ACCEPT: (id, token) => t.gql(ACCEPT, { input: { id } }, { token }),
      SHIP: (orderId, token) => t.gql(SHIP, { input: { orderId, carrier: 'SF Express', trackingNumber: 'SF1234567890' } }, { token }),
      CONFIRM_DELIVERY: (id, token) => t.gql(CONFIRM, { input: { id } }, { token }),
      CANCEL: (orderId, token) => t.gql(CANCEL, { input: { orderId, reason: 'Changed plans' } }, { token }),
    };
    const failed = (res: GqlResult) => (res.errors ? code(res) : Object.values(res.data!)[0].errors[0]?.code);
    const snapshot = async (key: string) => ({
      order: await t.sql('select status, paid_at, shipped_at, delivered_at, cancelled_at, updated_at from orders where id = ?', [key]),
      events: await t.sql('select count(*)::int as n from order_event where order_id = ?', [key]),
    });
    for (const stage of ['PAID', 'SHIPPED'] as const) {
      const probe = await orderAt(stage);
      for (const token of [probe.buyer.token, shop.owner.token, shop.members.CUSTOMER_SERVICE!.token, staffOf.CUSTOMER_SERVICE.token]) {
        const listed = (await nextActions(probe.id, token))!;
        for (const action of Object.keys(take).filter((a) => !listed.includes(a))) {
          const before = await snapshot(probe.key);
          expect(failed(await take[action](probe.id, token)), `${stage} ${action}`).toBeDefined();
          expect(await snapshot(probe.key)).toEqual(before);
        }
        for (const action of listed) {
          const fresh = await orderAt(stage);
          const actor = token === probe.buyer.token ? fresh.buyer.token : token;
          expect(failed(await take[action](fresh.id, actor)), `${stage} ${action}`).toBeUndefined();
        }
      }
    }
  });

  it('costs no query per order: a page of orders with their next actions costs what one order does', async () => {
    const buyer = await newShopper(t);
    for (let i = 0; i < 4; i++) await orderAt('PAID', buyer);
    const PAGE = `query($first: Int) { myOrders(first: $first) { nodes { id nextActions } } }`;
    const one = await t.countQueries(PAGE, { first: 1 }, { token: buyer.token });
    const four = await t.countQueries(PAGE, { first: 4 }, { token: buyer.token });
    expect(four.result.data!.myOrders.nodes.map((n: { nextActions: string[] }) => n.nextActions)).toEqual([['CANCEL'], ['CANCEL'], ['CANCEL'], ['CANCEL']]);
    expect(four.queries).toBe(one.queries);
  });
});

describe('the business clock', () => {
  const at = (order: { events: { type: string; at: string }[] }, type: string) => order.events.filter((e) => e.type === type).map((e) => e.at);

  it('stamps every step of an order with the moved clock, not the wall clock', async () => {
    const times: Date[] = [];
    const tick = (ms: number) => {
      clock.advance(ms);
      times.push(clock.now());
    };
    tick(MINUTE);
    const s = await scenario(t).shop(shop).buyer().inCart(1, variant).checkout().run();
    const order = s.order;
    tick(5 * MINUTE);
    const pay = ok(await t.gql(PAY, { input: { checkoutId: s.checkout.id, provider: 'MOCK' } }, { token: s.buyer.token }), 'payCheckout');
    expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: pay.payment.id })).statusCode).toBe(200);
    tick(2 * DAY);
    ok(await t.gql(ACCEPT, { input: { id: order.id } }, { token: shop.owner.token }), 'acceptOrder');
    tick(DAY);
    ok(await t.gql(SHIP, { input: { orderId: order.id, carrier: 'SF Express', trackingNumber: 'SF2031030100' } }, { token: shop.owner.token }), 'shipOrder');
    tick(3 * DAY);
    ok(await t.gql(CONFIRM, { input: { id: order.id } }, { token: s.buyer.token }), 'confirmDelivery');
    tick(7 * DAY + MINUTE);
    expect(await completeOrders(t.app.deps, t.orm.em.fork())).toBeGreaterThanOrEqual(1);

    const [placed, paid, accepted, shipped, delivered, completed] = times.map((d) => d.toISOString());
    const shown = (await t.gql(TIMES, { id: order.id }, { token: s.buyer.token })).data!.order;
    expect(shown).toMatchObject({ status: 'COMPLETED', placedAt: placed, paidAt: paid, shippedAt: shipped, deliveredAt: delivered, completedAt: completed, cancelledAt: null, shipments: [{ shippedAt: shipped }] });
    expect(shown.events.map((e: { type: string; at: string }) => [e.type, e.at])).toEqual([
      ['PLACED', placed],
      ['PAID', paid],
      ['ACCEPTED', accepted],
      ['SHIPPED', shipped],
      ['DELIVERED', delivered],
      ['COMPLETED', completed],
    ]);
    const [event] = await t.sql('select received_at from payment_event where payment_id = ?', [keyOf(pay.payment.id)]);
    expect(new Date(event.received_at).toISOString()).toBe(paid);
    expect(Math.abs(Date.parse(placed) - Date.now())).toBeGreaterThan(DAY);
  });

  it('stamps cancellations and refund requests, expiry and automatic delivery with the moved clock, and runs the timers by it', async () => {
    const paidOrder = await orderAt('PAID');
    clock.advance(3 * MINUTE);
    const cancelledAt = clock.now().toISOString();
    ok(await t.gql(CANCEL, { input: { orderId: paidOrder.id } }, { token: paidOrder.buyer.token }), 'cancelOrder');
    const cancelled = (await t.gql(TIMES, { id: paidOrder.id }, { token: paidOrder.buyer.token })).data!.order;
    expect(cancelled.cancelledAt).toBe(cancelledAt);
    expect([...at(cancelled, 'CANCELLED'), ...at(cancelled, 'REFUND_REQUESTED')]).toEqual([cancelledAt, cancelledAt]);

    const unpaid = await orderAt('PENDING_PAYMENT');
    clock.advance(30 * MINUTE - 1);
    await expireCheckouts(t.app.deps, t.orm.em.fork());
    expect((await t.gql(TIMES, { id: unpaid.id }, { token: unpaid.buyer.token })).data!.order.status).toBe('PENDING_PAYMENT');
    clock.advance(1);
    expect(await expireCheckouts(t.app.deps, t.orm.em.fork())).toBeGreaterThanOrEqual(1);
    const expired = (await t.gql(TIMES, { id: unpaid.id }, { token: unpaid.buyer.token })).data!.order;
    expect({ status: expired.status, cancelledAt: expired.cancelledAt }).toEqual({ status: 'CANCELLED', cancelledAt: clock.now().toISOString() });

    const shipped = await orderAt('SHIPPED');
    clock.advance(10 * DAY - 1);
    await autoConfirmDeliveries(t.app.deps, t.orm.em.fork());
    expect((await t.gql(TIMES, { id: shipped.id }, { token: shipped.buyer.token })).data!.order.status).toBe('SHIPPED');
    clock.advance(1);
    expect(await autoConfirmDeliveries(t.app.deps, t.orm.em.fork())).toBeGreaterThanOrEqual(1);
    const confirmed = (await t.gql(TIMES, { id: shipped.id }, { token: shipped.buyer.token })).data!.order;
    expect({ status: confirmed.status, deliveredAt: confirmed.deliveredAt, at: at(confirmed, 'DELIVERED') }).toEqual({ status: 'DELIVERED', deliveredAt: clock.now().toISOString(), at: [clock.now().toISOString()] });
  });
});
