import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Order, type Refund, StaffRole } from '../../src/entities';
import { MockPaymentProvider, processRefunds, REFUND_SEND_LEASE_MS, refundOrder } from '../../src/services/payments';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { newKey, PAY, webhook } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { keyOf, okPayload } from '../helpers/kit';
import { expectLedgerInvariants, halfEven, orderAccounts, postingCount, postings } from '../helpers/ledger';
import { scenario, type Scenario } from '../helpers/scenario';

/**
 * Refunds in the ledger: a refund decided (a paid order cancelled, or after-sales through
 * `refundOrder`) posts REFUND, reversing the refunded share of the order — commission included,
 * by cumulative half-even shares, so the refunds of an order add up to it exactly — into
 * REFUNDS_PAYABLE; `send-refunds` hands it to the provider and posts REFUND_SENT once.
 */

const clock = new ManualClock(new Date('2031-07-06T01:00:00Z'));
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status refunds { status amount { amountMinor } } } errors { code } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { status refunds { status reason amount { amountMinor } } } }`;

let t: TestApp;
let admin: { token: string };

beforeAll(async () => {
  t = await createTestApp({ DEFAULT_COMMISSION_RATE: '0.05' }, { clock });
  admin = await staff(t, StaffRole.ADMIN);
});
afterAll(() => t.close());
afterEach(() => vi.restoreAllMocks());

/** A paid order of one unit at `price` (in a shop of `rate`, when given). */
async function paidOrder(price: number, rate?: string): Promise<Scenario> {
  const b = scenario(t).shop();
  if (rate !== undefined) {
    const { shop } = await b.run();
    await t.sql('update shop set commission_rate = ? where id = ?', [rate, shop.shop.id]);
  }
  return b.product({ price }).buyer().inCart(1).paid().run();
}

/** `refundOrder` as after-sales calls it: in a transaction of its own, on the order as it is. */
function refund(orderKey: string, amount?: number, reason = 'after-sales'): Promise<Refund | null> {
  return t.orm.em.fork().transactional(async (em) => {
    const order = await em.findOneOrFail(Order, { id: orderKey });
    return refundOrder(em, order, reason, clock.now(), amount);
  });
}

const sendRefunds = async () => okPayload(await t.gql(RUN, { input: { name: 'send-refunds' } }, { token: admin.token }), 'runScheduledTask').task.lastResult;

const refundRows = async (orderKey: string) =>
  (await t.sql('select id::text, amount, status, provider_reference, sending_at from refund where order_id = ? order by id', [orderKey])).map((r) => ({ ...r, amount: Number(r.amount) }));

/** The REFUND posting of a refund, as [account, amount] pairs. */
async function refundPosting(refundId: string): Promise<[string, number][]> {
  const [posting] = await postings(t, `p.kind = 'REFUND' and p.refund_id = ?`, [refundId]);
  return posting.entries.map((e) => [e.account, e.amount]);
}

describe('refunds in the ledger', () => {
  it('cancelling a paid order posts a REFUND reversing the shop’s share and the commission; once sent the order is zero on every account', async () => {
    const s = await paidOrder(1999);
    const commission = 100; // 1999 × 0.05 = 99.95 → 100
    const res = await t.gql(CANCEL, { input: { orderId: s.order.id, reason: 'changed my mind' } }, { token: s.buyer.token });
    expect(res.data!.cancelOrder).toEqual({ order: { status: 'CANCELLED', refunds: [{ status: 'PENDING', amount: { amountMinor: 1999 } }] }, errors: [] });

    const [row] = await refundRows(s.order.key);
    const [posting] = await postings(t, `p.refund_id = ?`, [row.id]);
    expect(posting).toMatchObject({ kind: 'REFUND', memo: 'changed my mind', at: clock.now() });
    const ref = { shop: s.shop.shop.id, order: s.order.key };
    expect(posting.entries).toEqual([
      { account: 'PLATFORM_COMMISSION', amount: commission, ...ref },
      { account: 'REFUNDS_PAYABLE', amount: -1999, ...ref },
      { account: 'SHOP_PAYABLE', amount: 1999 - commission, ...ref },
    ]);
    // Decided, not yet sent: the buyer's money is owed back.
    expect(await orderAccounts(t, s.order.key)).toEqual({ BUYER_PAYMENTS: 1999, REFUNDS_PAYABLE: -1999 });

    expect(await sendRefunds()).toMatch(/^done: [1-9]/);
    expect(await orderAccounts(t, s.order.key)).toEqual({});
    expect((await t.gql(ORDER, { id: s.order.id }, { token: s.buyer.token })).data!.order.refunds).toEqual([
      { status: 'SUCCEEDED', reason: 'changed my mind', amount: { amountMinor: 1999 } },
    ]);
    expect(await postingCount(t, `p.kind = 'REFUND_SENT' and p.refund_id = ?`, [row.id])).toBe(1);
    await expectLedgerInvariants(t);
  });

  for (const { price, rate, amounts } of [
    // 50 commission on 1000: the running shares hit exact halves (0.5 → 0, 1.5 → 2, 18.15 → 18).
    { price: 1000, rate: '0.05', amounts: [10, 10, 10, 333, 1, 7, 629] },
    // 999 at 0.0777 = 77.6223 → 78 commission: thirds that never divide evenly.
    { price: 999, rate: '0.0777', amounts: [1, 1, 333, 332, 331, 1] },
  ]) {
    it(`reverses commission by cumulative half-even shares, so partial refunds of ${price} add up to it exactly (${amounts.join(' + ')})`, async () => {
      const s = await paidOrder(price, rate);
      const [{ commission }] = await t.sql('select commission::int from orders where id = ?', [s.order.key]);
      expect(commission).toBe(halfEven(price * Math.round(Number(rate) * 10_000), 10_000));
      let refunded = 0;
      for (const amount of amounts) {
        const made = await refund(s.order.key, amount);
        expect(made?.amount).toBe(amount);
        const reversed = halfEven(commission * (refunded + amount), price) - halfEven(commission * refunded, price);
        refunded += amount;
        const expected: [string, number][] = [
          ...(reversed ? [['PLATFORM_COMMISSION', reversed] as [string, number]] : []),
          ['REFUNDS_PAYABLE', -amount],
          ['SHOP_PAYABLE', amount - reversed],
        ];
        expect(await refundPosting(made!.id), `refund of ${amount} after ${refunded - amount}`).toEqual(expected);
        // What the shop and the platform still hold of the order is its share of what was not refunded.
        const held = await orderAccounts(t, s.order.key, ['PAYMENT', 'REFUND']);
        expect(held.PLATFORM_COMMISSION ?? 0).toBe(halfEven(commission * refunded, price) - commission);
        expect((held.SHOP_PAYABLE ?? 0) + (held.PLATFORM_COMMISSION ?? 0)).toBe(refunded - price);
      }
      expect(refunded).toBe(price);
      // Nothing is left to refund, whatever is asked.
      expect(await refund(s.order.key, 1)).toBeNull();
      expect(await refund(s.order.key)).toBeNull();
      expect(await orderAccounts(t, s.order.key, ['PAYMENT', 'REFUND'])).toEqual({ BUYER_PAYMENTS: price, REFUNDS_PAYABLE: -price });
      await sendRefunds();
      expect((await refundRows(s.order.key)).map((r) => r.status)).toEqual(amounts.map(() => 'SUCCEEDED'));
      expect(await orderAccounts(t, s.order.key)).toEqual({});
      await expectLedgerInvariants(t);
    });
  }

  it('caps a refund at what is left of the order, and a cancellation after partial refunds refunds the rest', async () => {
    const s = await paidOrder(1234);
    expect((await refund(s.order.key, 1000))?.amount).toBe(1000);
    expect((await refund(s.order.key, 1000))?.amount).toBe(234);
    expect(await refund(s.order.key, 1)).toBeNull();

    const other = await paidOrder(1234);
    expect((await refund(other.order.key, 400))?.amount).toBe(400);
    const res = await t.gql(CANCEL, { input: { orderId: other.order.id } }, { token: other.buyer.token });
    expect(res.data!.cancelOrder.order.refunds.map((r: any) => r.amount.amountMinor).sort()).toEqual([400, 834]);
    for (const key of [s.order.key, other.order.key]) {
      const held = await orderAccounts(t, key, ['PAYMENT', 'REFUND']);
      expect(held.SHOP_PAYABLE ?? 0).toBe(0);
      expect(held.PLATFORM_COMMISSION ?? 0).toBe(0);
    }
    await expectLedgerInvariants(t);
  });
  it('refunds nothing for an order that was never paid, even when the rest of its checkout was', async () => {
    const s = await scenario(t).buyer().shop().product({ price: 1100 }).inCart(1).shop().product({ price: 2200 }).inCart(1).checkout().run();
    const [unpaid, paid] = s.orders;
    expect((await t.gql(CANCEL, { input: { orderId: unpaid.id } }, { token: s.buyer.token })).data!.cancelOrder.order.status).toBe('CANCELLED');
    const { payment } = okPayload(await t.gql(PAY, { input: { checkoutId: s.checkout.id, provider: 'MOCK' } }, { token: s.buyer.token }), 'payCheckout');
    expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id })).json().outcome).toBe('processed');

    expect(await refund(unpaid.key, 500)).toBeNull();
    expect(await refund(unpaid.key)).toBeNull();
    expect(await refundRows(unpaid.key)).toEqual([]);
    expect(await orderAccounts(t, unpaid.key)).toEqual({});
    // The paid one is refunded in full as usual.
    expect((await refund(paid.key))?.amount).toBe(paid.total.amountMinor);
    await expectLedgerInvariants(t);
  });
});

describe('send-refunds', () => {
  it('posts REFUND_SENT once per refund, when run twice in a row and when runs overlap', async () => {
    const orders = await Promise.all([1500, 2500, 3500].map((price) => paidOrder(price)));
    for (const s of orders) await t.gql(CANCEL, { input: { orderId: s.order.id } }, { token: s.buyer.token });
    const ids = (await Promise.all(orders.map((s) => refundRows(s.order.key)))).map(([r]) => r.id);
    const provider = vi.spyOn(MockPaymentProvider.prototype, 'refund');

    await Promise.all([processRefunds(t.app.deps, t.orm.em.fork()), processRefunds(t.app.deps, t.orm.em.fork()), sendRefunds(), processRefunds(t.app.deps, t.orm.em.fork())]);
    await processRefunds(t.app.deps, t.orm.em.fork());
    await sendRefunds();

    for (const id of ids) {
      expect(provider.mock.calls.filter(([r]) => r.id === id)).toHaveLength(1);
      expect(await postingCount(t, `p.kind = 'REFUND_SENT' and p.refund_id = ?`, [id])).toBe(1);
    }
    for (const s of orders) expect(await orderAccounts(t, s.order.key)).toEqual({});
    await expectLedgerInvariants(t);
  });

  it('leaves a refund the provider failed PENDING without a posting, and a run after the lease sends it with the same idempotency key', async () => {
    // Anything else pending goes first, so the runs below are about this refund alone.
    await processRefunds(t.app.deps, t.orm.em.fork());
    const s = await paidOrder(2222);
    await t.gql(CANCEL, { input: { orderId: s.order.id } }, { token: s.buyer.token });
    const [pending] = await refundRows(s.order.key);
    const original = MockPaymentProvider.prototype.refund;
    const provider = vi.spyOn(MockPaymentProvider.prototype, 'refund').mockImplementation(async function (this: MockPaymentProvider, r, io) {
      if (r.id === pending.id) throw new Error('provider timed out');
      return original.call(this, r, io);
    });

    expect(await processRefunds(t.app.deps, t.orm.em.fork())).toBe(0);
    const [failed] = await refundRows(s.order.key);
    expect(failed).toMatchObject({ status: 'PENDING', provider_reference: null });
    expect(new Date(failed.sending_at)).toEqual(clock.now());
    expect(await postingCount(t, `p.kind = 'REFUND_SENT' and p.refund_id = ?`, [pending.id])).toBe(0);
    expect(await orderAccounts(t, s.order.key)).toEqual({ BUYER_PAYMENTS: 2222, REFUNDS_PAYABLE: -2222 });

    // The provider is back, but the lease still holds: a run now leaves it be.
    provider.mockImplementation(original);
    clock.advance(REFUND_SEND_LEASE_MS - 1000);
    expect(await processRefunds(t.app.deps, t.orm.em.fork())).toBe(0);
    clock.advance(1000);
    expect(await processRefunds(t.app.deps, t.orm.em.fork())).toBe(1);

    const calls = provider.mock.calls.filter(([r]) => r.id === pending.id);
    expect(calls.map(([r]) => ({ id: r.id, amount: r.amount }))).toEqual([
      { id: pending.id, amount: 2222 },
      { id: pending.id, amount: 2222 },
    ]);
    expect(await refundRows(s.order.key)).toMatchObject([{ status: 'SUCCEEDED', provider_reference: `mock_refund_${pending.id}` }]);
    expect(await postingCount(t, `p.kind = 'REFUND_SENT' and p.refund_id = ?`, [pending.id])).toBe(1);
    expect(await orderAccounts(t, s.order.key)).toEqual({});
    await expectLedgerInvariants(t);
  });
});

describe('concurrent refunds', () => {
  it('never refund more than was paid: ten parallel refunds of 30% each refund the order exactly once over', async () => {
    const s = await paidOrder(1000);
    const made = await Promise.all(Array.from({ length: 10 }, () => refund(s.order.key, 300)));
    expect(made.filter((r) => r === null)).toHaveLength(6);
    expect(made.flatMap((r) => (r ? [r.amount] : [])).sort((a, b) => a - b)).toEqual([100, 300, 300, 300]);
    expect((await refundRows(s.order.key)).reduce((sum, r) => sum + r.amount, 0)).toBe(1000);
    expect(await postingCount(t, `p.kind = 'REFUND' and exists (select from refund r where r.id = p.refund_id and r.order_id = ?)`, [s.order.key])).toBe(4);
    expect(await orderAccounts(t, s.order.key, ['PAYMENT', 'REFUND'])).toEqual({ BUYER_PAYMENTS: 1000, REFUNDS_PAYABLE: -1000 });
    await expectLedgerInvariants(t);
  });

  it('never refund more than was paid when cancellations race partial refunds across a checkout’s orders', async () => {
    const s = await scenario(t).buyer().shop().product({ price: 2000 }).inCart(1).shop().product({ price: 3000 }).inCart(1).paid().run();
    const [a, b] = s.orders;
    const results = await Promise.all([
      t.gql(CANCEL, { input: { orderId: a.id } }, { token: s.buyer.token }),
      refund(a.key, 700),
      refund(b.key, 1300),
      t.gql(CANCEL, { input: { orderId: b.id } }, { token: s.buyer.token }),
      refund(a.key, 700),
      refund(b.key, 1300),
      refund(b.key, 1300),
    ]);
    expect(results.filter((r) => r !== null && 'data' in r).map((r: any) => r.data.cancelOrder.order.status)).toEqual(['CANCELLED', 'CANCELLED']);
    for (const o of [a, b]) {
      expect((await refundRows(o.key)).reduce((sum, r) => sum + r.amount, 0)).toBe(o.total.amountMinor);
      const held = await orderAccounts(t, o.key, ['PAYMENT', 'REFUND']);
      expect(held).toEqual({ BUYER_PAYMENTS: o.total.amountMinor, REFUNDS_PAYABLE: -o.total.amountMinor });
    }
    const [{ refunded }] = await t.sql('select sum(amount)::int as refunded from refund where payment_id = ?', [keyOf(s.payment.id)]);
    expect(refunded).toBe(5000);
    await expectLedgerInvariants(t);
  });
});
