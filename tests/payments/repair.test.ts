import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StaffRole } from '../../src/entities';
import { MockPaymentProvider, PAYMENT_REPAIR_GRACE_MS, repairPayments } from '../../src/services/payments';
import { ManualClock } from '../../src/services/shared';
import { type TestApp, createTestApp } from '../helpers/app';
import { PAY, webhook } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { code, idOf, keyOf, payloadOf } from '../helpers/kit';
import { type Scenario, scenario } from '../helpers/scenario';

const MINUTE = 60_000;
const clock = new ManualClock(new Date('2026-11-23T02:00:30Z'));
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastRunAt lastResult } errors { code field message } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code } } }`;

let t: TestApp;
let admin: { token: string };

beforeAll(async () => {
  t = await createTestApp({ CHECKOUT_TTL_MINUTES: '30' }, { clock });
  admin = await staff(t, StaffRole.ADMIN);
});
afterAll(() => t.close());
afterEach(() => vi.restoreAllMocks());

/** The mock provider's createPayment, spied on, its calls so far forgotten. */
function createPayment() {
  const spy = vi.spyOn(MockPaymentProvider.prototype, 'createPayment');
  spy.mockClear();
  return spy;
}

/** A new buyer's checkout of one unit. */
const checkedOut = () => scenario(t).shop().product({ stock: 5, price: 1999 }).buyer().inCart(1).checkout().run();

const pay = (s: Scenario) => t.gql(PAY, { input: { checkoutId: s.checkout.id, provider: 'MOCK' } }, { token: s.buyer.token });

/**
 * payCheckout whose process "dies" between committing the payment and storing the provider's
 * reference: the provider call throws once. Returns the payment's key.
 */
async function crashedPayment(s: Scenario): Promise<string> {
  createPayment().mockRejectedValueOnce(new Error('process killed'));
  const res = await pay(s);
  expect(code(res)).toBe('INTERNAL_SERVER_ERROR');
  const [row] = await t.sql('select id, status, provider_reference from payment where checkout_id = ? order by id desc limit 1', [keyOf(s.checkout.id)]);
  expect(row).toMatchObject({ status: 'PENDING', provider_reference: null });
  return String(row.id);
}

/** Runs repair-payments as ADMIN through the API; returns its lastResult. */
async function runRepair(): Promise<string> {
  const res = await t.gql(RUN, { input: { name: 'repair-payments' } }, { token: admin.token });
  const payload = payloadOf(res, 'runScheduledTask');
  expect(payload.errors).toEqual([]);
  expect(payload.task.lastRunAt).toBe(clock.now().toISOString());
  return payload.task.lastResult;
}

const paymentRow = async (key: string) =>
  (await t.sql('select status, provider_reference, refund_required, updated_at from payment where id = ?', [key]))[0] as {
    status: string;
    provider_reference: string | null;
    refund_required: boolean;
    updated_at: unknown;
  };

describe('repair-payments', () => {
  it('opens a payment a crash left without a provider reference once the grace period has passed; the retry returns it and a second run changes nothing', async () => {
    const s = await checkedOut();
    const key = await crashedPayment(s);

    expect(await runRepair()).toBe('done: 0');
    expect((await paymentRow(key)).provider_reference).toBeNull();

    clock.advance(PAYMENT_REPAIR_GRACE_MS);
    const provider = createPayment();
    expect(await runRepair()).toBe('done: 1');
    expect(provider.mock.calls.map(([p]) => p)).toEqual([{ id: key, amount: s.checkout.total.amountMinor, currency: t.config.currency }]);
    const repaired = await paymentRow(key);
    expect(repaired).toMatchObject({ status: 'PENDING', provider_reference: `mock_pay_${key}` });

    // The buyer's retry finds the same payment, opened: nothing more reaches the provider.
    const retry = payloadOf(await pay(s), 'payCheckout');
    expect(retry.errors).toEqual([]);
    expect(retry.payment).toMatchObject({ id: idOf('Payment', key), status: 'PENDING' });
    expect(await runRepair()).toBe('done: 0');
    expect(provider).toHaveBeenCalledTimes(1);
    expect(await paymentRow(key)).toEqual(repaired);

    expect((await webhook(t, { eventId: `evt-repair-${key}`, type: 'payment.succeeded', paymentId: idOf('Payment', key) })).statusCode).toBe(200);
    expect((await t.sql('select status from orders where id = ?', [s.order.key]))[0].status).toBe('PAID');
  });

  it('abandons, without reaching the provider, payments whose checkout was cancelled or expired; money that still arrives is refunded', async () => {
    const cancelled = await checkedOut();
    const cancelledKey = await crashedPayment(cancelled);
    const cancel = await t.gql(CANCEL, { input: { orderId: cancelled.order.id } }, { token: cancelled.buyer.token });
    expect(cancel.data!.cancelOrder).toEqual({ order: { status: 'CANCELLED' }, errors: [] });
    const expired = await checkedOut();
    const expiredKey = await crashedPayment(expired);

    // Past the checkouts' expiry, before expire-checkouts has run: the checkout still says PENDING_PAYMENT.
    clock.advance(31 * MINUTE);
    const provider = createPayment();
    expect(await runRepair()).toBe('done: 2');
    expect(provider).not.toHaveBeenCalled();
    for (const key of [cancelledKey, expiredKey]) expect(await paymentRow(key)).toMatchObject({ status: 'FAILED', provider_reference: null });
    expect((await t.sql('select status from checkout where id = ?', [keyOf(expired.checkout.id)]))[0].status).toBe('PENDING_PAYMENT');
    expect(await runRepair()).toBe('done: 0');

    // The buyer cannot pay the expired checkout again; a success for the abandoned payment is flagged and refunded.
    expect(payloadOf(await pay(expired), 'payCheckout').errors.map((e: { code: string }) => e.code)).toEqual(['CHECKOUT_EXPIRED']);
    expect((await webhook(t, { eventId: `evt-late-${cancelledKey}`, type: 'payment.succeeded', paymentId: idOf('Payment', cancelledKey) })).statusCode).toBe(200);
    expect(await paymentRow(cancelledKey)).toMatchObject({ status: 'SUCCEEDED', refund_required: true });
    expect(await t.sql('select amount from refund where payment_id = ?', [cancelledKey])).toHaveLength(1);
  });

  it('abandons a payment for an amount its checkout no longer asks, which the buyer’s retry would never return', async () => {
    const s = await scenario(t).shop().product({ stock: 5, price: 1000 }).buyer().inCart(1).shop().product({ stock: 5, price: 2000 }).inCart(1).checkout().run();
    const key = await crashedPayment(s);
    // Cancelling one of the two orders lowers the checkout's total: the next payCheckout opens a new payment.
    const cancel = await t.gql(CANCEL, { input: { orderId: s.orders[0].id } }, { token: s.buyer.token });
    expect(cancel.data!.cancelOrder.errors).toEqual([]);
    const retry = payloadOf(await pay(s), 'payCheckout');
    expect(retry.payment.id).not.toBe(idOf('Payment', key));

    clock.advance(PAYMENT_REPAIR_GRACE_MS);
    expect(await runRepair()).toBe('done: 1');
    expect(await paymentRow(key)).toMatchObject({ status: 'FAILED', provider_reference: null });
    expect((await t.sql('select status from payment where id = ?', [keyOf(retry.payment.id)]))[0].status).toBe('PENDING');
  });

  it('leaves a payment whose provider call fails for the next run, and goes on past it', async () => {
    const first = await crashedPayment(await checkedOut());
    const second = await crashedPayment(await checkedOut());
    clock.advance(PAYMENT_REPAIR_GRACE_MS);

    createPayment().mockRejectedValueOnce(new Error('provider timed out'));
    expect(await runRepair()).toBe('done: 1; 1 failed (provider timed out); retried next run');
    expect((await paymentRow(first)).provider_reference).toBeNull();
    expect((await paymentRow(second)).provider_reference).toBe(`mock_pay_${second}`);

    expect(await runRepair()).toBe('done: 1');
    expect((await paymentRow(first)).provider_reference).toBe(`mock_pay_${first}`);
  });

  it('passes over a payment another transaction holds, and two runs at once open each payment once', async () => {
    const keys = [];
    for (let i = 0; i < 4; i++) keys.push(await crashedPayment(await checkedOut()));
    clock.advance(PAYMENT_REPAIR_GRACE_MS);

    // A webhook (say) holds the first payment: the run takes the others and leaves it.
    const holder = new Client({ connectionString: process.env.TEST_DB_URL });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from payment where id = $1 for no key update', [keys[0]]);
      const run = await repairPayments({ config: t.config, clock }, t.orm.em.fork(), 1);
      expect(run).toEqual({ opened: 1, abandoned: 0, failed: 0 });
      expect((await paymentRow(keys[0])).provider_reference).toBeNull();
      expect((await paymentRow(keys[1])).provider_reference).toBe(`mock_pay_${keys[1]}`);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }

    const provider = createPayment();
    const runs = await Promise.all([0, 1].map(() => repairPayments({ config: t.config, clock }, t.orm.em.fork())));
    expect(runs.reduce((sum, r) => sum + r.opened, 0)).toBe(3);
    expect(provider.mock.calls.map(([p]) => p.id).sort()).toEqual([keys[0], keys[2], keys[3]].sort());
    for (const key of keys) expect((await paymentRow(key)).provider_reference).toBe(`mock_pay_${key}`);
  });
});
