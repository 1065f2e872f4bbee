import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { MockPayoutProvider } from '../../src/services/money';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { payoutWebhook } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { idOf, keyOf, okPayload } from '../helpers/kit';
import { accountBalances, expectLedgerInvariants, postings, shopAccounts } from '../helpers/ledger';
import { type ScenarioShop, scenario } from '../helpers/scenario';

/**
 * The payout provider's webhook, `POST /webhooks/payouts/mock`: signed like the payment webhook
 * (PAYOUT_WEBHOOK_SECRET), applied once per event id, moving a PENDING payout to PAID or FAILED
 * with its posting; a failed payout retried and then paid, with the ledger after each step.
 */

const clock = new ManualClock(new Date('2031-05-04T03:00:00Z'));
const CREATE = `mutation($input: CreatePayoutInput!) { createPayout(input: $input) { payout { id status attempt providerReference } errors { code } } }`;
const RETRY = `mutation($input: IdInput!) { retryPayout(input: $input) { payout { id status attempt providerReference failureReason failedAt paidAt } errors { code } } }`;
const PAYOUT = `query($id: ID!) { node(id: $id) { ... on Payout { status attempt providerReference failureReason paidAt failedAt } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

let t: TestApp;
let admin: { token: string };
let finance: { token: string };

beforeAll(async () => {
  t = await createTestApp({ SETTLEMENT_PERIOD: 'CONTINUOUS', PAYOUT_WEBHOOK_SECRET: 'payout-secret-for-tests' }, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  finance = await staff(t, StaffRole.FINANCE);
});
afterAll(() => t.close());

/** A shop's closed settlement of one completed order, paid out: the payout's global ID, key and amount. */
async function pendingPayout(price = 8_000): Promise<{ shop: ScenarioShop; id: string; key: string; amount: number }> {
  const s = await scenario(t).shop().product({ price }).buyer().inCart(1).completed().run();
  clock.advance(60_000);
  okPayload(await t.gql(RUN, { input: { name: 'close-settlements' } }, { token: admin.token }), 'runScheduledTask');
  const [settlement] = await t.sql(`select id, payable from settlement where shop_id = ? and status = 'CLOSED'`, [s.shop.shop.id]);
  const payout = okPayload(await t.gql(CREATE, { input: { settlementId: idOf('Settlement', settlement.id) } }, { token: finance.token }), 'createPayout', 'payout');
  return { shop: s.shop, id: payout.id, key: keyOf(payout.id), amount: Number(settlement.payable) };
}

const payoutRow = async (key: string) => (await t.sql('select status, attempt, provider_reference, failure_reason, paid_at, failed_at from payout where id = ?', [key]))[0];
const payoutPostings = (key: string) => t.sql('select kind, payout_attempt from ledger_posting where payout_id = ? order by id', [key]);
const events = (key: string) => t.sql('select event_id, type from payout_event where payout_id = ? order by id', [key]);
const mockBooks = (key: string) => t.sql(`select reference, status from mock_provider_record where kind = 'PAYOUT' and reference like ? order by reference`, [`mock_payout_${key}_%`]);

describe('POST /webhooks/payouts/mock', () => {
  it('refuses a bad signature with 401 and changes nothing', async () => {
    const p = await pendingPayout();
    const event = { eventId: `evt-${p.key}-forged`, type: 'payout.paid', payoutId: p.id };
    const forged = new MockPayoutProvider('not-the-secret').sign(JSON.stringify(event));
    for (const signature of [forged, '', 'sha256=00', new MockPayoutProvider(t.config.paymentWebhookSecret).sign(JSON.stringify(event))]) {
      const res = await payoutWebhook(t, event, signature);
      expect(res.statusCode).toBe(401);
    }
    expect(await payoutRow(p.key)).toMatchObject({ status: 'PENDING', paid_at: null });
    expect(await events(p.key)).toEqual([]);
    expect(await payoutPostings(p.key)).toEqual([{ kind: 'PAYOUT_CREATED', payout_attempt: 1 }]);
    expect(await mockBooks(p.key)).toEqual([{ reference: `mock_payout_${p.key}_1`, status: 'OPEN' }]);
  });

  it('answers 400 to a signed body that is not JSON or not a payout event', async () => {
    const p = await pendingPayout();
    const bodies = [
      'not json',
      { type: 'payout.paid', payoutId: p.id },
      { eventId: 'evt-bad-type', type: 'payment.succeeded', payoutId: p.id },
      { eventId: 'evt-no-payout', type: 'payout.paid' },
      { eventId: 'evt-id with spaces', type: 'payout.paid', payoutId: p.id },
      { eventId: 'evt-bad-reason', type: 'payout.failed', payoutId: p.id, reason: 42 },
    ];
    for (const body of bodies) expect([body, (await payoutWebhook(t, body)).statusCode]).toEqual([body, 400]);
    expect(await payoutRow(p.key)).toMatchObject({ status: 'PENDING' });
    expect(await events(p.key)).toEqual([]);
  });

  it('answers 404 to an event for no payout of ours, and for an unknown provider', async () => {
    for (const payoutId of [idOf('Payout', '987654321'), idOf('Payment', '1'), 'not-an-id']) {
      const res = await payoutWebhook(t, { eventId: `evt-unknown-${payoutId}`, type: 'payout.paid', payoutId });
      expect([payoutId, res.statusCode]).toEqual([payoutId, 404]);
    }
    const res = await t.app.http.inject({ method: 'POST', url: '/webhooks/payouts/acme', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(res.statusCode).toBe(404);
  });

  it('pays a PENDING payout once: PAYOUT_PAID posted, the provider’s record DONE; a replay and a later failure change nothing', async () => {
    const p = await pendingPayout();
    const before = await accountBalances(t);
    const event = { eventId: `evt-${p.key}-paid`, type: 'payout.paid', payoutId: p.id };
    const res = await payoutWebhook(t, event);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, outcome: 'processed' });
    expect(await payoutRow(p.key)).toMatchObject({ status: 'PAID', attempt: 1, failure_reason: null });
    expect(new Date((await payoutRow(p.key)).paid_at).toISOString()).toBe(clock.now().toISOString());
    const [paid] = await postings(t, `p.payout_id = ? and p.kind = 'PAYOUT_PAID'`, [p.key]);
    expect(paid.entries).toEqual([
      { account: 'BUYER_PAYMENTS', amount: -p.amount, shop: p.shop.shop.id, order: null },
      { account: 'PAYOUTS_IN_TRANSIT', amount: p.amount, shop: p.shop.shop.id, order: null },
    ]);
    expect(await mockBooks(p.key)).toEqual([{ reference: `mock_payout_${p.key}_1`, status: 'DONE' }]);

    const replay = await payoutWebhook(t, event);
    expect(replay.json()).toEqual({ ok: true, outcome: 'replayed' });
    const late = await payoutWebhook(t, { eventId: `evt-${p.key}-late-failure`, type: 'payout.failed', payoutId: p.id, reason: 'Bank rejected' });
    expect(late.json()).toEqual({ ok: true, outcome: 'ignored' });
    expect(await payoutRow(p.key)).toMatchObject({ status: 'PAID', failure_reason: null, failed_at: null });
    expect(await payoutPostings(p.key)).toEqual([
      { kind: 'PAYOUT_CREATED', payout_attempt: 1 },
      { kind: 'PAYOUT_PAID', payout_attempt: 1 },
    ]);
    expect(await events(p.key)).toEqual([
      { event_id: event.eventId, type: 'payout.paid' },
      { event_id: `evt-${p.key}-late-failure`, type: 'payout.failed' },
    ]);
    expect(await mockBooks(p.key)).toEqual([{ reference: `mock_payout_${p.key}_1`, status: 'DONE' }]);
    const after = await accountBalances(t);
    expect(after.BUYER_PAYMENTS - before.BUYER_PAYMENTS).toBe(-p.amount);
    expect(after.PAYOUTS_IN_TRANSIT - before.PAYOUTS_IN_TRANSIT).toBe(p.amount);
    await expectLedgerInvariants(t, 'after a paid payout and its replays');
  });

  it('applies one of several simultaneous deliveries of the same event', async () => {
    const p = await pendingPayout();
    const event = { eventId: `evt-${p.key}-storm`, type: 'payout.paid', payoutId: p.id };
    const results = await Promise.all(Array.from({ length: 5 }, () => payoutWebhook(t, event)));
    expect(results.map((r) => r.json().outcome).sort()).toEqual(['processed', 'replayed', 'replayed', 'replayed', 'replayed']);
    expect(await payoutPostings(p.key)).toEqual([
      { kind: 'PAYOUT_CREATED', payout_attempt: 1 },
      { kind: 'PAYOUT_PAID', payout_attempt: 1 },
    ]);
  });

  it('takes a payout through failed → retried → paid, the shop’s accounts right after each step', async () => {
    const p = await pendingPayout(12_000);
    const shopKey = p.shop.shop.id;
    expect(await shopAccounts(t, shopKey)).toEqual({ payable: 0, inTransit: -p.amount });

    // Failed: the money is back in SHOP_PAYABLE.
    const failed = await payoutWebhook(t, { eventId: `evt-${p.key}-failed`, type: 'payout.failed', payoutId: p.id, reason: 'Account closed' });
    expect(failed.json()).toEqual({ ok: true, outcome: 'processed' });
    const failedAt = clock.now().toISOString();
    expect((await t.gql(PAYOUT, { id: p.id }, { token: finance.token })).data!.node).toEqual({
      status: 'FAILED',
      attempt: 1,
      providerReference: `mock_payout_${p.key}_1`,
      failureReason: 'Account closed',
      paidAt: null,
      failedAt,
    });
    expect(await shopAccounts(t, shopKey)).toEqual({ payable: -p.amount, inTransit: 0 });
    expect(await mockBooks(p.key)).toEqual([{ reference: `mock_payout_${p.key}_1`, status: 'FAILED' }]);

    // Retried: attempt 2, in transit again, sent with a new key.
    clock.advance(3_600_000);
    const retried = okPayload(await t.gql(RETRY, { input: { id: p.id } }, { token: finance.token }), 'retryPayout', 'payout');
    expect(retried).toEqual({ id: p.id, status: 'PENDING', attempt: 2, providerReference: `mock_payout_${p.key}_2`, failureReason: 'Account closed', failedAt, paidAt: null });
    expect(await shopAccounts(t, shopKey)).toEqual({ payable: 0, inTransit: -p.amount });
    expect(await mockBooks(p.key)).toEqual([
      { reference: `mock_payout_${p.key}_1`, status: 'FAILED' },
      { reference: `mock_payout_${p.key}_2`, status: 'OPEN' },
    ]);
    const [audit] = await t.sql(`select before, after from audit_entry where action = 'payout.retry' and target_id = ?`, [p.key]);
    expect(audit).toEqual({ before: { status: 'FAILED', attempt: 1, failureReason: 'Account closed' }, after: { status: 'PENDING', attempt: 2 } });

    // Paid: out of the platform.
    const paid = await payoutWebhook(t, { eventId: `evt-${p.key}-paid`, type: 'payout.paid', payoutId: p.id });
    expect(paid.json()).toEqual({ ok: true, outcome: 'processed' });
    expect(await shopAccounts(t, shopKey)).toEqual({ payable: 0, inTransit: 0 });
    expect(await payoutRow(p.key)).toMatchObject({ status: 'PAID', attempt: 2, provider_reference: `mock_payout_${p.key}_2` });
    expect(await payoutPostings(p.key)).toEqual([
      { kind: 'PAYOUT_CREATED', payout_attempt: 1 },
      { kind: 'PAYOUT_FAILED', payout_attempt: 1 },
      { kind: 'PAYOUT_CREATED', payout_attempt: 2 },
      { kind: 'PAYOUT_PAID', payout_attempt: 2 },
    ]);
    expect(await mockBooks(p.key)).toEqual([
      { reference: `mock_payout_${p.key}_1`, status: 'FAILED' },
      { reference: `mock_payout_${p.key}_2`, status: 'DONE' },
    ]);
    // The FAILED posting names the reason.
    expect((await postings(t, `p.payout_id = ? and p.kind = 'PAYOUT_FAILED'`, [p.key]))[0].memo).toBe('Account closed');
    await expectLedgerInvariants(t, 'after failed, retried and paid');
  });

  it('takes a payment the provider reports after failing the same attempt: PAID from SHOP_PAYABLE, and no retry', async () => {
    const p = await pendingPayout();
    const shopKey = p.shop.shop.id;
    expect((await payoutWebhook(t, { eventId: `evt-${p.key}-failed`, type: 'payout.failed', payoutId: p.id })).json().outcome).toBe('processed');
    expect(await shopAccounts(t, shopKey)).toEqual({ payable: -p.amount, inTransit: 0 });
    expect((await payoutWebhook(t, { eventId: `evt-${p.key}-paid`, type: 'payout.paid', payoutId: p.id, attempt: 1 })).json().outcome).toBe('processed');
    expect(await payoutRow(p.key)).toMatchObject({ status: 'PAID', attempt: 1 });
    expect(await shopAccounts(t, shopKey)).toEqual({ payable: 0, inTransit: 0 });
    expect(await payoutPostings(p.key)).toEqual([
      { kind: 'PAYOUT_CREATED', payout_attempt: 1 },
      { kind: 'PAYOUT_FAILED', payout_attempt: 1 },
      { kind: 'PAYOUT_PAID', payout_attempt: 1 },
    ]);
    expect(await mockBooks(p.key)).toEqual([{ reference: `mock_payout_${p.key}_1`, status: 'DONE' }]);
    const retry = await t.gql(RETRY, { input: { id: p.id } }, { token: finance.token });
    expect(retry.data!.retryPayout.errors.map((e: { code: string }) => e.code)).toEqual(['INVALID_TRANSITION']);
    await expectLedgerInvariants(t, 'after paid following a failure');
  });

  it('leaves the current attempt alone when an event names another one', async () => {
    const p = await pendingPayout();
    expect((await payoutWebhook(t, { eventId: `evt-${p.key}-other`, type: 'payout.paid', payoutId: p.id, attempt: 2 })).json().outcome).toBe('ignored');
    expect(await payoutRow(p.key)).toMatchObject({ status: 'PENDING', attempt: 1 });
    expect(await payoutPostings(p.key)).toEqual([{ kind: 'PAYOUT_CREATED', payout_attempt: 1 }]);
    // A malformed attempt is refused outright.
    expect((await payoutWebhook(t, { eventId: `evt-${p.key}-bad`, type: 'payout.paid', payoutId: p.id, attempt: 0 })).statusCode).toBe(400);
  });
});
