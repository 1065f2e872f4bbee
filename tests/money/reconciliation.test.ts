import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { newKey, PAY, payoutWebhook, webhook } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, idOf, keyOf, okPayload, payloadOf } from '../helpers/kit';
import { type Scenario, scenario } from '../helpers/scenario';

/**
 * reconciliation(date): the mock providers' books of one Asia/Shanghai business day against the
 * ledger, matched by provider reference: charges, refunds and payouts matched, missing on either
 * side, or of different amounts.
 */

const clock = new ManualClock(new Date('2032-01-10T02:00:00Z'));
const ITEM = 'kind reference providerAmount { amountMinor } ledgerAmount { amountMinor } at';
const REPORT = `query($date: Date!) { reconciliation(date: $date) { date matched { ${ITEM} } missingInLedger { ${ITEM} } missingAtProvider { ${ITEM} } amountMismatches { ${ITEM} }
  totals { kind providerAmount { amountMinor } ledgerAmount { amountMinor } matched missingInLedger missingAtProvider amountMismatches } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code } } }`;
const CREATE = `mutation($input: CreatePayoutInput!) { createPayout(input: $input) { payout { id providerReference } errors { code } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

let t: TestApp;
let admin: { token: string };
let finance: { token: string };

beforeAll(async () => {
  t = await createTestApp({ SETTLEMENT_PERIOD: 'CONTINUOUS', DEFAULT_COMMISSION_RATE: '0.05' }, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  finance = await staff(t, StaffRole.FINANCE);
});
afterAll(() => t.close());

/** The Asia/Shanghai calendar day of an instant (UTC+8, no daylight saving). */
const shanghaiDay = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);

const runTask = async (name: string) => okPayload(await t.gql(RUN, { input: { name } }, { token: admin.token }), 'runScheduledTask').task.lastResult;

async function report(date: string, token = finance.token) {
  const res = await t.gql(REPORT, { date }, { token });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.reconciliation;
}

const money = (minor: number | null) => (minor === null ? null : { amountMinor: minor });
const item = (kind: string, reference: string | null, providerAmount: number | null, ledgerAmount: number | null, at: Date) => ({
  kind,
  reference,
  providerAmount: money(providerAmount),
  ledgerAmount: money(ledgerAmount),
  at: at.toISOString(),
});
const total = (kind: string, providerAmount: number, ledgerAmount: number, counts: Partial<Record<'matched' | 'missingInLedger' | 'missingAtProvider' | 'amountMismatches', number>> = {}) => ({
  kind,
  providerAmount: money(providerAmount),
  ledgerAmount: money(ledgerAmount),
  matched: 0,
  missingInLedger: 0,
  missingAtProvider: 0,
  amountMismatches: 0,
  ...counts,
});
const emptyTotals = () => [total('CHARGE', 0, 0), total('REFUND', 0, 0), total('PAYOUT', 0, 0)];

/** The mock provider's reference for the payment `paid()` opened. */
const chargeOf = (s: Scenario) => `mock_pay_${keyOf(s.payment.id)}`;

/** Pays the closed settlement of the scenario's (completed) shop; returns the payout's global ID, key and amount. */
async function payout(s: Scenario): Promise<{ id: string; key: string; amount: number; reference: string }> {
  clock.advance(60_000);
  await runTask('close-settlements');
  const [settlement] = await t.sql(`select id, payable from settlement where shop_id = ? and status = 'CLOSED'`, [s.shop.shop.id]);
  const created = okPayload(await t.gql(CREATE, { input: { settlementId: idOf('Settlement', settlement.id) } }, { token: finance.token }), 'createPayout', 'payout');
  return { id: created.id, key: keyOf(created.id), amount: Number(settlement.payable), reference: created.providerReference };
}

describe('reconciliation', () => {
  it('matches a day’s charges and refunds, and a later day’s payout, with their postings, in one statement whatever the volume', async () => {
    clock.set(new Date('2032-01-10T02:00:00Z'));
    const day = shanghaiDay(clock.now());
    const empty = await t.countQueries(REPORT, { date: day }, { token: finance.token });
    expect(empty.result.data!.reconciliation).toEqual({ date: day, matched: [], missingInLedger: [], missingAtProvider: [], amountMismatches: [], totals: emptyTotals() });

    const keptJourney = scenario(t).shop().product({ price: 5_000 }).buyer().inCart(1).paid();
    const kept = await keptJourney.run();
    const chargedAt = clock.now();
    const cancelled = await scenario(t).shop().product({ price: 3_000 }).buyer().inCart(1).paid().run();
    expect(payloadOf(await t.gql(CANCEL, { input: { orderId: cancelled.order.id } }, { token: cancelled.buyer.token }), 'cancelOrder').order.status).toBe('CANCELLED');
    clock.advance(60_000);
    expect(await runTask('send-refunds')).toBe('done: 1');
    const [refund] = await t.sql('select id, provider_reference from refund where order_id = ?', [cancelled.order.key]);
    expect(refund.provider_reference).toBe(`mock_refund_${refund.id}`);

    const busy = await t.countQueries(REPORT, { date: day }, { token: finance.token });
    expect(busy.result.data!.reconciliation).toEqual({
      date: day,
      matched: [item('CHARGE', chargeOf(kept), 5_000, 5_000, chargedAt), item('CHARGE', chargeOf(cancelled), 3_000, 3_000, chargedAt), item('REFUND', refund.provider_reference, 3_000, 3_000, clock.now())].sort(
        (a, b) => a.at.localeCompare(b.at) || a.kind.localeCompare(b.kind) || String(a.reference).localeCompare(String(b.reference)),
      ),
      missingInLedger: [],
      missingAtProvider: [],
      amountMismatches: [],
      totals: [total('CHARGE', 8_000, 8_000, { matched: 2 }), total('REFUND', 3_000, 3_000, { matched: 1 }), total('PAYOUT', 0, 0)],
    });
    expect(busy.queries).toBe(empty.queries);

    // The kept order completes a week later; its settlement is paid out that day.
    await keptJourney.completed().run();
    const p = await payout(kept);
    expect((await payoutWebhook(t, { eventId: `evt-${p.key}-paid`, type: 'payout.paid', payoutId: p.id })).statusCode).toBe(200);
    const payoutDay = await report(shanghaiDay(clock.now()));
    expect(payoutDay.matched).toEqual([item('PAYOUT', p.reference, p.amount, p.amount, clock.now())]);
    expect(payoutDay.totals[2]).toEqual(total('PAYOUT', 4_750, 4_750, { matched: 1 }));
    expect([payoutDay.missingInLedger, payoutDay.missingAtProvider, payoutDay.amountMismatches]).toEqual([[], [], []]);
  });

  it('reports a charge the provider took at another amount than the ledger’s as a mismatch', async () => {
    clock.set(new Date('2032-02-10T04:00:00Z'));
    const s = await scenario(t).shop().product({ price: 2_000 }).buyer().inCart(1).checkout().run();
    const { payment } = okPayload(await t.gql(PAY, { input: { checkoutId: s.checkout.id, provider: 'MOCK' } }, { token: s.buyer.token }), 'payCheckout');
    expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id, amountMinor: 2_150 })).statusCode).toBe(200);
    const r = await report(shanghaiDay(clock.now()));
    expect(r.amountMismatches).toEqual([item('CHARGE', `mock_pay_${keyOf(payment.id)}`, 2_150, 2_000, clock.now())]);
    expect(r.totals[0]).toEqual(total('CHARGE', 2_150, 2_000, { amountMismatches: 1 }));
    expect([r.matched, r.missingInLedger, r.missingAtProvider]).toEqual([[], [], []]);
  });

  it('reports a posting whose provider record is gone as missing at the provider', async () => {
    clock.set(new Date('2032-03-10T04:00:00Z'));
    const s = await scenario(t).shop().product({ price: 1_200 }).buyer().inCart(1).paid().run();
    await t.sql(`delete from mock_provider_record where kind = 'CHARGE' and reference = ?`, [chargeOf(s)]);
    const r = await report(shanghaiDay(clock.now()));
    expect(r.missingAtProvider).toEqual([item('CHARGE', chargeOf(s), null, 1_200, clock.now())]);
    expect(r.totals[0]).toEqual(total('CHARGE', 0, 1_200, { missingAtProvider: 1 }));
    expect([r.matched, r.missingInLedger, r.amountMismatches]).toEqual([[], [], []]);
  });

  it('reports a payout the provider paid for an attempt since retried as missing in the ledger, and matches a charge that succeeded after failing', async () => {
    clock.set(new Date('2032-04-01T04:00:00Z'));
    const s = await scenario(t).shop().product({ price: 6_000 }).buyer().inCart(1).completed().run();
    const p = await payout(s);
    expect((await payoutWebhook(t, { eventId: `evt-${p.key}-failed`, type: 'payout.failed', payoutId: p.id, reason: 'Account frozen' })).json().outcome).toBe('processed');
    const retried = await t.gql(`mutation($id: ID!) { retryPayout(input: {id: $id}) { payout { attempt } errors { code } } }`, { id: p.id }, { token: finance.token });
    expect(retried.data!.retryPayout.payout.attempt).toBe(2);
    // The provider pays the first attempt after all: the event names it, so the current attempt is untouched.
    expect((await payoutWebhook(t, { eventId: `evt-${p.key}-paid`, type: 'payout.paid', payoutId: p.id, attempt: 1 })).json().outcome).toBe('ignored');
    expect((await t.sql('select status, attempt from payout where id = ?', [p.key]))[0]).toEqual({ status: 'PENDING', attempt: 2 });
    const payoutAt = clock.now();

    const failedFirst = await scenario(t).shop().product({ price: 900 }).buyer().inCart(1).checkout().run();
    const { payment } = okPayload(await t.gql(PAY, { input: { checkoutId: failedFirst.checkout.id, provider: 'MOCK' } }, { token: failedFirst.buyer.token }), 'payCheckout');
    expect((await webhook(t, { eventId: newKey(), type: 'payment.failed', paymentId: payment.id })).statusCode).toBe(200);
    expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id })).statusCode).toBe(200);

    const r = await report(shanghaiDay(clock.now()));
    expect(r.missingInLedger).toEqual([item('PAYOUT', p.reference, p.amount, null, payoutAt)]);
    expect(r.matched).toEqual([item('CHARGE', `mock_pay_${keyOf(payment.id)}`, 900, 900, clock.now())]);
    expect(r.totals).toEqual([total('CHARGE', 900, 900, { matched: 1 }), total('REFUND', 0, 0), total('PAYOUT', p.amount, 0, { missingInLedger: 1 })]);
  });

  it('reads the date as the Asia/Shanghai business day, and reports a pair on the day of the provider’s record', async () => {
    // 01:00 in Shanghai on 2032-05-11 is still 2032-05-10 in UTC.
    clock.set(new Date('2032-05-10T17:00:00Z'));
    const s = await scenario(t).shop().product({ price: 700 }).buyer().inCart(1).paid().run();
    const postedAt = clock.now();
    expect((await report('2032-05-10')).matched).toEqual([]);
    expect((await report('2032-05-11')).matched).toEqual([item('CHARGE', chargeOf(s), 700, 700, postedAt)]);

    // The provider's record moved to the next day: our posting of the 11th is not missing there, the pair shows on the 12th.
    const providerAt = new Date('2032-05-11T16:00:30Z');
    await t.sql(`update mock_provider_record set at = ? where kind = 'CHARGE' and reference = ?`, [providerAt, chargeOf(s)]);
    const eleventh = await report('2032-05-11');
    expect([eleventh.matched, eleventh.missingAtProvider, eleventh.missingInLedger, eleventh.amountMismatches]).toEqual([[], [], [], []]);
    expect((await report('2032-05-12')).matched).toEqual([item('CHARGE', chargeOf(s), 700, 700, providerAt)]);
  });

  it('is for staff FINANCE (and ADMIN) only, and takes a real calendar day', async () => {
    expect((await report('2032-06-01', admin.token)).date).toBe('2032-06-01');
    const { shop } = await scenario(t).shop({ members: [ShopMemberRole.FINANCE] }).run();
    const callers = [
      ...(await Promise.all([StaffRole.REVIEWER, StaffRole.OPERATIONS, StaffRole.CUSTOMER_SERVICE, StaffRole.RISK, StaffRole.ANALYST].map(async (role) => (await staff(t, role)).token))),
      shop.owner.token,
      shop.members.FINANCE!.token,
      (await userWithToken(t)).token,
    ];
    for (const token of callers) expect(code(await t.gql(REPORT, { date: '2032-06-01' }, { token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(REPORT, { date: '2032-06-01' }))).toBe('UNAUTHENTICATED');
    for (const date of ['2032-02-30', '2032-6-1', '2032-06-01T00:00:00Z', '0000-01-01']) {
      expect([date, code(await t.gql(REPORT, { date }, { token: finance.token }))]).toEqual([date, 'BAD_USER_INPUT']);
    }
  });
});

