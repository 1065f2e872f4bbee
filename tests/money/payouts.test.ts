import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { MockPayoutProvider, PAYOUT_SEND_LEASE_MS } from '../../src/services/money';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { payoutWebhook } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, idOf, keyOf, okPayload, outcomeOf, payloadOf } from '../helpers/kit';
import { expectLedgerInvariants, postings, shopAccounts } from '../helpers/ledger';
import { type Scenario, type ScenarioShop, scenario } from '../helpers/scenario';

/**
 * Payouts: finance staff pay a CLOSED settlement's payable amount to its shop (createPayout), once
 * per settlement; the provider is called after the commit with the attempt's idempotency key, and
 * `send-payouts` sends what a crash left unsent. Who may create, retry and list them.
 */

const clock = new ManualClock(new Date('2031-03-02T02:00:00Z'));
const PAYOUT_FIELDS = 'id status attempt providerReference failureReason paidAt failedAt createdAt amount { amountMinor } settlement { id } shop { id }';
const CREATE = `mutation($input: CreatePayoutInput!) { createPayout(input: $input) { payout { ${PAYOUT_FIELDS} } errors { code field message } } }`;
const RETRY = `mutation($input: IdInput!) { retryPayout(input: $input) { payout { ${PAYOUT_FIELDS} } errors { code field message } } }`;
const PAYOUTS = `query($filter: PayoutFilter, $first: Int, $after: String) { payouts(filter: $filter, first: $first, after: $after) { totalCount nodes { id status shop { id } } pageInfo { hasNextPage endCursor } } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on Payout { status amount { amountMinor } } } }`;
const ADJUST = `mutation($input: AdjustSettlementInput!) { adjustSettlement(input: $input) { settlement { id status } errors { code } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code } } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

let t: TestApp;
let admin: { token: string };
let finance: { token: string; user: { id: string } };

beforeAll(async () => {
  t = await createTestApp({ SETTLEMENT_PERIOD: 'CONTINUOUS', DEFAULT_COMMISSION_RATE: '0.05' }, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  finance = await staff(t, StaffRole.FINANCE);
});
afterAll(() => t.close());
afterEach(() => vi.restoreAllMocks());

const runTask = async (name: string): Promise<string> => okPayload(await t.gql(RUN, { input: { name } }, { token: admin.token }), 'runScheduledTask').task.lastResult;

/** close-settlements a minute on: under CONTINUOUS it closes what became final strictly before its run. */
async function closeSettlements(): Promise<void> {
  clock.advance(60_000);
  await runTask('close-settlements');
}

interface Closed {
  s: Scenario;
  shop: ScenarioShop;
  /** Global ID of the shop's CLOSED settlement. */
  settlementId: string;
  payable: number;
}

/** A shop (with `members`) whose completed order of `price` is in a CLOSED settlement (close-settlements under CONTINUOUS). */
async function closedSettlement(price = 10_000, members: ShopMemberRole[] = []): Promise<Closed> {
  const s = await scenario(t).shop({ members }).product({ price }).buyer().inCart(1).completed().run();
  await closeSettlements();
  return { s, shop: s.shop, ...(await lastSettlement(s.shop)) };
}

async function lastSettlement(shop: ScenarioShop): Promise<{ settlementId: string; payable: number; status: string }> {
  const [row] = await t.sql('select id, payable, status from settlement where shop_id = ? order by id desc limit 1', [shop.shop.id]);
  return { settlementId: idOf('Settlement', row.id), payable: Number(row.payable), status: row.status };
}

const create = (settlementId: string, token = finance.token) => t.gql(CREATE, { input: { settlementId } }, { token });
const retry = (payoutId: string, token = finance.token) => t.gql(RETRY, { input: { id: payoutId } }, { token });

const payoutRows = (settlementId: string) => t.sql('select id::text, status, attempt, amount, provider_reference, sending_at from payout where settlement_id = ?', [keyOf(settlementId)]);
const mockPayouts = (payoutKey: string) => t.sql(`select reference, amount, status from mock_provider_record where kind = 'PAYOUT' and reference like ? order by reference`, [`mock_payout_${payoutKey}_%`]);

describe('createPayout', () => {
  it('pays a closed settlement’s payable amount: PENDING, sent with key payout_<id>_1, SHOP_PAYABLE moved to PAYOUTS_IN_TRANSIT, audited', async () => {
    const { shop, settlementId, payable } = await closedSettlement(10_000);
    expect(payable).toBe(10_000 - 500);
    expect(await shopAccounts(t, shop.shop.id)).toEqual({ payable: -payable, inTransit: 0 });
    const send = vi.spyOn(MockPayoutProvider.prototype, 'sendPayout');

    const payout = okPayload(await create(settlementId), 'createPayout', 'payout');
    const key = keyOf(payout.id);
    expect(payout).toMatchObject({
      status: 'PENDING',
      attempt: 1,
      providerReference: `mock_payout_${key}_1`,
      failureReason: null,
      paidAt: null,
      amount: { amountMinor: payable },
      settlement: { id: settlementId },
      shop: { id: shop.shopId },
      createdAt: clock.now().toISOString(),
    });
    expect(send.mock.calls.map(([p]) => p)).toEqual([{ id: `payout_${key}_1`, amount: payable, currency: t.config.currency, shopId: shop.shop.id }]);
    expect(await mockPayouts(key)).toEqual([{ reference: `mock_payout_${key}_1`, amount: String(payable), status: 'OPEN' }]);
    const [posting] = await postings(t, `p.payout_id = ?`, [key]);
    expect(posting).toMatchObject({ kind: 'PAYOUT_CREATED' });
    expect(posting.entries).toEqual([
      { account: 'PAYOUTS_IN_TRANSIT', amount: -payable, shop: shop.shop.id, order: null },
      { account: 'SHOP_PAYABLE', amount: payable, shop: shop.shop.id, order: null },
    ]);
    expect(await shopAccounts(t, shop.shop.id)).toEqual({ payable: 0, inTransit: -payable });
    const [audit] = await t.sql(`select action, actor_id::text, after from audit_entry where target_type = 'Payout' and target_id = ?`, [key]);
    expect(audit).toMatchObject({ action: 'payout.create', actor_id: finance.user.id, after: { settlementId: keyOf(settlementId), amountMinor: payable } });
    await expectLedgerInvariants(t, 'after createPayout');
  });

  it('lets an ADMIN create one (ADMIN passes every staff rule)', async () => {
    const { settlementId } = await closedSettlement(3_000);
    expect(okPayload(await create(settlementId, admin.token), 'createPayout', 'payout').status).toBe('PENDING');
  });

  it('refuses a second payout of the same settlement: PAYOUT_ALREADY_EXISTS, nothing posted', async () => {
    const { settlementId } = await closedSettlement();
    okPayload(await create(settlementId), 'createPayout', 'payout');
    const again = payloadOf(await create(settlementId), 'createPayout');
    expect(again.payout).toBeNull();
    expect(again.errors.map((e: { code: string; field: string[] }) => [e.code, e.field.join('.')])).toEqual([['PAYOUT_ALREADY_EXISTS', 'input.settlementId']]);
    const [row] = await payoutRows(settlementId);
    expect(await t.sql(`select kind from ledger_posting where payout_id = ?`, [row.id])).toEqual([{ kind: 'PAYOUT_CREATED' }]);
  });

  it('creates exactly one payout and one PAYOUT_CREATED posting when two creates race', async () => {
    const { settlementId, shop, payable } = await closedSettlement();
    const results = await Promise.all([create(settlementId), create(settlementId), create(settlementId)]);
    expect(results.map((r) => outcomeOf(r, 'createPayout')).sort()).toEqual(['OK', 'PAYOUT_ALREADY_EXISTS', 'PAYOUT_ALREADY_EXISTS']);
    const rows = await payoutRows(settlementId);
    expect(rows).toHaveLength(1);
    expect(await t.sql(`select kind, payout_attempt from ledger_posting where payout_id = ?`, [rows[0].id])).toEqual([{ kind: 'PAYOUT_CREATED', payout_attempt: 1 }]);
    expect(await mockPayouts(rows[0].id)).toHaveLength(1);
    expect(await shopAccounts(t, shop.shop.id)).toEqual({ payable: 0, inTransit: -payable });
    await expectLedgerInvariants(t, 'after racing creates');
  });

  it('refuses an OPEN settlement: SETTLEMENT_NOT_CLOSED', async () => {
    const { shop } = await scenario(t).shop().run();
    const adjusted = okPayload(await t.gql(ADJUST, { input: { shopId: shop.shopId, amount: '50.00', reason: 'Compensation for a lost parcel' } }, { token: finance.token }), 'adjustSettlement', 'settlement');
    expect(adjusted.status).toBe('OPEN');
    const res = payloadOf(await create(adjusted.id), 'createPayout');
    expect(res).toEqual({ payout: null, errors: [{ code: 'SETTLEMENT_NOT_CLOSED', field: ['input', 'settlementId'], message: expect.any(String) }] });
    expect(await payoutRows(adjusted.id)).toEqual([]);
  });

  it('refuses a settlement whose payable is zero (its only order cancelled and refunded) or negative (a fee): NOTHING_TO_PAY', async () => {
    // Zero: the order was paid, then cancelled by its buyer and refunded in full.
    const s = await scenario(t).shop().product({ price: 4_000 }).buyer().inCart(1).paid().run();
    expect(payloadOf(await t.gql(CANCEL, { input: { orderId: s.order.id } }, { token: s.buyer.token }), 'cancelOrder').order.status).toBe('CANCELLED');
    await closeSettlements();
    const zero = await lastSettlement(s.shop);
    expect(zero).toMatchObject({ status: 'CLOSED', payable: 0 });
    expect(payloadOf(await create(zero.settlementId), 'createPayout').errors.map((e: { code: string }) => e.code)).toEqual(['NOTHING_TO_PAY']);

    // Negative: a 100.00 sale less a 200.00 fee.
    const { shop } = await closedSettlement(10_000);
    okPayload(await t.gql(ADJUST, { input: { shopId: shop.shopId, amount: '-200.00', reason: 'Penalty for a counterfeit listing' } }, { token: finance.token }), 'adjustSettlement', 'settlement');
    await closeSettlements();
    const negative = await lastSettlement(shop);
    expect(negative).toMatchObject({ status: 'CLOSED', payable: -20_000 });
    expect(payloadOf(await create(negative.settlementId), 'createPayout').errors.map((e: { code: string }) => e.code)).toEqual(['NOTHING_TO_PAY']);
    expect(await t.sql('select id from payout where settlement_id in (?, ?)', [keyOf(zero.settlementId), keyOf(negative.settlementId)])).toEqual([]);
  });

  it('answers NOT_FOUND for an unknown settlement or an ID of another type', async () => {
    expect(code(await create(idOf('Settlement', '987654321')))).toBe('NOT_FOUND');
    expect(code(await create(idOf('Shop', '1')))).toBe('NOT_FOUND');
  });
});

describe('retryPayout', () => {
  it('refuses a payout that has not failed: INVALID_TRANSITION for PENDING and for PAID', async () => {
    const { settlementId } = await closedSettlement();
    const payout = okPayload(await create(settlementId), 'createPayout', 'payout');
    expect(payloadOf(await retry(payout.id), 'retryPayout')).toEqual({ payout: null, errors: [{ code: 'INVALID_TRANSITION', field: null, message: expect.any(String) }] });
    expect((await payoutWebhook(t, { eventId: `paid-${payout.id}`, type: 'payout.paid', payoutId: payout.id })).statusCode).toBe(200);
    expect(payloadOf(await retry(payout.id), 'retryPayout').errors.map((e: { code: string }) => e.code)).toEqual(['INVALID_TRANSITION']);
    const [row] = await payoutRows(settlementId);
    expect(row).toMatchObject({ status: 'PAID', attempt: 1 });
    expect(code(await retry(idOf('Payout', '987654321')))).toBe('NOT_FOUND');
  });
});

describe('who may pay out', () => {
  const STAFF = [StaffRole.REVIEWER, StaffRole.OPERATIONS, StaffRole.CUSTOMER_SERVICE, StaffRole.RISK, StaffRole.ANALYST];
  const SHOP_ROLES = [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR, ShopMemberRole.CUSTOMER_SERVICE, ShopMemberRole.FINANCE];

  it('keeps createPayout and retryPayout to staff FINANCE: FORBIDDEN to other staff, every shop role and shoppers, and nothing changes', async () => {
    const closed = await closedSettlement(5_000, SHOP_ROLES);
    const failed = await closedSettlement(5_000);
    const failedPayout = okPayload(await create(failed.settlementId), 'createPayout', 'payout');
    expect((await payoutWebhook(t, { eventId: `fail-${failedPayout.id}`, type: 'payout.failed', payoutId: failedPayout.id, reason: 'Account closed' })).statusCode).toBe(200);
    const callers: [string, string][] = [
      ...(await Promise.all(STAFF.map(async (role) => [`staff ${role}`, (await staff(t, role)).token] as [string, string]))),
      ['shop OWNER', closed.shop.owner.token],
      ...SHOP_ROLES.map((role) => [`shop ${role}`, closed.shop.members[role]!.token] as [string, string]),
      ['a shopper', (await userWithToken(t)).token],
    ];
    for (const [who, token] of callers) {
      expect([who, code(await create(closed.settlementId, token))]).toEqual([who, 'FORBIDDEN']);
      expect([who, code(await retry(failedPayout.id, token))]).toEqual([who, 'FORBIDDEN']);
    }
    expect(code(await create(closed.settlementId, ''))).toBe('UNAUTHENTICATED');
    expect(await payoutRows(closed.settlementId)).toEqual([]);
    expect((await payoutRows(failed.settlementId))[0]).toMatchObject({ status: 'FAILED', attempt: 1 });
  });
});

describe('payouts', () => {
  it('lists every shop’s payouts to finance staff, filtered by shop and status, newest first, a page at a time', async () => {
    const a = await closedSettlement(2_000);
    const b = await closedSettlement(3_000);
    const pa = okPayload(await create(a.settlementId), 'createPayout', 'payout');
    const pb = okPayload(await create(b.settlementId), 'createPayout', 'payout');
    expect((await payoutWebhook(t, { eventId: `paid-${pb.id}`, type: 'payout.paid', payoutId: pb.id })).statusCode).toBe(200);

    const all = (await t.gql(PAYOUTS, { first: 2 }, { token: finance.token })).data!.payouts;
    expect(all.nodes.map((n: { id: string }) => n.id)).toEqual([pb.id, pa.id]);
    expect(all.pageInfo.hasNextPage).toBe(all.totalCount > 2);
    const next = (await t.gql(PAYOUTS, { first: 1, after: all.pageInfo.endCursor }, { token: finance.token })).data!.payouts;
    expect(next.nodes.every((n: { id: string }) => n.id !== pa.id && n.id !== pb.id)).toBe(true);

    const ofA = (await t.gql(PAYOUTS, { filter: { shopId: a.shop.shopId } }, { token: finance.token })).data!.payouts;
    expect(ofA).toMatchObject({ totalCount: 1, nodes: [{ id: pa.id, status: 'PENDING', shop: { id: a.shop.shopId } }] });
    const paid = (await t.gql(PAYOUTS, { filter: { status: 'PAID' } }, { token: finance.token })).data!.payouts;
    expect(paid.nodes.map((n: { id: string }) => n.id)).toContain(pb.id);
    expect(paid.nodes.map((n: { id: string }) => n.id)).not.toContain(pa.id);
    expect((await t.gql(PAYOUTS, { filter: { shopId: b.shop.shopId, status: 'PENDING' } }, { token: finance.token })).data!.payouts.totalCount).toBe(0);
  });

  it('shows a shop’s OWNER and FINANCE members their own shop’s payouts only; FORBIDDEN to other roles and staff, NOT_FOUND for another shop', async () => {
    const mine = await closedSettlement(2_000, [ShopMemberRole.FINANCE, ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR]);
    const theirs = await closedSettlement(2_000);
    const payout = okPayload(await create(mine.settlementId), 'createPayout', 'payout');
    const other = okPayload(await create(theirs.settlementId), 'createPayout', 'payout');

    for (const token of [mine.shop.owner.token, mine.shop.members.FINANCE!.token]) {
      const named = await t.gql(PAYOUTS, { filter: { shopId: mine.shop.shopId } }, { token });
      expect(named.data!.payouts).toMatchObject({ totalCount: 1, nodes: [{ id: payout.id }] });
      // Without a shop: the payouts of every shop whose money they see.
      expect((await t.gql(PAYOUTS, {}, { token })).data!.payouts.nodes.map((n: { id: string }) => n.id)).toEqual([payout.id]);
      expect(code(await t.gql(PAYOUTS, { filter: { shopId: theirs.shop.shopId } }, { token }))).toBe('NOT_FOUND');
      expect((await t.gql(NODE, { id: payout.id }, { token })).data!.node).toEqual({ id: payout.id, status: 'PENDING', amount: { amountMinor: payout.amount.amountMinor } });
      expect((await t.gql(NODE, { id: other.id }, { token })).data!.node).toBeNull();
    }
    for (const role of [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR]) {
      const token = mine.shop.members[role]!.token;
      expect([role, code(await t.gql(PAYOUTS, { filter: { shopId: mine.shop.shopId } }, { token }))]).toEqual([role, 'FORBIDDEN']);
      expect((await t.gql(NODE, { id: payout.id }, { token })).data!.node).toBeNull();
    }
    for (const role of [StaffRole.OPERATIONS, StaffRole.CUSTOMER_SERVICE, StaffRole.RISK]) {
      const { token } = await staff(t, role);
      expect([role, code(await t.gql(PAYOUTS, {}, { token }))]).toEqual([role, 'FORBIDDEN']);
      expect([role, code(await t.gql(PAYOUTS, { filter: { shopId: mine.shop.shopId } }, { token }))]).toEqual([role, 'FORBIDDEN']);
      expect((await t.gql(NODE, { id: payout.id }, { token })).data!.node).toBeNull();
    }
    expect(code(await t.gql(PAYOUTS, {}, { token: (await userWithToken(t)).token }))).toBe('FORBIDDEN');
    expect((await t.gql(NODE, { id: payout.id }, { token: finance.token })).data!.node.id).toBe(payout.id);
  });
});

describe('send-payouts', () => {
  it('sends a payout whose provider call failed once its lease lapses, with the same idempotency key, and only once', async () => {
    const { settlementId, payable } = await closedSettlement(6_000);
    const send = vi.spyOn(MockPayoutProvider.prototype, 'sendPayout').mockRejectedValueOnce(new Error('provider unreachable'));
    const payout = okPayload(await create(settlementId), 'createPayout', 'payout');
    const key = keyOf(payout.id);
    expect(payout).toMatchObject({ status: 'PENDING', providerReference: null });
    expect(await mockPayouts(key)).toEqual([]);

    // The request that created it holds the lease: nothing to send yet.
    expect(await runTask('send-payouts')).toBe('done: 0');
    clock.advance(PAYOUT_SEND_LEASE_MS);
    expect(await runTask('send-payouts')).toBe('done: 1');
    expect(send.mock.calls.map(([p]) => p.id)).toEqual([`payout_${key}_1`, `payout_${key}_1`]);
    expect((await payoutRows(settlementId))[0]).toMatchObject({ status: 'PENDING', provider_reference: `mock_payout_${key}_1` });
    expect(await mockPayouts(key)).toEqual([{ reference: `mock_payout_${key}_1`, amount: String(payable), status: 'OPEN' }]);

    clock.advance(PAYOUT_SEND_LEASE_MS);
    expect(await runTask('send-payouts')).toBe('done: 0');
    expect(send).toHaveBeenCalledTimes(2);
    expect(await t.sql(`select kind from ledger_posting where payout_id = ?`, [key])).toEqual([{ kind: 'PAYOUT_CREATED' }]);
  });

  it('never pays twice when the process dies after the provider accepted: the resend with the same key returns the same reference and records one PAYOUT', async () => {
    const { settlementId, payable } = await closedSettlement(7_000);
    const original = MockPayoutProvider.prototype.sendPayout;
    vi.spyOn(MockPayoutProvider.prototype, 'sendPayout').mockImplementationOnce(async function (this: MockPayoutProvider, ...args) {
      await original.apply(this, args);
      throw new Error('process killed before the reference was stored');
    });
    const payout = okPayload(await create(settlementId), 'createPayout', 'payout');
    const key = keyOf(payout.id);
    expect(payout.providerReference).toBeNull();
    expect(await mockPayouts(key)).toEqual([{ reference: `mock_payout_${key}_1`, amount: String(payable), status: 'OPEN' }]);

    clock.advance(PAYOUT_SEND_LEASE_MS);
    expect(await runTask('send-payouts')).toBe('done: 1');
    expect((await payoutRows(settlementId))[0].provider_reference).toBe(`mock_payout_${key}_1`);
    expect(await mockPayouts(key)).toEqual([{ reference: `mock_payout_${key}_1`, amount: String(payable), status: 'OPEN' }]);
    expect(await t.sql(`select kind from ledger_posting where payout_id = ?`, [key])).toEqual([{ kind: 'PAYOUT_CREATED' }]);
  });

  it('reports a provider that keeps failing and goes on with the others', async () => {
    const first = await closedSettlement(1_000);
    const second = await closedSettlement(1_100);
    vi.spyOn(MockPayoutProvider.prototype, 'sendPayout').mockRejectedValue(new Error('provider down'));
    const p1 = okPayload(await create(first.settlementId), 'createPayout', 'payout');
    const p2 = okPayload(await create(second.settlementId), 'createPayout', 'payout');
    clock.advance(PAYOUT_SEND_LEASE_MS);
    expect(await runTask('send-payouts')).toMatch(/^done: 0; \d+ failed \(provider down\); retried next run$/);
    vi.restoreAllMocks();
    clock.advance(PAYOUT_SEND_LEASE_MS);
    expect(await runTask('send-payouts')).toMatch(/^done: [2-9]\d*$/);
    for (const p of [p1, p2]) expect((await t.sql('select provider_reference from payout where id = ?', [keyOf(p.id)]))[0].provider_reference).toBe(`mock_payout_${keyOf(p.id)}_1`);
  });
});
