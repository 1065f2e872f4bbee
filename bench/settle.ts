import type { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { loadConfig } from '../src/config';
import { initOrm } from '../src/db/orm';
import { createDatabase, databaseUrl, describeDatabase } from '../src/db/postgres';
import { withQueryCount } from '../src/db/queryCounter';
import { type CloseResult, closeSettlements } from '../src/services/money';
import type { Clock } from '../src/services/shared/clock';
import type { Cleanup } from './lifecycle';

/**
 * The `settle` scenario: the money domain's settlement close at scale. A fresh database beside the
 * bench database (the ledger is append-only by trigger, so a run cannot reset it) is migrated and
 * filled set-based in SQL with one past week of completed, paid orders — each with its PAYMENT
 * ledger posting as `postPayment` writes it — then `closeSettlements` closes that week, timed and
 * its SQL statements counted, and once more to show it finds nothing left to close.
 */

/** The week closed: Monday 2026-11-02 00:00 to Monday 2026-11-09 00:00 in Asia/Shanghai (UTC+8). */
export const SETTLE_WEEK = { start: new Date('2026-11-01T16:00:00.000Z'), end: new Date('2026-11-08T16:00:00.000Z') };
/** Commission rate of every shop (the default; shops carry no rate of their own). */
const COMMISSION_PERCENT = 5;
/**
 * The most statements one close may send: closeSettlements sends 6 plus one per period start it
 * closes (one here), whatever the number of orders and shops. More means something became per-row.
 */
export const SETTLE_MAX_STATEMENTS = 10;
/** The target of the close of the full-size week. */
export const SETTLE_TARGET_MS = 30_000;

export interface SettleRun {
  ms: number;
  /** SQL statements the ORM sent (withQueryCount; transaction control not counted). */
  statements: number;
  closed: number;
  entries: number;
}

export interface SettleResult {
  title: string;
  orders: number;
  shops: number;
  /** The database the scenario filled, e.g. bench_settle. */
  database: string;
  postgresVersion: string;
  week: { start: string; end: string; clock: string };
  generation: { ms: number; statements: number; ledgerEntries: number };
  close: SettleRun;
  again: SettleRun;
  /** What the closed settlements add up to, against the ledger and the orders. */
  totals: { net: number; shopPayable: number; ordersNet: number; gross: number; commission: number; orderCount: number };
  failures: string[];
}

export const settleTitle = (orders: number, shops: number) =>
  `closing a week of ${orders.toLocaleString('en')} completed orders for ${shops.toLocaleString('en')} shops`;

/**
 * A job scenario's database beside the bench one: `bench_<suffix>` (the settle scenario's
 * `bench_settle`), or `<bench database>_<suffix>` when the bench database is neither `postgres` nor
 * a `bench…` one (a test's own database), so a test run and a manual run on one server do not drop
 * each other's, and the test's clean-up (by name prefix) removes it.
 */
export function siblingDatabaseName(benchUrl: string, suffix: string): string {
  const { name } = describeDatabase(benchUrl);
  return name === 'postgres' || name.startsWith('bench') ? `bench_${suffix}` : `${name}_${suffix}`.slice(0, 63);
}

/** Drops the database `name` on the bench database's server if it exists, and creates it empty. */
export async function recreateDatabase(benchUrl: string, name: string): Promise<string> {
  const admin = new Client({ connectionString: databaseUrl(benchUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(benchUrl, name);
  await createDatabase(url);
  return url;
}

/**
 * The week's data, set-based: a handful of statements whatever the size, on one session (the
 * seeded random() and the plan table are per session). Returns the statements sent.
 */
async function generate(url: string, orders: number, shops: number): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  let statements = 0;
  const q = async (sql: string, params: unknown[] = []) => {
    statements += 1;
    return client.query(sql, params);
  };
  try {
    const empty = await q(`select (select count(*) from shop) + (select count(*) from users) + (select count(*) from orders) + (select count(*) from ledger_entry) as n`);
    if (Number(empty.rows[0].n) !== 0) throw new Error(`${describeDatabase(url).name} is not empty after migration`);
    await q('begin');
    await q('select setseed(0.2026)');
    // One row per order, every figure decided here. Every shop gets at least one order; the rest go
    // to shops skewed towards the first ones (a few big shops, a long tail). Placed in the first two
    // days of the week, paid minutes later, shipped, delivered and completed (after-sales window
    // shortened to fit) before the week ends. Subtotals 19.90 … 999.80, mostly small; shipping 10.00
    // under 99.00; commission 5% of the subtotal, rounded half-even as commissionOn does.
    await q(
      `create temporary table settle_plan on commit drop as
       with base as (
         select i,
           case when i <= $2 then i else 1 + least($2 - 1, floor($2 * power(random(), 2))::int) end as shop_id,
           $1::timestamptz + random() * interval '2 days' as placed_at,
           interval '1 minute' * (1 + random() * 29) as to_pay,
           interval '1 hour' * (2 + random() * 22) as to_ship,
           interval '1 hour' * (12 + random() * 36) as to_deliver,
           interval '1 hour' * (1 + random() * 23) as to_complete,
           (1990 + floor(power(random(), 3) * 98000)::bigint / 10 * 10) as subtotal
         from generate_series(1, $3) i
       )
       select i, shop_id, subtotal,
         case when subtotal >= 9900 then 0 else 1000 end::bigint as shipping_fee,
         (case when subtotal * ${COMMISSION_PERCENT} % 100 = 50 then subtotal * ${COMMISSION_PERCENT} / 100 + (subtotal * ${COMMISSION_PERCENT} / 100) % 2
               else round(subtotal * ${COMMISSION_PERCENT} / 100.0) end)::bigint as commission,
         date_trunc('milliseconds', placed_at) as placed_at,
         date_trunc('milliseconds', placed_at + to_pay) as paid_at,
         date_trunc('milliseconds', placed_at + to_pay + to_ship) as shipped_at,
         date_trunc('milliseconds', placed_at + to_pay + to_ship + to_deliver) as delivered_at,
         date_trunc('milliseconds', placed_at + to_pay + to_ship + to_deliver + to_complete) as completed_at
       from base`,
      [SETTLE_WEEK.start, shops, orders],
    );
    const at = new Date(SETTLE_WEEK.start.getTime() - 30 * 86_400_000);
    await q(`insert into users (id, created_at, updated_at, email, display_name, password_hash) values (1, $1, $1, 'buyer@settle.bench', 'Settle buyer', '!')`, [at]);
    await q(
      `insert into shop (id, created_at, updated_at, name, slug, status, activated_at, description)
       select s, $1, $1, 'Settle shop ' || s, 'settle-shop-' || s, 'ACTIVE', $1, 'A shop of the settle benchmark'
       from generate_series(1, $2) s`,
      [at, shops],
    );
    await q(
      `insert into checkout (id, created_at, updated_at, buyer_id, idempotency_key, status, total, expires_at)
       select i, placed_at, paid_at, 1, 'settle-' || i, 'PAID', subtotal + shipping_fee, placed_at + interval '30 minutes' from settle_plan`,
    );
    await q(
      `insert into payment (id, created_at, updated_at, checkout_id, provider, status, amount, provider_reference)
       select i, placed_at, paid_at, i, 'MOCK', 'SUCCEEDED', subtotal + shipping_fee, 'mock-settle-' || i from settle_plan`,
    );
    await q(
      `insert into orders (id, created_at, updated_at, number, checkout_id, shop_id, buyer_id, status, subtotal, shipping_fee, discount_total, total,
                           shipping_address, placed_at, paid_at, shipped_at, delivered_at, completed_at, commission, platform_discount)
       select i, placed_at, completed_at, to_char(placed_at at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(i::text, 7, '0'), i, shop_id, 1, 'COMPLETED',
              subtotal, shipping_fee, 0, subtotal + shipping_fee,
              jsonb_build_object('recipientName', '王小明', 'phone', '13800000000', 'province', '上海市', 'city', '上海市', 'district', '浦东新区', 'line1', '世纪大道 ' || (i % 2000 + 1) || ' 号', 'postalCode', '200120'),
              placed_at, paid_at, shipped_at, delivered_at, completed_at, commission, 0
       from settle_plan`,
    );
    // The payment's posting, at the time it succeeded, and its entries as postPayment writes them
    // (from the orders' snapshot): one payment paying one order, so no rest to refund, no
    // platform-funded discount; zero entries dropped. One statement: the balance trigger checks it once.
    await q(`insert into ledger_posting (id, kind, at, payment_id, created_at) select p.id, 'PAYMENT', p.updated_at, p.id, p.updated_at from payment p`);
    await q(
      `insert into ledger_entry (posting_id, kind, account, shop_id, order_id, amount, at)
       select lp.id, 'PAYMENT', x.account, o.shop_id, o.id, x.amount, lp.at
       from ledger_posting lp
       join payment p on p.id = lp.payment_id
       join orders o on o.checkout_id = p.checkout_id
       cross join lateral (values (1, 'BUYER_PAYMENTS', o.total),
                                  (2, 'SHOP_PAYABLE', -(o.total - o.commission + o.platform_discount)),
                                  (3, 'PLATFORM_COMMISSION', -o.commission),
                                  (4, 'PLATFORM_PROMOTIONS', o.platform_discount)) x(n, account, amount)
       where lp.kind = 'PAYMENT' and x.amount <> 0
       order by lp.id, x.n`,
    );
    await q(
      `select setval('users_id_seq', (select max(id) from users)), setval('shop_id_seq', (select max(id) from shop)),
              setval('checkout_id_seq', (select max(id) from checkout)), setval('payment_id_seq', (select max(id) from payment)),
              setval('orders_id_seq', (select max(id) from orders)), setval('ledger_posting_id_seq', (select max(id) from ledger_posting))`,
    );
    await q('commit');
    // As autovacuum would soon after such a week: the planner sees the tables as they are.
    await q('analyze users, shop, checkout, payment, orders, ledger_posting, ledger_entry, settlement');
    // Written over a week in real life: the close should not pay for flushing the generation's
    // writes. Needs superuser or pg_checkpoint; without it the close may include some of that.
    await q('checkpoint').catch(() => undefined);
    return statements;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

async function one<T>(orm: MikroORM, sql: string): Promise<T> {
  const [row] = await orm.em.fork().getConnection().execute<T[]>(sql);
  return row;
}

async function timedClose(orm: MikroORM, deps: Parameters<typeof closeSettlements>[0]): Promise<SettleRun> {
  const started = performance.now();
  const { result, queries } = await withQueryCount<CloseResult>(() => closeSettlements(deps, orm.em.fork()));
  return { ms: Math.round(performance.now() - started), statements: queries, closed: result.closed, entries: result.entries };
}

export async function runSettle(opts: { benchUrl: string; orders: number; shops: number }, cleanup: Cleanup, log: (m: string) => void): Promise<SettleResult> {
  const { orders, shops } = opts;
  if (orders < shops) throw new Error(`--settle-orders (${orders}) must be at least --settle-shops (${shops}): every shop gets an order`);
  const name = siblingDatabaseName(opts.benchUrl, 'settle');
  log(`settle: fresh database ${name} beside the bench database, migrated …`);
  const url = await recreateDatabase(opts.benchUrl, name);
  const orm = await initOrm({ url, migrate: true, poolMax: 2 });
  let closed = false;
  const close = async () => {
    if (!closed) await orm.close(true);
    closed = true;
  };
  cleanup.add('settle ORM pool', close);
  try {
    log(`settle: generating ${orders.toLocaleString('en')} completed orders for ${shops.toLocaleString('en')} shops in the week of ${SETTLE_WEEK.start.toISOString()} (set-based SQL) …`);
    const genStarted = performance.now();
    const genStatements = await generate(url, orders, shops);
    const genMs = Math.round(performance.now() - genStarted);
    const { entries: ledgerEntries } = await one<{ entries: number }>(orm, 'select count(*)::int as entries from ledger_entry');
    log(`  generated in ${(genMs / 1000).toFixed(1)} s with ${genStatements} statements: ${ledgerEntries.toLocaleString('en')} ledger entries`);

    const clockAt = new Date(SETTLE_WEEK.end.getTime() + 3_600_000);
    const clock: Clock = { now: () => new Date(clockAt) };
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, SETTLEMENT_PERIOD: 'WEEKLY', JWT_SECRET: 'bench-settle-does-not-sign-tokens-0000000', LOG_LEVEL: 'silent' });
    const deps = { config, clock };

    log(`settle: closeSettlements at ${clockAt.toISOString()} (WEEKLY) …`);
    const first = await timedClose(orm, deps);
    log(`  ${first.ms.toLocaleString('en')} ms, ${first.statements} SQL statements: ${first.closed.toLocaleString('en')} settlements closed, ${first.entries.toLocaleString('en')} ledger entries settled`);
    const again = await timedClose(orm, deps);
    log(`  again: ${again.ms.toLocaleString('en')} ms, ${again.statements} SQL statements: ${again.closed} closed, ${again.entries} entries`);

    const t = await one<{ net: string; gross: string; commission: string; order_count: string; closed: number; shop_payable: string; orders_net: string; unsettled: number }>(
      orm,
      `select (select coalesce(sum(net), 0) from settlement where status = 'CLOSED')::text as net,
              (select coalesce(sum(gross), 0) from settlement where status = 'CLOSED')::text as gross,
              (select coalesce(sum(commission), 0) from settlement where status = 'CLOSED')::text as commission,
              (select coalesce(sum(order_count), 0) from settlement where status = 'CLOSED')::text as order_count,
              (select count(*) from settlement where status = 'CLOSED')::int as closed,
              (select coalesce(-sum(amount), 0) from ledger_entry where account = 'SHOP_PAYABLE')::text as shop_payable,
              (select coalesce(sum(total - commission + platform_discount), 0) from orders)::text as orders_net,
              (select count(*) from ledger_entry where settlement_id is null and account in ('SHOP_PAYABLE', 'PLATFORM_COMMISSION'))::int as unsettled`,
    );
    const { version } = await one<{ version: string }>(orm, "select current_setting('server_version') as version");
    const totals = { net: Number(t.net), shopPayable: Number(t.shop_payable), ordersNet: Number(t.orders_net), gross: Number(t.gross), commission: Number(t.commission), orderCount: Number(t.order_count) };

    const failures: string[] = [];
    if (first.closed !== shops) failures.push(`closed ${first.closed} settlements, not one per shop (${shops})`);
    if (t.closed !== shops) failures.push(`${t.closed} CLOSED settlements in the database, not ${shops}`);
    if (totals.net !== totals.shopPayable) failures.push(`Σ settlement.net ${totals.net} ≠ −Σ SHOP_PAYABLE entries ${totals.shopPayable}`);
    if (totals.net !== totals.ordersNet) failures.push(`Σ settlement.net ${totals.net} ≠ Σ (order total − commission) ${totals.ordersNet}`);
    if (totals.orderCount !== orders) failures.push(`settlements count ${totals.orderCount} orders, not ${orders}`);
    if (first.entries !== 2 * orders || t.unsettled !== 0) failures.push(`${first.entries} entries settled, ${t.unsettled} left unsettled (expected ${2 * orders} and 0)`);
    if (first.statements > SETTLE_MAX_STATEMENTS) failures.push(`the close sent ${first.statements} SQL statements for ${orders} orders: more than the constant ${SETTLE_MAX_STATEMENTS} (per-row work?)`);
    if (again.closed !== 0 || again.entries !== 0) failures.push(`the second close closed ${again.closed} settlements and settled ${again.entries} entries: not idempotent`);
    if (failures.length) log(`  FAILED: ${failures.join('; ')}`);

    return {
      title: settleTitle(orders, shops),
      orders,
      shops,
      database: name,
      postgresVersion: version,
      week: { start: SETTLE_WEEK.start.toISOString(), end: SETTLE_WEEK.end.toISOString(), clock: clockAt.toISOString() },
      generation: { ms: genMs, statements: genStatements, ledgerEntries },
      close: first,
      again,
      totals,
      failures,
    };
  } finally {
    await close();
  }
}
