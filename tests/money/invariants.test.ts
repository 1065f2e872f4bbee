import fc from 'fast-check';
import { GraphQLError } from 'graphql';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { contextAs, type Context } from '../../src/context';
import { Order, StaffRole, type User } from '../../src/entities';
import { Failure } from '../../src/errors';
import { adjustSettlement, closeSettlements, createPayout, MockPayoutProvider, retryPayout } from '../../src/services/money';
import { autoConfirmDeliveries, completeOrders, expireCheckouts } from '../../src/services/orders';
import { MockPaymentProvider, processRefunds, refundOrder } from '../../src/services/payments';
import { ManualClock } from '../../src/services/shared';
import { Viewer } from '../../src/viewer';
import { createTestApp, type GqlResult, type TestApp } from '../helpers/app';
import { CHECKOUT, newKey, PAY, webhook } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { idOf, keyOf } from '../helpers/kit';
import { LEDGER_INVARIANTS, ledgerViolations } from '../helpers/ledger';
import { newShopper, scenario, type ScenarioShop, type Shopper } from '../helpers/scenario';

/**
 * The money invariants (shared/api/money.md) under random sequences of everything that moves
 * money: checkouts across shops of different commission rates, payments that succeed, fail, arrive
 * twice or late (for expired checkouts), cancellations before and after payment, partial refunds
 * through `refundOrder` (the after-sales API), fulfilment and completion by the clock, settlements
 * closed (SETTLEMENT_PERIOD=CONTINUOUS), adjustments, refunds sent (sometimes failing at the
 * provider), payouts created, paid, failed (and replayed) and retried, and races of a payment
 * against a cancellation and a refund. After every step every ledger invariant is checked in SQL
 * (tests/helpers/ledger.ts).
 *
 * Deterministic by default: MONEY_SEED picks another seed (a failure prints the seed and the last
 * steps), MONEY_RUNS the sequences and MONEY_STEPS their length.
 */

const SEED = Number(process.env.MONEY_SEED ?? 20_261_206);
const RUNS = Number(process.env.MONEY_RUNS ?? 3);
const STEPS = Number(process.env.MONEY_STEPS ?? 150);

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const clock = new ManualClock(new Date('2031-09-01T02:00:00Z'));

const ADD_TO_CART = `mutation($input: AddToCartInput!) { addToCart(input: $input) { cart { lines { id } } errors { code } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code } } }`;
const ACCEPT = `mutation($input: IdInput!) { acceptOrder(input: $input) { order { status } errors { code } } }`;
const SHIP = `mutation($input: ShipOrderInput!) { shipOrder(input: $input) { order { status } errors { code } } }`;
const CONFIRM = `mutation($input: IdInput!) { confirmDelivery(input: $input) { order { status } errors { code } } }`;

let t: TestApp;
let shops: ScenarioShop[];
let variants: { id: string; shop: number }[];
let buyers: Shopper[];
let admin: { token: string };
let finance: User;

interface OrderRec {
  id: string;
  key: string;
  shop: number;
  buyer: number;
}
interface CheckoutRec {
  id: string;
  buyer: number;
  orders: OrderRec[];
  /** Global IDs of its payments, and the event ids delivered for each. */
  payments: string[];
  events: Map<string, string[]>;
}
const checkouts: CheckoutRec[] = [];
const payoutEvents = new Map<string, string[]>();

beforeAll(async () => {
  t = await createTestApp(
    { SETTLEMENT_PERIOD: 'CONTINUOUS', CHECKOUT_TTL_MINUTES: '30', AFTER_SALES_DAYS: '7', AUTO_CONFIRM_DAYS: '10', DEFAULT_COMMISSION_RATE: '0.05' },
    { clock },
  );
  admin = await staff(t, StaffRole.ADMIN);
  finance = (await staff(t, StaffRole.FINANCE)).user;
  // Three shops: the default rate, an awkward rate of their own, and a category-free 15%.
  const prices = [
    [999, 1001],
    [1234, 555],
    [3333, 17],
  ];
  shops = [];
  variants = [];
  for (const [i, pair] of prices.entries()) {
    const s = await scenario(t).shop().product({ variants: pair.map((price) => ({ price, stock: 100_000 })) }).run();
    shops.push(s.shop);
    variants.push(...s.variantIds.map((id) => ({ id, shop: i })));
  }
  await t.sql('update shop set commission_rate = ? where id = ?', ['0.0777', shops[1].shop.id]);
  await t.sql('update shop set commission_rate = ? where id = ?', ['0.15', shops[2].shop.id]);
  buyers = [];
  for (let i = 0; i < 3; i++) buyers.push(await newShopper(t));
}, 60_000);
afterAll(() => t.close());
afterEach(() => vi.restoreAllMocks());

// --- Operations ----------------------------------------------------------------------------------

type Op =
  | { op: 'checkout'; buyer: number; items: { variant: number; qty: number }[]; buy: boolean }
  | { op: 'pay'; pick: number }
  | { op: 'event'; pick: number; payment: number; success: boolean; replay: boolean }
  | { op: 'cancel'; pick: number; byStaff: boolean }
  | { op: 'cancelThenPay'; pick: number }
  | { op: 'refund'; pick: number; percent: number; target: 'paid' | 'unpaid' | 'any' }
  | { op: 'fulfil'; pick: number; all: boolean }
  | { op: 'complete' }
  | { op: 'tick'; minutes: number }
  | { op: 'close' }
  | { op: 'adjust'; shop: number; amount: number }
  | { op: 'sendRefunds'; fail: boolean }
  | { op: 'payout'; pick: number }
  | { op: 'payoutEvent'; pick: number; paid: boolean; replay: boolean }
  | { op: 'retryPayout'; pick: number }
  | { op: 'race'; pick: number; percent: number };

const pick = fc.nat({ max: 1000 });
const items = fc.array(fc.record({ variant: fc.nat({ max: 5 }), qty: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  // A checkout, and with `buy` paid at once (payCheckout, then its success event).
  { weight: 16, arbitrary: fc.record({ op: fc.constant('checkout' as const), buyer: fc.nat({ max: 2 }), items, buy: fc.nat({ max: 2 }).map((n) => n > 0) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('pay' as const), pick }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('event' as const), pick, payment: pick, success: fc.nat({ max: 3 }).map((n) => n > 0), replay: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('cancel' as const), pick, byStaff: fc.boolean() }) },
  // The buyer drops one order of a multi-shop checkout, then pays for the rest.
  { weight: 3, arbitrary: fc.record({ op: fc.constant('cancelThenPay' as const), pick }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('refund' as const), pick, percent: fc.integer({ min: 1, max: 120 }), target: fc.constantFrom('paid', 'paid', 'paid', 'unpaid', 'any') }) },
  // One fulfilment step of an order, or (`all`) every step to DELIVERED.
  { weight: 12, arbitrary: fc.record({ op: fc.constant('fulfil' as const), pick, all: fc.boolean() }) },
  { weight: 3, arbitrary: fc.constant({ op: 'complete' as const }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('tick' as const), minutes: fc.integer({ min: 1, max: 45 }) }) },
  { weight: 5, arbitrary: fc.constant({ op: 'close' as const }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('adjust' as const), shop: fc.nat({ max: 2 }), amount: fc.integer({ min: -3000, max: 5000 }).filter((n) => n !== 0) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('sendRefunds' as const), fail: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('payout' as const), pick }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('payoutEvent' as const), pick, paid: fc.nat({ max: 2 }).map((n) => n > 0), replay: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('retryPayout' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('race' as const), pick, percent: fc.integer({ min: 1, max: 100 }) }) },
);

/** One of the last few of `list` (most operations act on recent checkouts, so chains form), or undefined. */
function recent<T>(list: readonly T[], n: number, window = 6): T | undefined {
  if (list.length === 0) return undefined;
  return list[list.length - 1 - (n % Math.min(window, list.length))];
}

const allOrders = () => checkouts.flatMap((c) => c.orders);

/** A GraphQL call that may be refused (a payload error, a thrown business code), never broken. */
async function call(query: string, variables: Record<string, unknown>, token: string): Promise<any> {
  const res: GqlResult = await t.gql(query, variables, { token });
  const thrown = res.errors?.map((e) => e.extensions?.code);
  expect(thrown?.filter((c) => c === 'INTERNAL_SERVER_ERROR') ?? [], JSON.stringify(res.errors)).toEqual([]);
  return res.data ? Object.values(res.data)[0] : null;
}

function financeContext(): Context {
  const em = t.orm.em.fork();
  return contextAs(t.app.deps, em, new Viewer(em, em.merge(finance), null), { requestId: 'money-invariants', log: t.app.http.log });
}

/** Runs a service call that may refuse with a business Failure (NOTHING_TO_PAY, INVALID_TRANSITION...). */
async function refusable<T>(run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Failure || (err instanceof GraphQLError && err.extensions.code !== 'INTERNAL_SERVER_ERROR')) return null;
    throw err;
  }
}

function refund(orderKey: string, percent: number) {
  return t.orm.em.fork().transactional(async (em) => {
    const order = await em.findOneOrFail(Order, { id: orderKey });
    return refundOrder(em, order, 'after-sales (fuzz)', clock.now(), Math.max(1, Math.round((order.total * percent) / 100)));
  });
}

async function paymentEvent(c: CheckoutRec, paymentId: string, success: boolean, replay: boolean) {
  const seen = c.events.get(paymentId) ?? [];
  const eventId = replay && seen.length ? seen[seen.length - 1] : newKey();
  if (!seen.includes(eventId)) c.events.set(paymentId, [...seen, eventId]);
  const res = await webhook(t, { eventId, type: success ? 'payment.succeeded' : 'payment.failed', paymentId });
  expect(res.statusCode, res.body).toBe(200);
}

async function statusOf(orderKey: string): Promise<string> {
  return (await t.sql('select status from orders where id = ?', [orderKey]))[0].status;
}

async function apply(op: Op): Promise<void> {
  switch (op.op) {
    case 'checkout': {
      const buyer = buyers[op.buyer];
      for (const item of op.items) await call(ADD_TO_CART, { input: { variantId: variants[item.variant].id, quantity: item.qty } }, buyer.token);
      const out = await call(CHECKOUT, { input: { addressId: buyer.addressId }, key: newKey() }, buyer.token);
      if (!out?.checkout) return;
      checkouts.push({
        id: out.checkout.id,
        buyer: op.buyer,
        orders: out.checkout.orders.map((o: any) => ({ id: o.id, key: keyOf(o.id), shop: shops.findIndex((s) => s.shopId === o.shop.id), buyer: op.buyer })),
        payments: [],
        events: new Map(),
      });
      if (op.buy) {
        const c = checkouts[checkouts.length - 1];
        const paid = await call(PAY, { input: { checkoutId: c.id, provider: 'MOCK' } }, buyer.token);
        c.payments.push(paid.payment.id);
        await paymentEvent(c, paid.payment.id, true, false);
      }
      return;
    }
    case 'pay': {
      const c = recent(checkouts, op.pick);
      if (!c) return;
      const out = await call(PAY, { input: { checkoutId: c.id, provider: 'MOCK' } }, buyers[c.buyer].token);
      if (out?.payment && !c.payments.includes(out.payment.id)) c.payments.push(out.payment.id);
      return;
    }
    case 'event': {
      const c = recent(checkouts.filter((x) => x.payments.length > 0), op.pick);
      if (!c) return;
      await paymentEvent(c, c.payments[op.payment % c.payments.length], op.success, op.replay);
      return;
    }
    case 'cancel': {
      const o = recent(allOrders(), op.pick, 10);
      if (!o) return;
      const token = op.byStaff ? admin.token : buyers[o.buyer].token;
      await call(CANCEL, { input: { orderId: o.id, reason: 'fuzzed cancellation' } }, token);
      return;
    }
    case 'cancelThenPay': {
      const open = await t.sql(
        `select c.id::text from checkout c where c.status = 'PENDING_PAYMENT' and c.expires_at > ? and (select count(*) from orders o where o.checkout_id = c.id and o.status = 'PENDING_PAYMENT') > 1`,
        [clock.now()],
      );
      const keys = new Set(open.map((r) => r.id));
      const c = recent(checkouts.filter((x) => keys.has(keyOf(x.id))), op.pick);
      if (!c) return;
      const token = buyers[c.buyer].token;
      await call(CANCEL, { input: { orderId: c.orders[0].id } }, token);
      const paid = await call(PAY, { input: { checkoutId: c.id, provider: 'MOCK' } }, token);
      if (!paid?.payment) return;
      if (!c.payments.includes(paid.payment.id)) c.payments.push(paid.payment.id);
      await paymentEvent(c, paid.payment.id, true, false);
      return;
    }
    case 'refund': {
      // Refunds of orders never paid (cancelled before the rest of their checkout was paid, say) must refund nothing.
      const paid = new Set((await t.sql('select id::text from orders where paid_at is not null')).map((r) => r.id));
      const o = recent(allOrders().filter((x) => op.target === 'any' || paid.has(x.key) === (op.target === 'paid')), op.pick, 12);
      if (o) await refund(o.key, op.percent);
      return;
    }
    case 'fulfil': {
      const o = recent(allOrders(), op.pick, 10);
      if (!o) return;
      const owner = shops[o.shop].owner.token;
      for (let step = 0; step < 3; step++) {
        const status = await statusOf(o.key);
        if (status === 'PAID') await call(ACCEPT, { input: { id: o.id } }, owner);
        else if (status === 'PROCESSING') await call(SHIP, { input: { orderId: o.id, carrier: 'SF Express', trackingNumber: `SF${o.key}X${step}` } }, owner);
        else if (status === 'SHIPPED') await call(CONFIRM, { input: { id: o.id } }, buyers[o.buyer].token);
        if (!op.all) return;
      }
      return;
    }
    case 'complete':
      clock.advance(t.config.orders.afterSalesDays * DAY + MINUTE);
      await expireCheckouts(t.app.deps, t.orm.em.fork());
      await autoConfirmDeliveries(t.app.deps, t.orm.em.fork());
      await completeOrders(t.app.deps, t.orm.em.fork());
      return;
    case 'tick':
      clock.advance(op.minutes * MINUTE);
      await expireCheckouts(t.app.deps, t.orm.em.fork());
      return;
    case 'close':
      clock.advance(1000);
      await closeSettlements(t.app.deps, t.orm.em.fork());
      return;
    case 'adjust': {
      const sign = op.amount < 0 ? '-' : '';
      const abs = Math.abs(op.amount);
      await adjustSettlement(financeContext(), { shopId: shops[op.shop].shop.id, amount: `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`, reason: 'fuzzed adjustment' });
      return;
    }
    case 'sendRefunds': {
      if (op.fail) vi.spyOn(MockPaymentProvider.prototype, 'refund').mockRejectedValueOnce(new Error('provider down'));
      await processRefunds(t.app.deps, t.orm.em.fork());
      vi.restoreAllMocks();
      return;
    }
    case 'payout': {
      const due = await t.sql(`select s.id::text from settlement s where s.status = 'CLOSED' and s.payable > 0 and not exists (select from payout p where p.settlement_id = s.id) order by s.id`);
      const s = recent(due, op.pick);
      if (s) await refusable(() => createPayout(financeContext(), { settlementId: s.id }));
      return;
    }
    case 'payoutEvent': {
      const payouts = await t.sql(`select id::text from payout order by id`);
      const p = recent(payouts, op.pick);
      if (!p) return;
      const payoutId = idOf('Payout', p.id);
      const seen = payoutEvents.get(payoutId) ?? [];
      const eventId = op.replay && seen.length ? seen[seen.length - 1] : newKey();
      if (!seen.includes(eventId)) payoutEvents.set(payoutId, [...seen, eventId]);
      const body = JSON.stringify({ eventId, type: op.paid ? 'payout.paid' : 'payout.failed', payoutId, ...(op.paid ? {} : { reason: 'account closed' }) });
      const signer = new MockPayoutProvider(t.config.payoutWebhookSecret);
      const res = await t.app.http.inject({ method: 'POST', url: '/webhooks/payouts/mock', headers: { 'content-type': 'application/json', 'x-signature': signer.sign(body) }, payload: body });
      expect(res.statusCode, res.body).toBe(200);
      return;
    }
    case 'retryPayout': {
      const failed = await t.sql(`select id::text from payout where status = 'FAILED' order by id`);
      const p = recent(failed, op.pick);
      if (p) await refusable(() => retryPayout(financeContext(), p.id));
      return;
    }
    case 'race': {
      // A payment's success, a cancellation and a refund of the same checkout, all at once.
      const c = recent(checkouts, op.pick);
      if (!c) return;
      if (c.payments.length === 0) {
        const out = await call(PAY, { input: { checkoutId: c.id, provider: 'MOCK' } }, buyers[c.buyer].token);
        if (!out?.payment) return;
        c.payments.push(out.payment.id);
      }
      const [o] = c.orders;
      await Promise.all([
        paymentEvent(c, c.payments[c.payments.length - 1], true, false),
        call(CANCEL, { input: { orderId: o.id, reason: 'fuzzed race' } }, admin.token),
        refund(c.orders[c.orders.length - 1].key, op.percent),
      ]);
      return;
    }
  }
}

// --- The property --------------------------------------------------------------------------------

describe('the money invariants under random operations', () => {
  it(`hold after every step of ${RUNS} random sequences of ${STEPS} operations (MONEY_SEED=${SEED})`, async () => {
    const log: string[] = [];
    const noViolations = Object.fromEntries(Object.keys(LEDGER_INVARIANTS).map((name) => [name, []]));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: STEPS, maxLength: STEPS }), async (ops) => {
          for (const op of ops) {
            log.push(JSON.stringify(op));
            await apply(op);
            const found = await ledgerViolations(t);
            expect(found, `after step ${log.length}: ${log[log.length - 1]}`).toEqual(noViolations);
          }
        }),
        // Each sequence goes on from where the last left the database: shrinking could not replay one alone.
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    } catch (err) {
      process.stderr.write(`\n[money invariants] failed with MONEY_SEED=${SEED} at step ${log.length}; the last steps:\n${log.slice(-25).join('\n')}\n`);
      throw err;
    }

    // The sequences reached every kind of money movement, or the invariants held over little.
    const kinds = Object.fromEntries((await t.sql('select kind, count(*)::int as n from ledger_posting group by kind')).map((r) => [r.kind, r.n]));
    const [world] = await t.sql(`select
      (select count(*) from settlement where status = 'CLOSED')::int as closed_settlements,
      (select count(*) from orders where status = 'COMPLETED')::int as completed,
      (select count(*) from orders where status = 'CANCELLED' and paid_at is not null)::int as cancelled_paid,
      (select count(*) from payment where refund_required)::int as late_payments,
      (select count(*) from payout)::int as payouts`);
    process.stdout.write(`\n[money invariants] MONEY_SEED=${SEED}: ${log.length} steps; postings ${JSON.stringify(kinds)}; ${JSON.stringify(world)}\n`);
    for (const kind of ['PAYMENT', 'REFUND', 'REFUND_SENT', 'ADJUSTMENT', 'PAYOUT_CREATED'] as const) expect(kinds[kind] ?? 0, kind).toBeGreaterThan(0);
    expect(world.closed_settlements).toBeGreaterThan(0);
    expect(world.completed).toBeGreaterThan(0);
    expect(world.cancelled_paid).toBeGreaterThan(0);
  }, 240_000);

  it('are not vacuous: each catches its kind of damage (written past the triggers, rolled back)', async () => {
    const db = new Client({ connectionString: process.env.TEST_DB_URL });
    await db.connect();
    /** The invariants broken after `damage`, in a transaction with the ledger's triggers off. */
    const brokenBy = async (damage: string): Promise<string[]> => {
      await db.query('begin');
      try {
        await db.query('set local session_replication_role = replica');
        await db.query(damage);
        return Object.entries(await ledgerViolations(db))
          .filter(([, rows]) => rows.length > 0)
          .map(([name]) => name);
      } finally {
        await db.query('rollback');
      }
    };
    try {
      expect(await brokenBy(`update ledger_entry set amount = amount + 1 where id = (select min(id) from ledger_entry where account = 'PLATFORM_COMMISSION')`)).toEqual(
        expect.arrayContaining(['every posting has two entries or more, and they sum to zero', 'every account’s balances sum to zero']),
      );
      expect(await brokenBy(`update refund set status = case when status = 'SUCCEEDED' then 'PENDING' else 'SUCCEEDED' end where id = (select min(id) from refund)`)).toContain(
        'a refund the provider sent is posted once as REFUND_SENT, and one not sent is not',
      );
      expect(await brokenBy(`update refund set amount = amount + 1 where id = (select min(id) from refund where order_id is not null)`)).toContain(
        'each order refund is posted once as a REFUND of its amount; refunds of money for no order are not',
      );
      expect(await brokenBy(`update order_line set commission = commission + 1 where id = (select min(id) from order_line)`)).toContain(
        'a line’s commission is round_half_even((line total − the discounts the shop funds) × its rate), and an order’s the sum of its lines’',
      );
      expect(await brokenBy(`update settlement set net = net + 1, gross = gross + 1, payable = payable + 1 where id = (select min(id) from settlement where status = 'CLOSED')`)).toEqual(
        expect.arrayContaining([
          'a CLOSED settlement’s figures are what its entries sum to, and its payable carries a negative predecessor',
          'per shop, Σ settlement nets + the open period = −SHOP_PAYABLE balance + payouts paid or in transit',
        ]),
      );
      expect(await brokenBy(`update orders set total = total + 1, subtotal = subtotal + 1 where id = (select min(order_id) from refund where order_id is not null)`)).toContain(
        'a paid order’s PAYMENT entries are its snapshot: the total in, the shop’s share, the commission and the platform-funded discount out; an unpaid order has none',
      );
    } finally {
      await db.end();
    }
  });
});
