import { expect } from 'vitest';
import type { TestApp } from './app';

/**
 * The double-entry ledger seen from the tests: balances by account, an order's or a posting's
 * entries, and the money invariants (docs: shared/api/money.md, "Invariants") as SQL selecting the
 * rows that break them. The invariants take no parameters, so they run on a TestApp (`t.sql`) and
 * on a plain `pg` client alike (the crash storm checks them in one snapshot).
 *
 * Signs: an entry's amount is a debit when positive, a credit when negative.
 */

/** Runs SQL without parameters: a TestApp, or anything with pg's `query`. */
export type SqlRunner = TestApp | { query(sql: string): Promise<{ rows: any[] }> };

async function rowsOf(db: SqlRunner, sql: string, params: unknown[] = []): Promise<any[]> {
  if ('sql' in db) return db.sql(sql, params);
  if (params.length > 0) throw new Error('rowsOf: a pg client runs the invariants only (no parameters)');
  return (await db.query(sql)).rows;
}

export type Balances = Record<string, number>;

/** Σ of every account's entries, by account (accounts without entries left out). */
export async function accountBalances(t: TestApp): Promise<Balances> {
  const rows = await t.sql('select account, sum(amount)::text as balance from ledger_entry group by account order by account');
  return Object.fromEntries(rows.map((r) => [r.account, Number(r.balance)]));
}

/** The balance of each account, counting only the entries that name `orderId` (zero sums left out). */
export async function orderAccounts(t: TestApp, orderId: string, kinds?: string[]): Promise<Balances> {
  const rows = await t.sql(
    `select account, sum(amount)::text as balance from ledger_entry where order_id = ? ${kinds ? 'and kind in (?)' : ''} group by account having sum(amount) <> 0 order by account`,
    kinds ? [orderId, kinds] : [orderId],
  );
  return Object.fromEntries(rows.map((r) => [r.account, Number(r.balance)]));
}

/** Per shop: its SHOP_PAYABLE balance (negative: owed to the shop). */
export async function shopPayable(t: TestApp, shopId: string): Promise<number> {
  const [row] = await t.sql(`select coalesce(sum(amount), 0)::text as balance from ledger_entry where account = 'SHOP_PAYABLE' and shop_id = ?`, [shopId]);
  return Number(row.balance);
}

/** The shop's SHOP_PAYABLE and PAYOUTS_IN_TRANSIT balances (credit balances are negative). */
export async function shopAccounts(t: TestApp, shopKey: string): Promise<{ payable: number; inTransit: number }> {
  const [row] = await t.sql(
    `select coalesce(sum(amount) filter (where account = 'SHOP_PAYABLE'), 0)::text as payable, coalesce(sum(amount) filter (where account = 'PAYOUTS_IN_TRANSIT'), 0)::text as in_transit
     from ledger_entry where shop_id = ?`,
    [shopKey],
  );
  return { payable: Number(row.payable), inTransit: Number(row.in_transit) };
}

export interface PostedEntry {
  account: string;
  amount: number;
  shop: string | null;
  order: string | null;
}

export interface Posting {
  id: string;
  kind: string;
  at: Date;
  memo: string | null;
  payment: string | null;
  refund: string | null;
  entries: PostedEntry[];
}

/**
 * Postings matching `where` (SQL on `p`, the posting), oldest first, each with its entries sorted
 * by order, account and amount: what a test compares with `toEqual`.
 */
export async function postings(t: TestApp, where: string, params: unknown[] = []): Promise<Posting[]> {
  const rows = await t.sql(
    `select p.id::text, p.kind, p.at, p.memo, p.payment_id::text as payment, p.refund_id::text as refund,
            coalesce(json_agg(json_build_object('account', e.account, 'amount', e.amount, 'shop', e.shop_id::text, 'order', e.order_id::text)
                              order by e.order_id nulls last, e.account, e.amount) filter (where e.id is not null), '[]') as entries
     from ledger_posting p left join ledger_entry e on e.posting_id = p.id
     where ${where}
     group by p.id order by p.id`,
    params,
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at), entries: (typeof r.entries === 'string' ? JSON.parse(r.entries) : r.entries).map((e: PostedEntry) => ({ ...e, amount: Number(e.amount) })) }));
}

/** How many postings of `kind` there are (for a payment, a refund: pass its condition). */
export async function postingCount(t: TestApp, where = 'true', params: unknown[] = []): Promise<number> {
  const [row] = await t.sql(`select count(*)::int as n from ledger_posting p where ${where}`, params);
  return row.n;
}

/** round_half_even(n / d) of non-negative integers (a test oracle, independent of src/). */
export function halfEven(n: number, d: number): number {
  const q = Math.floor(n / d);
  const twice = 2 * (n - q * d);
  return twice > d || (twice === d && q % 2 === 1) ? q + 1 : q;
}

// --- Invariants ----------------------------------------------------------------------------------

const SETTLED_KINDS = `('PAYMENT', 'REFUND', 'ADJUSTMENT')`;
const SETTLED_ACCOUNTS = `('SHOP_PAYABLE', 'PLATFORM_COMMISSION', 'PLATFORM_PROMOTIONS', 'PLATFORM_ADJUSTMENTS')`;

/** round_half_even of a non-negative numeric, in SQL. */
const halfEvenSql = (x: string) => `(case when (${x}) - floor(${x}) = 0.5 then floor(${x}) + (floor(${x})::bigint % 2) else round(${x}) end)`;

/** Each ledger invariant as the SQL selecting the rows that break it (none: it holds). */
export const LEDGER_INVARIANTS: Record<string, string> = {
  'every posting has two entries or more, and they sum to zero': `
    select p.id, p.kind, count(e.id)::int as entries, coalesce(sum(e.amount), 0)::text as sum
    from ledger_posting p left join ledger_entry e on e.posting_id = p.id
    group by p.id having count(e.id) < 2 or coalesce(sum(e.amount), 0) <> 0`,
  'every account’s balances sum to zero': `
    select sum(amount)::text as sum from ledger_entry having coalesce(sum(amount), 0) <> 0`,
  'an entry carries its posting’s kind and time, and is never zero': `
    select e.id, e.kind, p.kind as posting_kind from ledger_entry e join ledger_posting p on p.id = e.posting_id
    where e.kind <> p.kind or e.at <> p.at or e.amount = 0`,
  'a posting names what it records: PAYMENT a payment, REFUND and REFUND_SENT a refund, payouts a payout attempt, ADJUSTMENT its author': `
    select id, kind, payment_id, refund_id, payout_id, payout_attempt, actor_id from ledger_posting
    where (payment_id is not null) <> (kind = 'PAYMENT')
       or (refund_id is not null) <> (kind in ('REFUND', 'REFUND_SENT'))
       or (payout_id is not null and payout_attempt is not null) <> (kind like 'PAYOUT%')
       or (kind = 'ADJUSTMENT' and actor_id is null)`,
  'each succeeded payment is posted once, at its amount (a payment of 0.00 moves nothing and is not posted); no other payment is posted': `
    select p.id, p.status, p.amount, count(lp.id)::int as postings, coalesce(sum(b.debit), 0)::text as posted
    from payment p
    left join ledger_posting lp on lp.payment_id = p.id
    left join lateral (select coalesce(sum(e.amount), 0) as debit from ledger_entry e where e.posting_id = lp.id and e.account = 'BUYER_PAYMENTS') b on true
    group by p.id
    having count(lp.id) <> (case when p.status = 'SUCCEEDED' and p.amount > 0 then 1 else 0 end)
        or (p.status = 'SUCCEEDED' and coalesce(sum(b.debit), 0) <> p.amount)`,
  'a line’s commission is round_half_even((line total − the discounts the shop funds) × its rate), and an order’s the sum of its lines’': `
    select o.id, o.commission, l.commission as lines, l.wrong
    from orders o
    join lateral (select coalesce(sum(commission), 0) as commission,
                         count(*) filter (where commission <> ${halfEvenSql('(line_total - (discount - platform_discount)) * commission_rate')}) as wrong
                  from order_line where order_id = o.id) l on true
    where o.commission <> l.commission or l.wrong > 0`,
  'a paid order’s PAYMENT entries are its snapshot: the total in, the shop’s share, the commission and the platform-funded discount out; an unpaid order has none': `
    select o.id, o.status, o.total, o.commission, o.platform_discount, x.postings, x.buyer::text, x.shop::text, x.commission::text, x.promotions::text
    from orders o
    cross join lateral (
      select count(distinct e.posting_id)::int as postings,
             coalesce(sum(e.amount) filter (where e.account = 'BUYER_PAYMENTS'), 0) as buyer,
             coalesce(sum(e.amount) filter (where e.account = 'SHOP_PAYABLE'), 0) as shop,
             coalesce(sum(e.amount) filter (where e.account = 'PLATFORM_COMMISSION'), 0) as commission,
             coalesce(sum(e.amount) filter (where e.account = 'PLATFORM_PROMOTIONS'), 0) as promotions,
             count(*) filter (where e.shop_id is distinct from o.shop_id or e.account not in ('BUYER_PAYMENTS', 'SHOP_PAYABLE', 'PLATFORM_COMMISSION', 'PLATFORM_PROMOTIONS')) as stray
      from ledger_entry e where e.order_id = o.id and e.kind = 'PAYMENT') x
    where x.postings <> (case when o.paid_at is not null and o.total > 0 then 1 else 0 end)
       or (o.paid_at is not null and (x.buyer <> o.total or x.shop <> -(o.total - o.commission + o.platform_discount)
                                      or x.commission <> -o.commission or x.promotions <> o.platform_discount or x.stray > 0))`,
  'per checkout, the money paid is its paid orders’ commissions, shop shares and platform-funded discounts, and what is owed back': `
    select c.id, a.paid::text, x.split::text, x.owed::text, r.unattached::text
    from checkout c
    cross join lateral (select coalesce(sum(amount), 0) as paid from payment where checkout_id = c.id and status = 'SUCCEEDED') a
    cross join lateral (
      select coalesce(-sum(e.amount) filter (where e.account in ('SHOP_PAYABLE', 'PLATFORM_COMMISSION', 'PLATFORM_PROMOTIONS')), 0) as split,
             coalesce(-sum(e.amount) filter (where e.account = 'REFUNDS_PAYABLE'), 0) as owed
      from ledger_entry e join ledger_posting lp on lp.id = e.posting_id join payment p on p.id = lp.payment_id
      where p.checkout_id = c.id) x
    cross join lateral (select coalesce(sum(r.amount), 0) as unattached from refund r join payment p on p.id = r.payment_id where p.checkout_id = c.id and r.order_id is null) r
    where a.paid <> x.split + x.owed
       or x.owed <> r.unattached
       or x.split <> (select coalesce(sum(total), 0) from orders where checkout_id = c.id and paid_at is not null)`,
  'refunds never exceed what was paid for an order, and only paid orders are refunded': `
    select o.id, o.total, o.paid_at, sum(r.amount)::text as refunded
    from orders o join refund r on r.order_id = o.id
    group by o.id having sum(r.amount) > o.total or o.paid_at is null or bool_or(r.amount <= 0)`,
  'each order refund is posted once as a REFUND of its amount; refunds of money for no order are not': `
    select r.id, r.order_id, r.amount, count(distinct lp.id)::int as postings, coalesce(sum(e.amount) filter (where e.account = 'REFUNDS_PAYABLE'), 0)::text as owed,
           count(*) filter (where e.order_id is distinct from r.order_id) as stray
    from refund r
    left join ledger_posting lp on lp.refund_id = r.id and lp.kind = 'REFUND'
    left join ledger_entry e on e.posting_id = lp.id
    group by r.id
    having count(distinct lp.id) <> (case when r.order_id is null then 0 else 1 end)
        or (r.order_id is not null and (coalesce(sum(e.amount) filter (where e.account = 'REFUNDS_PAYABLE'), 0) <> -r.amount or count(*) filter (where e.order_id is distinct from r.order_id) > 0))`,
  'a refund the provider sent is posted once as REFUND_SENT, and one not sent is not': `
    select r.id, r.status, r.amount, count(distinct lp.id)::int as postings, coalesce(sum(e.amount) filter (where e.account = 'REFUNDS_PAYABLE'), 0)::text as cleared
    from refund r
    left join ledger_posting lp on lp.refund_id = r.id and lp.kind = 'REFUND_SENT'
    left join ledger_entry e on e.posting_id = lp.id
    group by r.id
    having count(distinct lp.id) <> (case when r.status = 'SUCCEEDED' then 1 else 0 end)
        or (r.status = 'SUCCEEDED' and coalesce(sum(e.amount) filter (where e.account = 'REFUNDS_PAYABLE'), 0) <> r.amount)`,
  'per order, the entries net to zero; what the shop and the platform keep is the total less refunds; a fully refunded order is zero on every account once its refunds are sent': `
    select o.id, o.total, o.paid_at, f.refunded::text, f.unsent::text, x.net::text, x.kept::text, x.buyer::text, x.owed::text
    from orders o
    cross join lateral (select coalesce(sum(amount), 0) as refunded, coalesce(sum(amount) filter (where status <> 'SUCCEEDED'), 0) as unsent from refund where order_id = o.id) f
    cross join lateral (
      select coalesce(sum(e.amount), 0) as net,
             coalesce(-sum(e.amount) filter (where e.account in ('SHOP_PAYABLE', 'PLATFORM_COMMISSION', 'PLATFORM_PROMOTIONS') and e.kind in ('PAYMENT', 'REFUND')), 0) as kept,
             coalesce(sum(e.amount) filter (where e.account = 'BUYER_PAYMENTS'), 0) as buyer,
             coalesce(sum(e.amount) filter (where e.account = 'REFUNDS_PAYABLE'), 0) as owed
      from ledger_entry e where e.order_id = o.id) x
    where x.net <> 0
       or x.kept <> (case when o.paid_at is null then 0 else o.total - f.refunded end)
       or x.buyer <> (case when o.paid_at is null then 0 else o.total - (f.refunded - f.unsent) end)
       or x.owed <> -f.unsent
       or (f.refunded = o.total and f.unsent = 0 and exists (
             select from ledger_entry e where e.order_id = o.id group by e.account having sum(e.amount) <> 0))`,
  'REFUNDS_PAYABLE is what the refunds not yet sent come to; BUYER_PAYMENTS the money taken less refunds and payouts sent': `
    select r.owed::text, l.refunds_payable::text, m.held::text, l.buyer_payments::text
    from (select coalesce(sum(amount), 0) as owed from refund where status <> 'SUCCEEDED') r,
         (select coalesce(sum(amount) filter (where account = 'REFUNDS_PAYABLE'), 0) as refunds_payable,
                 coalesce(sum(amount) filter (where account = 'BUYER_PAYMENTS'), 0) as buyer_payments from ledger_entry) l,
         (select (select coalesce(sum(amount), 0) from payment where status = 'SUCCEEDED')
               - (select coalesce(sum(amount), 0) from refund where status = 'SUCCEEDED')
               + (select coalesce(sum(amount), 0) from ledger_entry where kind = 'PAYOUT_PAID' and account = 'BUYER_PAYMENTS') as held) m
    where l.refunds_payable <> -r.owed or l.buyer_payments <> m.held`,
  'entries are settled only into their own shop’s CLOSED settlements, only settleable ones, and only once their order is final': `
    select e.id, e.kind, e.account, e.shop_id, s.shop_id as settlement_shop, s.status, o.status as order_status
    from ledger_entry e join settlement s on s.id = e.settlement_id left join orders o on o.id = e.order_id
    where s.status <> 'CLOSED' or s.shop_id is distinct from e.shop_id
       or e.kind not in ${SETTLED_KINDS} or e.account not in ${SETTLED_ACCOUNTS}
       or (e.order_id is not null and o.status not in ('COMPLETED', 'CANCELLED'))`,
  'a CLOSED settlement’s figures are what its entries sum to, and its payable carries a negative predecessor': `
    select s.id, s.gross, s.commission, s.refunds, s.adjustments, s.net, s.carried_over, s.payable, s.order_count, f.*
    from settlement s
    cross join lateral (
      select coalesce(-sum(amount) filter (where kind = 'PAYMENT' and account in ('SHOP_PAYABLE', 'PLATFORM_COMMISSION')), 0)::bigint as e_gross,
             coalesce(-sum(amount) filter (where account = 'PLATFORM_COMMISSION'), 0)::bigint as e_commission,
             coalesce(sum(amount) filter (where kind = 'REFUND' and account in ('SHOP_PAYABLE', 'PLATFORM_COMMISSION')), 0)::bigint as e_refunds,
             coalesce(-sum(amount) filter (where kind = 'ADJUSTMENT' and account = 'SHOP_PAYABLE'), 0)::bigint as e_adjustments,
             coalesce(-sum(amount) filter (where account = 'SHOP_PAYABLE'), 0)::bigint as e_net,
             count(distinct order_id)::int as e_orders,
             least(0, coalesce((select prev.payable from settlement prev where prev.shop_id = s.shop_id and prev.status = 'CLOSED' and prev.period_start < s.period_start
                                order by prev.period_start desc limit 1), 0))::bigint as e_carried
      from ledger_entry where settlement_id = s.id) f
    where s.status = 'CLOSED'
      and (s.gross <> f.e_gross or s.commission <> f.e_commission or s.refunds <> f.e_refunds or s.adjustments <> f.e_adjustments
           or s.net <> f.e_net or s.order_count <> f.e_orders or s.carried_over <> f.e_carried or s.payable <> s.net + s.carried_over)`,
  'per shop, Σ settlement nets + the open period = −SHOP_PAYABLE balance + payouts paid or in transit': `
    select sh.id as shop_id, n.nets::text, x.open::text, x.balance::text, x.created::text, x.failed::text, x.paid_after_failure::text
    from shop sh
    cross join lateral (select coalesce(sum(net), 0) as nets from settlement where shop_id = sh.id and status = 'CLOSED') n
    cross join lateral (
      select coalesce(-sum(amount) filter (where settlement_id is null and kind in ${SETTLED_KINDS}), 0) as open,
             coalesce(sum(amount), 0) as balance,
             coalesce(sum(amount) filter (where kind = 'PAYOUT_CREATED'), 0) as created,
             coalesce(-sum(amount) filter (where kind = 'PAYOUT_FAILED'), 0) as failed,
             -- a payout the provider paid after failing it leaves from SHOP_PAYABLE
             coalesce(sum(amount) filter (where kind = 'PAYOUT_PAID'), 0) as paid_after_failure
      from ledger_entry where account = 'SHOP_PAYABLE' and shop_id = sh.id) x
    where n.nets + x.open <> -x.balance + x.created - x.failed + x.paid_after_failure`,
  'a shop’s PAYOUTS_IN_TRANSIT never holds more than was paid out to it (never a debit balance)': `
    select shop_id, sum(amount)::text as balance from ledger_entry where account = 'PAYOUTS_IN_TRANSIT' group by shop_id having sum(amount) > 0`,
};

/** The rows breaking each ledger invariant (an empty list per invariant when all hold). */
export async function ledgerViolations(db: SqlRunner): Promise<Record<string, unknown[]>> {
  const found: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(LEDGER_INVARIANTS)) found[name] = await rowsOf(db, sql);
  return found;
}

/** Asserts every ledger invariant holds (`when` names the moment in the failure message). */
export async function expectLedgerInvariants(db: SqlRunner, when = ''): Promise<void> {
  const found = await ledgerViolations(db);
  expect(found, `ledger invariants ${when}`).toEqual(Object.fromEntries(Object.keys(LEDGER_INVARIANTS).map((name) => [name, []])));
}

/** Asserts every posting balances and every account's balances sum to zero. */
export async function assertLedgerBalanced(db: SqlRunner): Promise<void> {
  const names = ['every posting has two entries or more, and they sum to zero', 'every account’s balances sum to zero'];
  const found = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await rowsOf(db, LEDGER_INVARIANTS[name])] as const)));
  expect(found).toEqual(Object.fromEntries(names.map((name) => [name, []])));
}
