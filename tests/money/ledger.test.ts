import { Client, type DatabaseError } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireCheckouts } from '../../src/services/orders';
import { processRefunds } from '../../src/services/payments';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { newKey, PAY, webhook } from '../helpers/buying';
import { keyOf, okPayload } from '../helpers/kit';
import { expectLedgerInvariants, orderAccounts, postingCount, postings } from '../helpers/ledger';
import { type Scenario, scenario } from '../helpers/scenario';

/**
 * The double-entry ledger as payments write it, and the database's own guard over it: postings
 * that do not balance are refused, and nothing posted is ever updated or deleted (a settlement is
 * stamped on an entry once).
 */

const MINUTE = 60_000;
const clock = new ManualClock(new Date('2031-06-02T03:00:00Z'));
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } errors { code } } }`;

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ CHECKOUT_TTL_MINUTES: '30', DEFAULT_COMMISSION_RATE: '0.05' }, { clock });
});
afterAll(() => t.close());

/** payCheckout for the scenario's latest checkout; returns the payment's global ID. */
async function pay(s: Scenario): Promise<string> {
  return okPayload(await t.gql(PAY, { input: { checkoutId: s.checkout.id, provider: 'MOCK' } }, { token: s.buyer.token }), 'payCheckout', 'payment').id;
}

/** Delivers a signed payment event; returns the webhook's outcome. */
async function deliver(paymentId: string, type: 'payment.succeeded' | 'payment.failed', eventId = newKey()): Promise<string> {
  const res = await webhook(t, { eventId, type, paymentId });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().outcome;
}

const ordersOf = async (checkoutId: string) =>
  (await t.sql('select id::text, shop_id::text, total, commission from orders where checkout_id = ? order by id', [keyOf(checkoutId)])).map((o) => ({
    id: o.id as string,
    shop: o.shop_id as string,
    total: Number(o.total),
    commission: Number(o.commission),
  }));

describe('payments in the ledger', () => {
  it('pays a checkout of 0.00 (a free variant, free shipping) without posting anything: no money moved', async () => {
    // Listing standards want a price above zero; a free gift variant is set by hand here (promotions will make such orders).
    const b = scenario(t).buyer().shop().product({ price: 100 });
    await t.sql('update product_variant set price = 0 where id = ?', [(await b.run()).variantKeys[0]]);
    const s = await b.inCart(1).paid().run();
    expect(s.checkout.total.amountMinor).toBe(0);
    expect(s.order.status).toBe('PAID');
    expect(await postingCount(t, 'payment_id = ?', [keyOf(s.payment.id)])).toBe(0);
    await expectLedgerInvariants(t);
  });

  it('posts a paid checkout as one PAYMENT: per order, the total in, the shop’s share and the commission out', async () => {
    const b = scenario(t).buyer().shop().product({ price: 1999 }).inCart(2).shop().product({ price: 1550 }).inCart(1);
    const s = await b.run();
    await t.sql('update shop set commission_rate = 0.1 where id = ?', [s.shop.shop.id]);
    await b.paid().run();

    const orders = await ordersOf(s.checkout.id);
    expect(orders.map((o) => o.commission).sort((x, y) => x - y)).toEqual([155, 200]); // 1550 × 0.1; 3998 × 0.05 = 199.9 → 200
    const posted = await postings(t, 'p.payment_id = ?', [keyOf(s.payment.id)]);
    expect(posted).toEqual([
      {
        id: expect.any(String),
        kind: 'PAYMENT',
        at: clock.now(),
        memo: null,
        payment: keyOf(s.payment.id),
        refund: null,
        entries: orders.flatMap((o) => [
          { account: 'BUYER_PAYMENTS', amount: o.total, shop: o.shop, order: o.id },
          { account: 'PLATFORM_COMMISSION', amount: -o.commission, shop: o.shop, order: o.id },
          { account: 'SHOP_PAYABLE', amount: -(o.total - o.commission), shop: o.shop, order: o.id },
        ]),
      },
    ]);
    expect(orders.reduce((sum, o) => sum + o.total, 0)).toBe(s.checkout.total.amountMinor);
    // Nothing else names these orders.
    expect(await postingCount(t, 'exists (select from ledger_entry e where e.posting_id = p.id and e.order_id in (?))', [orders.map((o) => o.id)])).toBe(1);
    await expectLedgerInvariants(t);
  });

  it('posts nothing more for a replayed event, a second success, a late failure, or the same event delivered at once many times', async () => {
    const s = await scenario(t).shop().product({ price: 2500 }).buyer().inCart(1).checkout().run();
    const paymentId = await pay(s);
    const payment = keyOf(paymentId);

    expect(await deliver(paymentId, 'payment.failed')).toBe('processed');
    expect(await postingCount(t, 'p.payment_id = ?', [payment])).toBe(0);

    const eventId = newKey();
    const first = await Promise.all(Array.from({ length: 6 }, () => deliver(paymentId, 'payment.succeeded', eventId)));
    expect(first.sort()).toEqual(['processed', 'replayed', 'replayed', 'replayed', 'replayed', 'replayed']);
    const [posting] = await postings(t, 'p.payment_id = ?', [payment]);

    expect(await deliver(paymentId, 'payment.succeeded', eventId)).toBe('replayed');
    expect(await deliver(paymentId, 'payment.succeeded')).toBe('processed');
    expect(await deliver(paymentId, 'payment.failed')).toBe('processed');
    // Concurrent successes under new event ids: still the one posting.
    await Promise.all([0, 1, 2].map(() => deliver(paymentId, 'payment.succeeded')));

    expect(await postings(t, 'p.payment_id = ?', [payment])).toEqual([posting]);
    expect(await orderAccounts(t, s.order.key)).toEqual({ BUYER_PAYMENTS: 2500, PLATFORM_COMMISSION: -125, SHOP_PAYABLE: -2375 });
    const [{ status }] = await t.sql('select status from payment where id = ?', [payment]);
    expect(status).toBe('SUCCEEDED');
    await expectLedgerInvariants(t);
  });

  it('sends money that arrives for an expired checkout from BUYER_PAYMENTS to REFUNDS_PAYABLE, and its refund sent clears it', async () => {
    const s = await scenario(t).shop().product({ price: 4321 }).buyer().inCart(1).checkout().run();
    const paymentId = await pay(s);
    clock.advance(31 * MINUTE);
    expect(await expireCheckouts(t.app.deps, t.orm.em.fork())).toBeGreaterThanOrEqual(1);

    expect(await deliver(paymentId, 'payment.succeeded')).toBe('processed');
    const [refund] = await t.sql('select id::text, order_id, amount, status from refund where payment_id = ?', [keyOf(paymentId)]);
    expect(refund).toMatchObject({ order_id: null, amount: '4321', status: 'PENDING' });
    const money = { shop: null, order: null };
    expect((await postings(t, 'p.payment_id = ?', [keyOf(paymentId)])).map((p) => [p.kind, p.entries])).toEqual([
      [
        'PAYMENT',
        [
          { account: 'BUYER_PAYMENTS', amount: 4321, ...money },
          { account: 'REFUNDS_PAYABLE', amount: -4321, ...money },
        ],
      ],
    ]);
    // The order was never paid: it has no entries.
    expect(await orderAccounts(t, s.order.key)).toEqual({});

    await processRefunds(t.app.deps, t.orm.em.fork());
    expect((await postings(t, 'p.refund_id = ?', [refund.id])).map((p) => [p.kind, p.entries])).toEqual([
      [
        'REFUND_SENT',
        [
          { account: 'BUYER_PAYMENTS', amount: -4321, ...money },
          { account: 'REFUNDS_PAYABLE', amount: 4321, ...money },
        ],
      ],
    ]);
    const [net] = await t.sql(
      `select coalesce(sum(amount) filter (where account = 'BUYER_PAYMENTS'), 0)::int as buyer, coalesce(sum(amount) filter (where account = 'REFUNDS_PAYABLE'), 0)::int as owed
       from ledger_entry e join ledger_posting p on p.id = e.posting_id where p.payment_id = ? or p.refund_id = ?`,
      [keyOf(paymentId), refund.id],
    );
    expect(net).toEqual({ buyer: 0, owed: 0 });
    await expectLedgerInvariants(t);
  });

  it('posts only the orders still open when one was cancelled after the payment was opened; the difference is owed back', async () => {
    const s = await scenario(t).buyer().shop().product({ price: 1000 }).inCart(1).shop().product({ price: 3000 }).inCart(1).checkout().run();
    const paymentId = await pay(s);
    const [cancelled, open] = [s.orders.find((o) => o.total.amountMinor === 1000)!, s.orders.find((o) => o.total.amountMinor === 3000)!];
    expect((await t.gql(CANCEL, { input: { orderId: cancelled.id } }, { token: s.buyer.token })).data!.cancelOrder).toEqual({ order: { status: 'CANCELLED' }, errors: [] });

    expect(await deliver(paymentId, 'payment.succeeded')).toBe('processed');
    const [posting] = await postings(t, 'p.payment_id = ?', [keyOf(paymentId)]);
    const shop = open.shop.id && keyOf(open.shop.id);
    expect(posting.entries).toEqual([
      { account: 'BUYER_PAYMENTS', amount: 3000, shop, order: open.key },
      { account: 'PLATFORM_COMMISSION', amount: -150, shop, order: open.key },
      { account: 'SHOP_PAYABLE', amount: -2850, shop, order: open.key },
      { account: 'BUYER_PAYMENTS', amount: 1000, shop: null, order: null },
      { account: 'REFUNDS_PAYABLE', amount: -1000, shop: null, order: null },
    ]);
    expect(await orderAccounts(t, cancelled.key)).toEqual({});
    const refunds = await t.sql('select order_id, amount from refund where payment_id = ?', [keyOf(paymentId)]);
    expect(refunds).toEqual([{ order_id: null, amount: '1000' }]);
    await expectLedgerInvariants(t);
  });
});

describe('the database’s guard over the ledger', () => {
  let db: Client;
  /** A posting of a real payment to work on, and two shops' settlements to stamp its entries with. */
  let paid: { posting: string; entry: string; shop: string; order: string };
  let settlements: string[];

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.TEST_DB_URL });
    await db.connect();
    const s = await scenario(t).shop().product({ price: 800 }).buyer().inCart(1).paid().run();
    const [entry] = await t.sql(
      `select e.id::text, e.posting_id::text from ledger_entry e join ledger_posting p on p.id = e.posting_id where p.payment_id = ? and e.account = 'SHOP_PAYABLE'`,
      [keyOf(s.payment.id)],
    );
    paid = { posting: entry.posting_id, entry: entry.id, shop: s.shop.shop.id, order: s.order.key };
    const rows = await t.sql(
      `insert into settlement (shop_id, period_start, period_end, status, created_at, updated_at)
       values (?, '2031-01-01', '2031-01-02', 'OPEN', now(), now()), (?, '2031-01-02', '2031-01-03', 'OPEN', now(), now()) returning id::text`,
      [paid.shop, paid.shop],
    );
    settlements = rows.map((r) => r.id);
  });
  afterAll(async () => {
    await db?.end();
  });

  /** Runs `sql` in a transaction that is rolled back; the SQLSTATE it failed with, or 'ok'. */
  async function attempt(...statements: [string, unknown[]?][]): Promise<string> {
    await db.query('begin');
    try {
      for (const [sql, params] of statements) await db.query(sql, params);
      return 'ok';
    } catch (err) {
      return (err as DatabaseError).code ?? String(err);
    } finally {
      await db.query('rollback');
    }
  }

  /** A posting of `kind` and its entries `[account, amount, shop?]`, in one statement. */
  const insertPosting = (entries: [string, number, string?][], kind = 'ADJUSTMENT'): [string, unknown[]] => [
    `with p as (insert into ledger_posting (kind, at) values ($1, now()) returning id, kind, at)
     insert into ledger_entry (posting_id, kind, account, shop_id, amount, at)
     select p.id, p.kind, x.account, x.shop_id, x.amount, p.at from p, jsonb_to_recordset($2::jsonb) as x(account text, shop_id bigint, amount bigint)`,
    [kind, JSON.stringify(entries.map(([account, amount, shop]) => ({ account, amount, shop_id: shop ?? null })))],
  ];

  it('accepts a balanced posting written in one statement', async () => {
    expect(await attempt(insertPosting([['SHOP_PAYABLE', -300, paid.shop], ['PLATFORM_ADJUSTMENTS', 300]]))).toBe('ok');
  });

  it('refuses a posting whose entries do not sum to zero (23514), however they are written', async () => {
    expect(await attempt(insertPosting([['SHOP_PAYABLE', -300, paid.shop], ['PLATFORM_ADJUSTMENTS', 299]]))).toBe('23514');
    expect(await attempt(insertPosting([['BUYER_PAYMENTS', 5]]))).toBe('23514');
    // Entry by entry: the first statement leaves its posting unbalanced, and is refused.
    expect(
      await attempt(
        [`insert into ledger_posting (id, kind, at) values (-1, 'ADJUSTMENT', now())`],
        [`insert into ledger_entry (posting_id, kind, account, shop_id, amount, at) values (-1, 'ADJUSTMENT', 'SHOP_PAYABLE', $1, -300, now())`, [paid.shop]],
        [`insert into ledger_entry (posting_id, kind, account, amount, at) values (-1, 'ADJUSTMENT', 'PLATFORM_ADJUSTMENTS', 300, now())`],
      ),
    ).toBe('23514');
    // Two postings in one statement that balance together but not each on its own.
    expect(
      await attempt(
        [`insert into ledger_posting (id, kind, at) values (-1, 'ADJUSTMENT', now()), (-2, 'ADJUSTMENT', now())`],
        [
          `insert into ledger_entry (posting_id, kind, account, shop_id, amount, at)
           values (-1, 'ADJUSTMENT', 'SHOP_PAYABLE', $1, -300, now()), (-2, 'ADJUSTMENT', 'PLATFORM_ADJUSTMENTS', null, 300, now())`,
          [paid.shop],
        ],
      ),
    ).toBe('23514');
    // An entry added later to a balanced posting of the ledger unbalances it.
    expect(await attempt([`insert into ledger_entry (posting_id, kind, account, amount, at) select id, kind, 'PLATFORM_COMMISSION', -1, at from ledger_posting where id = $1`, [paid.posting]])).toBe(
      '23514',
    );
  });

  it('refuses zero entries and shop accounts without a shop', async () => {
    expect(await attempt(insertPosting([['SHOP_PAYABLE', -300, paid.shop], ['PLATFORM_ADJUSTMENTS', 300], ['PLATFORM_COMMISSION', 0]]))).toBe('23514');
    expect(await attempt(insertPosting([['SHOP_PAYABLE', -300], ['PLATFORM_ADJUSTMENTS', 300]]))).toBe('23514');
    expect(await attempt(insertPosting([['PAYOUTS_IN_TRANSIT', -300], ['SHOP_PAYABLE', 300, paid.shop]]))).toBe('23514');
  });

  it('refuses every UPDATE and DELETE of postings and entries (55000)', async () => {
    const before = await postings(t, 'p.id = ?', [paid.posting]);
    const refused = [
      [`update ledger_entry set amount = amount + 1 where id = $1`, [paid.entry]],
      [`update ledger_entry set account = 'PLATFORM_ADJUSTMENTS' where id = $1`, [paid.entry]],
      [`update ledger_entry set order_id = null where id = $1`, [paid.entry]],
      [`update ledger_entry set at = at + interval '1 day' where posting_id = $1`, [paid.posting]],
      [`delete from ledger_entry where id = $1`, [paid.entry]],
      [`delete from ledger_entry where posting_id = $1`, [paid.posting]],
      [`update ledger_posting set memo = 'fixed' where id = $1`, [paid.posting]],
      [`update ledger_posting set payment_id = null where id = $1`, [paid.posting]],
      [`delete from ledger_posting where id = $1`, [paid.posting]],
    ] as const;
    for (const [sql, params] of refused) expect(await attempt([sql, [...params]]), sql).toBe('55000');
    // Even a no-op update is refused: there is nothing to update in a ledger.
    expect(await attempt([`update ledger_posting set kind = kind where id = $1`, [paid.posting]])).toBe('55000');
    expect(await postings(t, 'p.id = ?', [paid.posting])).toEqual(before);
  });

  it('lets a settlement be stamped on an entry once, and never changed or removed', async () => {
    const [first, second] = settlements;
    const stamp = (id: string): [string, unknown[]] => [`update ledger_entry set settlement_id = $1 where id = $2`, [id, paid.entry]];
    expect(await attempt(stamp(first))).toBe('ok');
    expect(await attempt(stamp(first), stamp(second))).toBe('55000');
    expect(await attempt(stamp(first), [`update ledger_entry set settlement_id = null where id = $1`, [paid.entry]])).toBe('55000');
    // Stamping may not carry any other change with it.
    expect(await attempt([`update ledger_entry set settlement_id = $1, amount = amount - 1 where id = $2`, [first, paid.entry]])).toBe('55000');
    expect(await attempt([`update ledger_entry set settlement_id = $1, shop_id = null where id = $2`, [first, paid.entry]])).toBe('55000');
    const [row] = await t.sql('select settlement_id from ledger_entry where id = ?', [paid.entry]);
    expect(row.settlement_id).toBeNull();
  });
});
