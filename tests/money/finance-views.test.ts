import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Order, ShopMemberRole as M, StaffRole } from '../../src/entities';
import { refundOrder } from '../../src/services/payments';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { code, okPayload } from '../helpers/kit';
import { type Scenario, scenario, type ScenarioShop } from '../helpers/scenario';

/**
 * The finance views: who sees which shop's settlements and balance, a settlement's lines and
 * orders, and the ledger for finance staff. Settlements close CONTINUOUSLY here, so each run of
 * close-settlements closes everything final so far.
 */

const MINUTE = 60_000;
const clock = new ManualClock(new Date('2031-04-07T02:00:00Z'));

const money = 'amount amountMinor';
const FIGURES = `gross { ${money} } commission { ${money} } refunds { ${money} } adjustments { ${money} } net { ${money} } carriedOver { ${money} } payable { ${money} }`;
const SETTLEMENTS = `query($filter: SettlementFilter, $first: Int, $after: String) {
  settlements(filter: $filter, first: $first, after: $after) { totalCount nodes { id status shop { id } orderCount ${FIGURES} } } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on Settlement { status shop { id } } ... on LedgerPosting { kind memo } } }`;
const BALANCE = `query($shopId: ID!) { shopBalance(shopId: $shopId) { available { ${money} } pending { ${money} } inTransit { ${money} } } }`;
const LINE_FIELDS = `kind at memo order { id number } gross { amountMinor } commission { amountMinor } refund { amountMinor } adjustment { amountMinor } net { amountMinor }`;
const LINES = `query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Settlement { ${FIGURES} orderCount
  lines(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${LINE_FIELDS} } }
  orders(first: 10) { totalCount nodes { id number } } } } }`;
const LEDGER = `query($filter: LedgerFilter!, $first: Int, $after: String) { ledgerEntries(filter: $filter, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { account kind at amount { amountMinor } shop { id } order { id } settlement { id } posting { id kind memo } } } }`;
const BALANCES = `{ ledgerBalances { account debits { amountMinor } credits { amountMinor } balance { amountMinor } } }`;
const ADJUST = `mutation($input: AdjustSettlementInput!) { adjustSettlement(input: $input) { settlement { id } errors { code } } }`;
const CREATE_PAYOUT = `mutation($input: CreatePayoutInput!) { createPayout(input: $input) { payout { id status } errors { code } } }`;
const RUN_TASK = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;

let t: TestApp;
let admin: string;
let finance: string;
let operations: string;
let a: Scenario;
let b: Scenario;
let settlementA: string;
let settlementB: string;

/** A run of close-settlements a minute later: it closes what became final before it started. */
async function close(): Promise<void> {
  clock.advance(MINUTE);
  okPayload(await t.gql(RUN_TASK, { input: { name: 'close-settlements' } }, { token: admin }), 'runScheduledTask');
}

async function settlementsOf(token: string, filter?: Record<string, unknown>) {
  return t.gql(SETTLEMENTS, { filter }, { token });
}

const idsIn = (res: { data?: any }) => res.data.settlements.nodes.map((n: { id: string }) => n.id);

async function refund(orderKey: string, amount: number, reason: string): Promise<void> {
  await t.orm.em.fork().transactional(async (em) => {
    expect(await refundOrder(em, await em.findOneOrFail(Order, { id: orderKey }), reason, clock.now(), amount)).not.toBeNull();
  });
}

beforeAll(async () => {
  t = await createTestApp({ SETTLEMENT_PERIOD: 'CONTINUOUS', AFTER_SALES_DAYS: '7' }, { clock });
  admin = (await staff(t, StaffRole.ADMIN)).token;
  finance = (await staff(t, StaffRole.FINANCE)).token;
  operations = (await staff(t, StaffRole.OPERATIONS)).token;
  a = await scenario(t).shop({ members: [M.FINANCE, M.MANAGER, M.OPERATOR, M.CUSTOMER_SERVICE] }).product({ price: 10000 }).buyer().inCart(1).completed().run();
  b = await scenario(t).shop().product({ price: 4000 }).buyer().inCart(1).completed().run();
  await close();
  settlementA = idsIn(await settlementsOf(finance, { shopId: a.shop.shopId }))[0];
  settlementB = idsIn(await settlementsOf(finance, { shopId: b.shop.shopId }))[0];
});
afterAll(() => t.close());

describe('settlements: who sees which', () => {
  it('shows a shop’s settlements to its OWNER and FINANCE members, and every shop’s to staff FINANCE and ADMIN', async () => {
    for (const token of [a.shop.owner.token, a.shop.members.FINANCE!.token]) {
      expect(idsIn(await settlementsOf(token))).toEqual([settlementA]);
      expect(idsIn(await settlementsOf(token, { shopId: a.shop.shopId }))).toEqual([settlementA]);
    }
    for (const token of [finance, admin]) {
      const all = idsIn(await settlementsOf(token));
      expect(all).toEqual(expect.arrayContaining([settlementA, settlementB]));
      expect(idsIn(await settlementsOf(token, { shopId: b.shop.shopId }))).toEqual([settlementB]);
    }
    const node = await t.gql(NODE, { id: settlementA }, { token: a.shop.members.FINANCE!.token });
    expect(node.data!.node).toEqual({ id: settlementA, status: 'CLOSED', shop: { id: a.shop.shopId } });
  });

  it('is FORBIDDEN to the shop’s other roles and to other staff, NOT_FOUND for another shop’s, and needs a sign-in', async () => {
    for (const role of [M.MANAGER, M.OPERATOR, M.CUSTOMER_SERVICE]) {
      const token = a.shop.members[role]!.token;
      expect(code(await settlementsOf(token, { shopId: a.shop.shopId }))).toBe('FORBIDDEN');
      expect(code(await settlementsOf(token))).toBe('FORBIDDEN');
    }
    expect(code(await settlementsOf(operations))).toBe('FORBIDDEN');
    expect(code(await settlementsOf(operations, { shopId: a.shop.shopId }))).toBe('FORBIDDEN');
    expect(code(await settlementsOf(a.buyer.token))).toBe('FORBIDDEN');
    expect(code(await settlementsOf(a.buyer.token, { shopId: a.shop.shopId }))).toBe('NOT_FOUND');
    expect(code(await settlementsOf(a.shop.owner.token, { shopId: b.shop.shopId }))).toBe('NOT_FOUND');
    expect(code(await t.gql(SETTLEMENTS, {}))).toBe('UNAUTHENTICATED');
    // node(id) hides what `settlements` would refuse.
    for (const token of [b.shop.owner.token, a.shop.members.MANAGER!.token, operations, a.buyer.token]) {
      expect((await t.gql(NODE, { id: settlementA }, { token })).data!.node).toBeNull();
    }
  });
});

describe('shopBalance', () => {
  it('follows a sale from pending to available to in transit, and a later refund back into pending', async () => {
    const journey = scenario(t).shop().product({ price: 20000 }).buyer().inCart(1).paid();
    const s = await journey.run();
    const [{ total, commission }] = await t.sql('select total::int, commission::int from orders where id = ?', [s.order.key]);
    const share = total - commission;
    const balance = async () => {
      const res = await t.gql(BALANCE, { shopId: s.shop.shopId }, { token: s.shop.owner.token });
      const { available, pending, inTransit } = res.data!.shopBalance;
      return [available.amountMinor, pending.amountMinor, inTransit.amountMinor];
    };
    expect(await balance()).toEqual([0, share, 0]);

    await journey.completed().run();
    expect(await balance()).toEqual([0, share, 0]);
    await close();
    expect(await balance()).toEqual([share, 0, 0]);

    const [settlement] = idsIn(await settlementsOf(finance, { shopId: s.shop.shopId }));
    okPayload(await t.gql(CREATE_PAYOUT, { input: { settlementId: settlement } }, { token: finance }), 'createPayout');
    expect(await balance()).toEqual([0, 0, share]);

    // A quarter refunded after the payout: the shop owes it back until a settlement nets it.
    await refund(s.order.key, total / 4, 'Partial refund');
    expect(await balance()).toEqual([0, -(total / 4 - commission / 4), share]);
    const res = await t.gql(BALANCE, { shopId: s.shop.shopId }, { token: finance });
    expect(res.data!.shopBalance.pending).toEqual({ amount: ((-(total / 4 - commission / 4)) / 100).toFixed(2), amountMinor: -(total / 4 - commission / 4) });
  });

  it('is for the shop’s OWNER and FINANCE members and staff FINANCE: FORBIDDEN to other roles and staff, NOT_FOUND across shops', async () => {
    const ask = (token?: string, shopId = a.shop.shopId) => t.gql(BALANCE, { shopId }, { token });
    for (const token of [a.shop.owner.token, a.shop.members.FINANCE!.token, finance, admin]) expect((await ask(token)).errors).toBeUndefined();
    for (const token of [a.shop.members.MANAGER!.token, a.shop.members.OPERATOR!.token, a.shop.members.CUSTOMER_SERVICE!.token, operations]) expect(code(await ask(token))).toBe('FORBIDDEN');
    expect(code(await ask(b.shop.owner.token))).toBe('NOT_FOUND');
    expect(code(await ask(a.buyer.token))).toBe('NOT_FOUND');
    expect(code(await ask(undefined))).toBe('UNAUTHENTICATED');
  });
});

describe('a settlement’s lines and orders', () => {
  it('lists one line per payment, refund and adjustment, oldest first, adding up to the settlement’s figures', async () => {
    const shop = (await scenario(t).shop().run()).shop as ScenarioShop;
    const first = await scenario(t).shop(shop).product({ price: 10000 }).buyer().inCart(2).completed().run();
    const second = await scenario(t).shop(shop).product({ price: 3000 }).buyer().inCart(1).completed().run();
    await refund(first.order.key, 5000, '退貨：一件破損');
    okPayload(await t.gql(ADJUST, { input: { shopId: shop.shopId, amount: '-3.00', reason: 'Packaging fee' } }, { token: finance }), 'adjustSettlement');

    // OPEN: what would close now.
    const [openId] = idsIn(await settlementsOf(finance, { shopId: shop.shopId }));
    const open = (await t.gql(LINES, { id: openId, first: 50 }, { token: shop.owner.token })).data!.node;
    await close();
    const closed = (await t.gql(LINES, { id: openId, first: 50 }, { token: shop.owner.token })).data!.node;
    expect(closed).toEqual(open);

    const lines = closed.lines.nodes;
    expect(lines.map((l: any) => [l.kind, l.order?.number ?? null, l.memo])).toEqual([
      ['PAYMENT', first.order.number, null],
      ['PAYMENT', second.order.number, null],
      ['REFUND', first.order.number, '退貨：一件破損'],
      ['ADJUSTMENT', null, 'Packaging fee'],
    ]);
    expect(lines.map((l: any) => [l.gross.amountMinor, l.commission.amountMinor, l.refund.amountMinor, l.adjustment.amountMinor, l.net.amountMinor])).toEqual([
      [20000, 1000, 0, 0, 19000],
      [3000, 150, 0, 0, 2850],
      [0, -250, 5000, 0, -4750],
      [0, 0, 0, -300, -300],
    ]);
    const sum = (k: string) => lines.reduce((total: number, l: any) => total + l[k].amountMinor, 0);
    expect({ gross: sum('gross'), commission: sum('commission'), refunds: sum('refund'), adjustments: sum('adjustment'), net: sum('net') }).toEqual({
      gross: closed.gross.amountMinor,
      commission: closed.commission.amountMinor,
      refunds: closed.refunds.amountMinor,
      adjustments: closed.adjustments.amountMinor,
      net: closed.net.amountMinor,
    });
    expect(closed.net.amountMinor).toBe(19000 + 2850 - 4750 - 300);
    expect(closed.lines.totalCount).toBe(4);
    expect(closed.orderCount).toBe(2);
    expect(closed.orders).toEqual({ totalCount: 2, nodes: [second.order, first.order].map((o) => ({ id: o.id, number: o.number })) });

    // Page by page, the same lines.
    const paged: unknown[] = [];
    let after: string | null = null;
    do {
      const page: any = (await t.gql(LINES, { id: openId, first: 1, after }, { token: finance })).data!.node.lines;
      paged.push(...page.nodes);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(paged).toEqual(lines);

    // A cursor whose order key is not a whole number is forged: BAD_USER_INPUT, not a database error.
    const forged = Buffer.from(JSON.stringify(['2031-04-07T02:00:00.000Z', '1', 1.5])).toString('base64url');
    const refused = await t.gql(LINES, { id: openId, first: 1, after: forged }, { token: finance });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('costs the same number of queries however many lines a page holds', async () => {
    const small = await scenario(t).shop().product({ price: 1000 }).buyer().inCart(1).completed().run();
    const big = await scenario(t).shop().product({ price: 1000 }).buyer().inCart(1).completed().run();
    for (let i = 0; i < 3; i++) await scenario(t).shop(big.shop).product({ price: 1000 }).buyer().inCart(1).completed().run();
    await close();
    const [smallId] = idsIn(await settlementsOf(finance, { shopId: small.shop.shopId }));
    const [bigId] = idsIn(await settlementsOf(finance, { shopId: big.shop.shopId }));
    const one = await t.countQueries(LINES, { id: smallId, first: 50 }, { token: finance });
    const four = await t.countQueries(LINES, { id: bigId, first: 50 }, { token: finance });
    expect(one.result.data!.node.lines.nodes).toHaveLength(1);
    expect(four.result.data!.node.lines.nodes).toHaveLength(4);
    expect(four.queries).toBe(one.queries);
  });
});

describe('the ledger for finance staff', () => {
  it('lists one account’s entries newest first, by shop, order and time, page by page', async () => {
    const filter = { account: 'SHOP_PAYABLE', shopId: a.shop.shopId };
    const res = await t.gql(LEDGER, { filter, first: 50 }, { token: finance });
    const entries = res.data!.ledgerEntries.nodes;
    expect(entries).toHaveLength(1);
    const [payment] = entries;
    const [{ total, commission }] = await t.sql('select total::int, commission::int from orders where id = ?', [a.order.key]);
    expect(payment).toMatchObject({ account: 'SHOP_PAYABLE', kind: 'PAYMENT', amount: { amountMinor: -(total - commission) }, shop: { id: a.shop.shopId }, order: { id: a.order.id }, settlement: { id: settlementA }, posting: { kind: 'PAYMENT', memo: null } });

    // Two adjustments more, then newest first and page by page.
    clock.advance(MINUTE);
    for (const amount of ['1.00', '2.00']) okPayload(await t.gql(ADJUST, { input: { shopId: a.shop.shopId, amount, reason: `Adjust ${amount}` } }, { token: finance }), 'adjustSettlement');
    const all = (await t.gql(LEDGER, { filter, first: 50 }, { token: finance })).data!.ledgerEntries;
    expect(all.totalCount).toBe(3);
    expect(all.nodes.map((e: any) => [e.kind, e.amount.amountMinor])).toEqual([
      ['ADJUSTMENT', -200],
      ['ADJUSTMENT', -100],
      ['PAYMENT', -(total - commission)],
    ]);
    const paged: unknown[] = [];
    let after: string | null = null;
    do {
      const page: any = (await t.gql(LEDGER, { filter, first: 2, after }, { token: finance })).data!.ledgerEntries;
      paged.push(...page.nodes);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(paged).toEqual(all.nodes);

    const byOrder = (await t.gql(LEDGER, { filter: { account: 'PLATFORM_COMMISSION', orderId: a.order.id } }, { token: finance })).data!.ledgerEntries.nodes;
    expect(byOrder.map((e: any) => e.amount.amountMinor)).toEqual([-commission]);
    const before = (await t.gql(LEDGER, { filter: { ...filter, to: all.nodes[1].at } }, { token: finance })).data!.ledgerEntries.nodes;
    expect(before.map((e: any) => e.kind)).toEqual(['PAYMENT']);
    const since = (await t.gql(LEDGER, { filter: { ...filter, from: all.nodes[1].at } }, { token: finance })).data!.ledgerEntries.nodes;
    expect(since.map((e: any) => e.amount.amountMinor)).toEqual([-200, -100]);

    // A posting refetched by its ID: finance staff only.
    const postingId = all.nodes[0].posting.id;
    expect((await t.gql(NODE, { id: postingId }, { token: finance })).data!.node).toEqual({ id: postingId, kind: 'ADJUSTMENT', memo: 'Adjust 2.00' });
    expect((await t.gql(NODE, { id: postingId }, { token: a.shop.owner.token })).data!.node).toBeNull();
  });

  it('balances every account, the balances summing to zero and matching the entries', async () => {
    const res = await t.gql(BALANCES, {}, { token: finance });
    const balances = res.data!.ledgerBalances as any[];
    expect(balances.map((b) => b.account)).toEqual(['BUYER_PAYMENTS', 'SHOP_PAYABLE', 'PLATFORM_COMMISSION', 'PLATFORM_PROMOTIONS', 'PLATFORM_ADJUSTMENTS', 'REFUNDS_PAYABLE', 'PAYOUTS_IN_TRANSIT']);
    expect(balances.reduce((sum, b) => sum + b.balance.amountMinor, 0)).toBe(0);
    const sums = await t.sql('select account, sum(amount)::text as balance, sum(greatest(amount, 0))::text as debits from ledger_entry group by account');
    for (const b of balances) {
      const row = sums.find((r) => r.account === b.account);
      expect(b.balance.amountMinor).toBe(Number(row?.balance ?? 0));
      expect(b.debits.amountMinor).toBe(Number(row?.debits ?? 0));
      expect(b.debits.amountMinor - b.credits.amountMinor).toBe(b.balance.amountMinor);
    }
    expect(balances.find((b) => b.account === 'SHOP_PAYABLE').balance.amountMinor).toBeLessThan(0);
  });

  it('is FORBIDDEN to everyone but staff FINANCE and ADMIN, shop owners included', async () => {
    const filter = { account: 'SHOP_PAYABLE', shopId: a.shop.shopId };
    for (const token of [a.shop.owner.token, a.shop.members.FINANCE!.token, operations, (await staff(t, StaffRole.CUSTOMER_SERVICE)).token, a.buyer.token]) {
      expect(code(await t.gql(LEDGER, { filter }, { token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(BALANCES, {}, { token }))).toBe('FORBIDDEN');
    }
    expect(code(await t.gql(LEDGER, { filter }))).toBe('UNAUTHENTICATED');
    expect((await t.gql(LEDGER, { filter }, { token: admin })).errors).toBeUndefined();
    expect((await t.gql(BALANCES, {}, { token: admin })).errors).toBeUndefined();
  });
});
