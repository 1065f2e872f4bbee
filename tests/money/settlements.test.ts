import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Order, ShopMemberRole as M, StaffRole } from '../../src/entities';
import { refundOrder } from '../../src/services/payments';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { code, failuresOf, idOf, keyOf, okPayload } from '../helpers/kit';
import { scenario, type ScenarioShop } from '../helpers/scenario';

/**
 * Settlements as close-settlements makes them (WEEKLY and CONTINUOUS), read through `settlements`,
 * and adjusted through `adjustSettlement`.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;

const FIGURES = `gross { amountMinor } commission { amountMinor } refunds { amountMinor } adjustments { amountMinor } net { amountMinor } carriedOver { amountMinor } payable { amountMinor }`;
const SETTLEMENT_FIELDS = `id status periodStart periodEnd closedAt orderCount shop { id } ${FIGURES}`;
const SETTLEMENTS = `query($filter: SettlementFilter, $first: Int, $after: String) {
  settlements(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${SETTLEMENT_FIELDS} } } }`;
const ADJUST = `mutation($input: AdjustSettlementInput!) { adjustSettlement(input: $input) { settlement { ${SETTLEMENT_FIELDS} } errors { code field message } } }`;
const RUN_TASK = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status } errors { code } } }`;

type Figures = { gross: number; commission: number; refunds: number; adjustments: number; net: number; carriedOver: number; payable: number };

/** A settlement node's money figures in minor units. */
function figuresOf(node: Record<string, any>): Figures {
  const pick = (k: keyof Figures) => node[k].amountMinor as number;
  return { gross: pick('gross'), commission: pick('commission'), refunds: pick('refunds'), adjustments: pick('adjustments'), net: pick('net'), carriedOver: pick('carriedOver'), payable: pick('payable') };
}

/** The stored commission and total of an order (what checkout snapshotted). */
async function orderMoney(t: TestApp, orderKey: string): Promise<{ total: number; commission: number }> {
  const [row] = await t.sql('select total, commission from orders where id = ?', [orderKey]);
  return { total: Number(row.total), commission: Number(row.commission) };
}

/** What the shop's SHOP_PAYABLE entries settled in `settlementId` came to, credit-positive. */
async function settledPayable(t: TestApp, settlementId: string): Promise<number> {
  const [row] = await t.sql(`select coalesce(-sum(amount), 0)::text as net from ledger_entry where settlement_id = ? and account = 'SHOP_PAYABLE'`, [keyOf(settlementId)]);
  return Number(row.net);
}

/** Refunds `amount` of a completed order as after-sales would: the payments service, at the clock's time. */
async function refund(t: TestApp, orderKey: string, amount: number, reason: string, at: Date): Promise<void> {
  await t.orm.em.fork().transactional(async (em) => {
    const order = await em.findOneOrFail(Order, { id: orderKey });
    expect(await refundOrder(em, order, reason, at, amount)).not.toBeNull();
  });
}

function harness(env: Record<string, string>, start: Date) {
  const clock = new ManualClock(start);
  const h = { clock, t: undefined as unknown as TestApp, admin: '', finance: '' };
  beforeAll(async () => {
    h.t = await createTestApp({ AFTER_SALES_DAYS: '7', ...env }, { clock });
    h.admin = (await staff(h.t, StaffRole.ADMIN)).token;
    h.finance = (await staff(h.t, StaffRole.FINANCE)).token;
  });
  afterAll(() => h.t.close());
  return {
    h,
    close: async () => okPayload(await h.t.gql(RUN_TASK, { input: { name: 'close-settlements' } }, { token: h.admin }), 'runScheduledTask'),
    /** The shop's settlements, newest period first, as staff FINANCE sees them. */
    list: async (shop: ScenarioShop, filter: Record<string, unknown> = {}) => {
      const res = await h.t.gql(SETTLEMENTS, { filter: { shopId: shop.shopId, ...filter } }, { token: h.finance });
      expect(res.errors).toBeUndefined();
      return res.data!.settlements.nodes as Record<string, any>[];
    },
    adjust: (shop: ScenarioShop, amount: string, reason: string, token = h.finance) => h.t.gql(ADJUST, { input: { shopId: shop.shopId, amount, reason } }, { token }),
  };
}

describe('WEEKLY settlements', () => {
  // Monday 2031-03-03 10:00 in Shanghai: weeks start Monday 00:00 there (Sunday 16:00 UTC).
  const { h, close, list, adjust } = harness({ SETTLEMENT_PERIOD: 'WEEKLY' }, new Date('2031-03-03T02:00:00Z'));

  /** Monday 00:00 Asia/Shanghai of the week containing `at`. */
  const weekStart = (at: Date) => {
    const shanghai = new Date(at.getTime() + 8 * 3600_000);
    const daysSinceMonday = (shanghai.getUTCDay() + 6) % 7;
    return new Date(Date.UTC(shanghai.getUTCFullYear(), shanghai.getUTCMonth(), shanghai.getUTCDate() - daysSinceMonday) - 8 * 3600_000);
  };

  it('closes a shop’s week only once it has ended, with net = gross − commission − refunds + adjustments', async () => {
    const s = await scenario(h.t).shop().product({ price: 10000 }).buyer().inCart(2).completed().run();
    const { total, commission } = await orderMoney(h.t, s.order.key);
    expect(commission).toBe(1000); // 5% of 200.00, DEFAULT_COMMISSION_RATE

    // The order completed this week: nothing to close yet.
    await close();
    expect(await list(s.shop)).toEqual([]);

    // An adjustment opens the week's settlement, whose figures are computed live.
    const open = okPayload(await adjust(s.shop, '5.00', 'Late delivery compensation'), 'adjustSettlement', 'settlement');
    const week = weekStart(h.clock.now());
    expect(open).toMatchObject({ status: 'OPEN', periodStart: week.toISOString(), periodEnd: new Date(week.getTime() + WEEK).toISOString(), closedAt: null, orderCount: 1 });
    const expected = { gross: total, commission, refunds: 0, adjustments: 500, net: total - commission + 500, carriedOver: 0, payable: total - commission + 500 };
    expect(figuresOf(open)).toEqual(expected);

    // Still open until the week is over.
    await close();
    expect((await list(s.shop)).map((n) => n.status)).toEqual(['OPEN']);

    h.clock.advance(WEEK);
    await close();
    const [closed] = await list(s.shop);
    expect(closed).toMatchObject({ id: open.id, status: 'CLOSED', closedAt: h.clock.now().toISOString(), orderCount: 1 });
    expect(figuresOf(closed)).toEqual(expected);
    // net is the shop's SHOP_PAYABLE movement of the entries settled in it.
    expect(await settledPayable(h.t, closed.id)).toBe(expected.net);
  });

  it('never changes a closed settlement: a later refund lands in the next week, which closes negative and carries into the one after', async () => {
    const s = await scenario(h.t).shop().product({ price: 10000 }).buyer().inCart(2).completed().run();
    const { total, commission } = await orderMoney(h.t, s.order.key);
    h.clock.advance(WEEK);
    await close();
    const [first] = await list(s.shop);
    expect(figuresOf(first)).toEqual({ gross: total, commission, refunds: 0, adjustments: 0, net: total - commission, carriedOver: 0, payable: total - commission });

    // A quarter of the order refunded after it was settled (its commission share comes back).
    await refund(h.t, s.order.key, total / 4, 'One unit damaged', h.clock.now());
    expect(await list(s.shop)).toEqual([first]);

    h.clock.advance(WEEK);
    await close();
    const [second, again] = await list(s.shop);
    expect(again).toEqual(first);
    const returned = commission / 4;
    const secondNet = -(total / 4) + returned;
    expect(second).toMatchObject({ status: 'CLOSED', orderCount: 1, periodStart: weekStart(new Date(h.clock.now().getTime() - WEEK)).toISOString() });
    expect(figuresOf(second)).toEqual({ gross: 0, commission: -returned, refunds: total / 4, adjustments: 0, net: secondNet, carriedOver: 0, payable: secondNet });

    // The next week's sale pays off what the shop owes first.
    await scenario(h.t).shop(s.shop).product({ price: 10000 }).buyer().inCart(1).completed().run();
    h.clock.advance(WEEK);
    await close();
    const [third, ...older] = await list(s.shop);
    expect(older).toEqual([second, first]);
    const thirdNet = 10000 - 500;
    expect(figuresOf(third)).toEqual({ gross: 10000, commission: 500, refunds: 0, adjustments: 0, net: thirdNet, carriedOver: secondNet, payable: thirdNet + secondNet });
  });

  it('settles an entry that became final in a week already closed (committed after the close) in the current week, which stays open until it ends', async () => {
    const s = await scenario(h.t).shop().product({ price: 10000 }).buyer().inCart(1).completed().run();
    const late = await scenario(h.t).shop(s.shop).product({ price: 3000 }).buyer().inCart(1).delivered().run();
    const week = weekStart(h.clock.now());
    h.clock.set(new Date(week.getTime() + WEEK + 3_600_000));
    await close();
    const [first] = await list(s.shop);
    expect(first).toMatchObject({ status: 'CLOSED', periodStart: week.toISOString(), orderCount: 1 });

    // The late order's completion, stamped a minute before that week ended, commits only now.
    await h.t.sql(`update orders set status = 'COMPLETED', completed_at = ? where id = ?`, [new Date(week.getTime() + WEEK - MINUTE), late.order.key]);
    await close();
    expect(await list(s.shop)).toEqual([first]);
    const open = okPayload(await adjust(s.shop, '1.00', 'Straggler week'), 'adjustSettlement', 'settlement');
    expect(open).toMatchObject({ status: 'OPEN', periodStart: new Date(week.getTime() + WEEK).toISOString(), orderCount: 1 });
    expect(figuresOf(open)).toMatchObject({ gross: 3000, adjustments: 100 });

    h.clock.advance(WEEK);
    await close();
    const [second, again] = await list(s.shop);
    expect(again).toEqual(first);
    expect(second).toMatchObject({ id: open.id, status: 'CLOSED', orderCount: 1 });
    expect(figuresOf(second)).toMatchObject({ gross: 3000, adjustments: 100 });
  });

  it('filters by status and period start, and pages newest period first', async () => {
    const s = await scenario(h.t).shop().product({ price: 10000 }).buyer().inCart(1).completed().run();
    h.clock.advance(WEEK);
    await close();
    okPayload(await adjust(s.shop, '1.00', 'Week two'), 'adjustSettlement');
    h.clock.advance(WEEK);
    await close();
    okPayload(await adjust(s.shop, '2.00', 'Week three, still open'), 'adjustSettlement');

    const all = await list(s.shop);
    expect(all.map((n) => n.status)).toEqual(['OPEN', 'CLOSED', 'CLOSED']);
    const starts = all.map((n) => Date.parse(n.periodStart));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    expect((await list(s.shop, { status: 'CLOSED' })).map((n) => n.id)).toEqual(all.slice(1).map((n) => n.id));
    expect((await list(s.shop, { periodFrom: all[1].periodStart })).map((n) => n.id)).toEqual(all.slice(0, 2).map((n) => n.id));
    expect((await list(s.shop, { periodTo: all[1].periodStart })).map((n) => n.id)).toEqual([all[2].id]);

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res: any = await h.t.gql(SETTLEMENTS, { filter: { shopId: s.shop.shopId }, first: 2, after }, { token: h.finance });
      expect(res.data.settlements.totalCount).toBe(3);
      seen.push(...res.data.settlements.nodes.map((n: { id: string }) => n.id));
      after = res.data.settlements.pageInfo.hasNextPage ? res.data.settlements.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(all.map((n) => n.id));
  });
});

describe('CONTINUOUS settlements', () => {
  const { h, close: closeNow, list, adjust } = harness({ SETTLEMENT_PERIOD: 'CONTINUOUS' }, new Date('2031-06-02T02:00:00Z'));
  // A scheduled run comes some time after what it closes: let a minute pass first.
  const close = () => {
    h.clock.advance(MINUTE);
    return closeNow();
  };

  it('closes everything final on each run, each period starting where the last one ended', async () => {
    const s = await scenario(h.t).shop().product({ price: 5000 }).buyer().inCart(1).completed().run();
    await close();
    const [first] = await list(s.shop);
    expect(first).toMatchObject({ status: 'CLOSED', closedAt: h.clock.now().toISOString(), orderCount: 1 });
    // The period ends with the run (the instant after its start: everything final up to then is in).
    expect(Date.parse(first.periodEnd) - h.clock.now().getTime()).toBeGreaterThanOrEqual(0);
    expect(Date.parse(first.periodEnd) - h.clock.now().getTime()).toBeLessThanOrEqual(1);
    expect(figuresOf(first)).toMatchObject({ gross: 5000, commission: 250, net: 4750, payable: 4750 });

    // Nothing new: a second run closes nothing.
    await close();
    expect(await list(s.shop)).toEqual([first]);

    await scenario(h.t).shop(s.shop).product({ price: 3000 }).buyer().inCart(1).completed().run();
    okPayload(await adjust(s.shop, '-10.00', 'Packaging fee'), 'adjustSettlement');
    await close();
    const [second] = await list(s.shop);
    expect(second).toMatchObject({ status: 'CLOSED', periodStart: first.periodEnd, closedAt: h.clock.now().toISOString(), orderCount: 1 });
    expect(figuresOf(second)).toEqual({ gross: 3000, commission: 150, refunds: 0, adjustments: -1000, net: 1850, carriedOver: 0, payable: 1850 });
    expect(await settledPayable(h.t, second.id)).toBe(1850);
  });

  it('settles a paid order cancelled before shipping at zero: its payment and its refund together', async () => {
    const s = await scenario(h.t).shop().product({ price: 8000 }).buyer().inCart(1).paid().run();
    okPayload(await h.t.gql(CANCEL, { input: { orderId: s.order.id, reason: 'Changed my mind' } }, { token: s.buyer.token }), 'cancelOrder');
    await close();
    const [settlement] = await list(s.shop);
    expect(settlement).toMatchObject({ status: 'CLOSED', orderCount: 1 });
    expect(figuresOf(settlement)).toEqual({ gross: 8000, commission: 0, refunds: 8000, adjustments: 0, net: 0, carriedOver: 0, payable: 0 });
  });
});

describe('adjustSettlement', () => {
  const { h, list, adjust } = harness({ SETTLEMENT_PERIOD: 'WEEKLY' }, new Date('2031-09-01T02:00:00Z'));

  it('posts a signed adjustment to the shop’s open settlement and audits it', async () => {
    const s = await scenario(h.t).shop().run();
    const a = okPayload(await adjust(s.shop, '25.00', 'Compensation for a lost parcel'), 'adjustSettlement', 'settlement');
    const admin = (await staff(h.t, StaffRole.ADMIN)).token;
    const b = okPayload(await adjust(s.shop, '-7.50', 'Packaging fee', admin), 'adjustSettlement', 'settlement');
    expect(b.id).toBe(a.id);
    expect(figuresOf(b)).toEqual({ gross: 0, commission: 0, refunds: 0, adjustments: 1750, net: 1750, carriedOver: 0, payable: 1750 });
    expect(b).toMatchObject({ status: 'OPEN', orderCount: 0, shop: { id: s.shop.shopId } });

    const postings = await h.t.sql(
      `select p.memo, p.at, e.account, e.amount::int from ledger_posting p join ledger_entry e on e.posting_id = p.id where p.kind = 'ADJUSTMENT' and e.shop_id = ? order by p.id, e.account`,
      [s.shop.shop.id],
    );
    expect(postings.map((r) => [r.memo, r.account, r.amount])).toEqual([
      ['Compensation for a lost parcel', 'PLATFORM_ADJUSTMENTS', 2500],
      ['Compensation for a lost parcel', 'SHOP_PAYABLE', -2500],
      ['Packaging fee', 'PLATFORM_ADJUSTMENTS', -750],
      ['Packaging fee', 'SHOP_PAYABLE', 750],
    ]);
    expect(new Date(postings[0].at).toISOString()).toBe(h.clock.now().toISOString());
    const audit = await h.t.sql(`select action, after from audit_entry where target_type = 'Shop' and target_id = ? and action = 'settlement.adjust' order by id`, [s.shop.shop.id]);
    expect(audit.map((r) => [r.after.amountMinor, r.after.reason, r.after.settlementId])).toEqual([
      [2500, 'Compensation for a lost parcel', keyOf(a.id)],
      [-750, 'Packaging fee', keyOf(a.id)],
    ]);
  });

  it('refuses a zero, over-precise or oversized amount and a blank reason with INVALID_INPUT, posting nothing', async () => {
    const s = await scenario(h.t).shop().run();
    const cases: [string, string, string[][]][] = [
      ['0.00', 'Nothing', [['INVALID_INPUT', 'input.amount']]],
      ['1.005', 'Too precise', [['INVALID_INPUT', 'input.amount']]],
      ['99999999999', 'Too large', [['INVALID_INPUT', 'input.amount']]],
      ['5.00', '   ', [['INVALID_INPUT', 'input.reason']]],
    ];
    for (const [amount, reason, errors] of cases) expect(failuresOf(await adjust(s.shop, amount, reason), 'adjustSettlement', 'settlement')).toEqual(errors);
    expect(await h.t.sql(`select 1 from ledger_entry where shop_id = ? and kind = 'ADJUSTMENT'`, [s.shop.shop.id])).toEqual([]);
    expect(await list(s.shop)).toEqual([]);
  });

  it('answers SHOP_NOT_FOUND for a shop that does not exist', async () => {
    const res = await h.t.gql(ADJUST, { input: { shopId: idOf('Shop', '999999999'), amount: '5.00', reason: 'Nobody' } }, { token: h.finance });
    expect(failuresOf(res, 'adjustSettlement', 'settlement')).toEqual([['SHOP_NOT_FOUND', 'input.shopId']]);
  });

  it('is FORBIDDEN to the shop’s own OWNER and FINANCE members, other staff and shoppers, and needs a sign-in', async () => {
    const s = await scenario(h.t).shop({ members: [M.FINANCE] }).buyer().run();
    const callers = [s.shop.owner.token, s.shop.members.FINANCE!.token, s.buyer.token, (await staff(h.t, StaffRole.OPERATIONS)).token, (await staff(h.t, StaffRole.RISK)).token];
    for (const token of callers) expect(code(await adjust(s.shop, '5.00', 'Not allowed', token))).toBe('FORBIDDEN');
    expect(code(await h.t.gql(ADJUST, { input: { shopId: s.shop.shopId, amount: '5.00', reason: 'Anonymous' } }))).toBe('UNAUTHENTICATED');
    expect(await h.t.sql(`select 1 from ledger_entry where shop_id = ?`, [s.shop.shop.id])).toEqual([]);
  });
});
