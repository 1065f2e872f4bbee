import type { MikroORM } from '@mikro-orm/postgresql';
import { Client, type QueryResult } from 'pg';
import { loadConfig } from '../src/config';
import { initOrm } from '../src/db/orm';
import { withQueryCount } from '../src/db/queryCounter';
import { seedBulkCatalog } from '../src/seeds/bulkCatalog';
import { ensureEventPartitions, snapshotMetrics } from '../src/services/analytics';
import type { Clock } from '../src/services/shared/clock';
import type { Cleanup } from './lifecycle';
import { recreateDatabase, siblingDatabaseName } from './settle';

/**
 * The `snapshot` scenario: the analytics snapshot (services/analytics/snapshot.ts) at scale. A
 * fresh database beside the bench database (the ledger is append-only by trigger, so the month's
 * refunds could not be taken out of the bench database again) is migrated and given the bench's
 * catalog (the bulk generator, --products products over its shops and categories), then filled
 * set-based in SQL with thirty Asia/Shanghai days of trade — paid orders with their lines, shop
 * promotions and platform coupons, some cancelled (never paid, or paid and refunded in full), some
 * with after-sale cases (refunded in part, or open), each payment and refund with its ledger
 * postings as the money domain dates them (no entries: the snapshot reads none) — and of behaviour
 * events (views, searches,
 * add-to-carts, shares in sessions, anonymous or by the month's buyers) in the month's partitions
 * (ensureEventPartitions). Then `snapshotMetrics` over the whole month, timed and its statements
 * counted, and once more to show a second run rewrites the same rows; the month's PLATFORM totals
 * are checked against the same figures counted from the sources.
 *
 * The month is June 2026 (with a 618 sale day), fixed so runs compare; the database is dropped
 * and made again by the next run.
 */

/** The month snapshotted: Asia/Shanghai days, inclusive. */
export const SNAPSHOT_WINDOW = {
  from: '2026-06-01',
  to: '2026-06-30',
  days: 30,
  /** 2026-06-01 00:00 in Asia/Shanghai (UTC+8, no daylight saving). */
  start: new Date('2026-05-31T16:00:00.000Z'),
  /** 2026-07-01 00:00 in Asia/Shanghai: the end, exclusive. */
  end: new Date('2026-06-30T16:00:00.000Z'),
};
/** The 618 sale (June 18): about 8% of the month's orders and sessions on that one day. */
const SALE_DAY_INDEX = 17;
const SALE_DAY_SHARE = 0.08;
/** Commission rate of every generated line (the default; the scenario does not model shops' own rates). */
const COMMISSION_PERCENT = 5;
/** Orders that are never paid (their checkout expires), on top of the paid ones, as a share of them. */
const UNPAID_SHARE = 0.04;
/** Mean events per session (the rest of the sessions' shape is in the SQL). */
const EVENTS_PER_SESSION = 5;
/** Search terms of SEARCH events. */
const SEARCH_TERMS = ['耳機', 'wireless', '藍牙耳機', '充電器', 'anker charger', '手機殼', '行動電源', '機械鍵盤', '運動鞋', '保溫杯', '面膜', '咖啡豆', '羽絨服', '登山包', 'switch', '空氣炸鍋'];
/**
 * The most statements one snapshot may send. Their number is fixed whatever the days and scopes
 * (one transaction: a lock, then one statement that upserts metric_daily and product_metric_daily
 * and prunes the range's stale rows); more means some work became per day, per scope or per row.
 */
export const SNAPSHOT_MAX_STATEMENTS = 10;
/** The target of the full-size snapshot (30 days of 100,000 orders and 1,000,000 events). */
export const SNAPSHOT_TARGET_MS = 60_000;

export interface SnapshotRun {
  ms: number;
  /** SQL statements the ORM sent (withQueryCount; transaction control not counted). */
  statements: number;
  days: number;
  /** Rows written, as snapshotMetrics reports them. */
  rows: number;
}

export interface SnapshotResult {
  title: string;
  /** The database the scenario filled, e.g. bench_snapshot. */
  database: string;
  /** The catalog it holds: the bulk generator's, as the bench database's (--products). */
  catalog: { products: number; variants: number; ms: number };
  /** Paid orders generated (--snapshot-orders); `placed` adds the never-paid ones. */
  orders: number;
  placed: number;
  /** Behaviour events generated (--snapshot-events). */
  events: number;
  sessions: number;
  buyers: number;
  shops: number;
  products: number;
  window: { from: string; to: string; days: number };
  postgresVersion: string;
  generation: {
    ms: number;
    statements: number;
    /** Of those, creating the month's behaviour_event partitions (ensureEventPartitions). */
    partitionsMs: number;
    rows: { orders: number; lines: number; discounts: number; refunds: number; cases: number; postings: number; events: number };
    /** Its five slowest statements (the orders' and the events' run side by side). */
    slowest: { sql: string; ms: number }[];
  };
  snapshot: SnapshotRun;
  again: SnapshotRun;
  /** Rows in the month after the snapshot, by table and scope. */
  written: { platform: number; shop: number; category: number; product: number };
  /** The second run left every row as the first wrote it (computed_at aside). */
  identical: boolean;
  /** Month totals from metric_daily's PLATFORM rows against the same figures counted from the sources. */
  checks: { name: string; snapshot: number; source: number }[];
  failures: string[];
}

export const snapshotTitle = (orders: number, events: number, days: number) =>
  `snapshot of ${days} days: ${orders.toLocaleString('en')} paid orders, ${events.toLocaleString('en')} behaviour events`;

type Query = (sql: string, params?: unknown[]) => Promise<QueryResult<Record<string, unknown>>>;

/** Every statement of the generation with its time, for the slowest ones in the log and the result. */
const timed: { sql: string; ms: number }[] = [];

async function withClient<T>(url: string, fn: (q: Query, counted: () => number) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  // A connection lost mid-query (the run interrupted, PostgreSQL stopped) rejects that query; the
  // client's own 'error' event must not also crash the process.
  client.on('error', () => undefined);
  await client.connect();
  let statements = 0;
  const q: Query = async (sql, params = []) => {
    statements += 1;
    const started = performance.now();
    const result = await client.query(sql, params);
    timed.push({ sql: sql.replace(/\s+/g, ' ').trim().slice(0, 70), ms: Math.round(performance.now() - started) });
    return result;
  };
  try {
    return await fn(q, () => statements);
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

/** The scenario's buyers, numbered (1…n) for the plans' skewed picks. */
const BUYERS_SQL = `create temporary table snap_buyer on commit drop as
  select row_number() over (order by id) as k, id from users where email like 'buyer-%@snapshot.bench'`;

const n = (r: QueryResult) => r.rowCount ?? 0;

/** The month's orders and all that goes with them, in one transaction on one session. */
async function generateOrders(url: string, opts: { orders: number }): Promise<{ statements: number; shops: number; rows: Omit<SnapshotResult['generation']['rows'], 'events'> }> {
  const { start, end, days } = SNAPSHOT_WINDOW;
  const unpaid = Math.round(opts.orders * UNPAID_SHARE);
  return withClient(url, async (q, counted) => {
    await q('begin');
    await q('select setseed(0.618)');
    await q(BUYERS_SQL);
    // What is on sale: the variants of each shop, numbered within it.
    await q(
      `create temporary table snap_variant on commit drop as
       select p.shop_id, row_number() over (partition by p.shop_id order by v.id) as rn, v.id as variant_id, p.id as product_id,
              p.title as product_title, v.title as variant_title, v.sku, v.price
       from product p join shop s on s.id = p.shop_id join product_variant v on v.product_id = p.id
       where p.visible and p.status = 'ACTIVE' and s.status = 'ACTIVE' and not v.archived and v.price >= 100`,
    );
    await q(`create temporary table snap_shop on commit drop as
             select row_number() over (order by shop_id) as k, shop_id, count(*)::int as variants from snap_variant group by shop_id`);
    const { rows: [counts] } = await q('select (select count(*) from snap_buyer)::int as buyers, (select count(*) from snap_shop)::int as shops');
    const [buyers, shops] = [Number(counts.buyers), Number(counts.shops)];
    if (!shops || !buyers) throw new Error(`the scenario's database has ${shops} shops with products on sale and ${buyers} buyers: nothing to generate orders from`);

    // One row per order, every fate and time decided here. The day: later days a little busier
    // (a growing shop), 8% on the 618 sale day; buyers skewed (some buy often), shops skewed
    // (a few big ones, a long tail); 1–3 lines. Fates of the paid: 3% cancelled after payment
    // (refunded in full), 2% an after-sale case refunded in part, 1% an after-sale case still
    // open, the rest fulfilled as far as their age allows by the month's end.
    await q(
      `create temporary table snap_order on commit drop as
       with base as (
         select i, i <= $4::int as paid,
           case when random() < ${SALE_DAY_SHARE} then ${SALE_DAY_INDEX} else floor($3::int * power(random(), 0.8)) end as day,
           random() as time_of_day,
           1 + floor($5::int * power(random(), 1.5))::int as buyer_k,
           1 + floor($6::int * power(random(), 2))::int as shop_k,
           1 + (random() < 0.35)::int + (random() < 0.12)::int as lines,
           random() as fate_r, random() < 0.25 as promo, random() < 0.12 as coupon, random() as variant_r,
           interval '1 minute' * (1 + random() * 29) as to_pay,
           interval '1 hour' * (2 + random() * 24) as to_ship,
           interval '1 hour' * (24 + random() * 48) as to_deliver,
           interval '1 hour' * (1 + random() * 19) as to_cancel,
           interval '1 hour' * (6 + random() * 40) as to_case
         from generate_series(1, $4::int + $7::int) i
       ), timed as (
         select b.*, date_trunc('milliseconds', $1::timestamptz + (b.day + b.time_of_day) * interval '1 day') as placed_at from base b
       ), decided as (
         select t.*,
           case when not t.paid then 'EXPIRED'
                when t.fate_r < 0.03 then 'CANCELLED_PAID'
                when t.placed_at + t.to_pay + t.to_ship + t.to_deliver + t.to_case + interval '1 day' > $2::timestamptz then 'NORMAL'
                when t.fate_r < 0.05 then 'REFUNDED'
                when t.fate_r < 0.06 then 'OPEN_CASE'
                else 'NORMAL' end as fate
         from timed t
       )
       select d.i, nextval('orders_id_seq') as order_id, nextval('checkout_id_seq') as checkout_id,
         case when d.paid then nextval('payment_id_seq') end as payment_id,
         bu.id as buyer_id, s.shop_id, s.variants as shop_variants, d.lines, floor(d.variant_r * s.variants)::int as variant_offset,
         d.promo and d.paid as promo, d.coupon and d.paid as coupon, d.fate, d.placed_at,
         case when d.paid then d.placed_at + d.to_pay end as paid_at,
         case when d.fate = 'EXPIRED' then d.placed_at + interval '30 minutes' when d.fate = 'CANCELLED_PAID' then d.placed_at + d.to_pay + d.to_cancel end as cancelled_at,
         case when d.paid and d.fate <> 'CANCELLED_PAID' and d.placed_at + d.to_pay + d.to_ship <= $2::timestamptz then d.placed_at + d.to_pay + d.to_ship end as shipped_at,
         case when d.paid and d.fate <> 'CANCELLED_PAID' and d.placed_at + d.to_pay + d.to_ship + d.to_deliver <= $2::timestamptz then d.placed_at + d.to_pay + d.to_ship + d.to_deliver end as delivered_at,
         case when d.paid and d.fate in ('NORMAL', 'REFUNDED') and d.placed_at + d.to_pay + d.to_ship + d.to_deliver + interval '8 days' <= $2::timestamptz
              then d.placed_at + d.to_pay + d.to_ship + d.to_deliver + interval '8 days' end as completed_at,
         case when d.fate in ('REFUNDED', 'OPEN_CASE') then d.placed_at + d.to_pay + d.to_ship + d.to_deliver + d.to_case end as case_at,
         d.i % 2 = 0 as accepted
       from decided d
       join snap_buyer bu on bu.k = d.buyer_k
       join snap_shop s on s.k = d.shop_k`,
      [start, end, days, opts.orders, buyers, shops, unpaid],
    );
    // Lines: consecutive variants of the order's shop (distinct while the shop has enough), 1–3 units.
    await q(
      `create temporary table snap_line on commit drop as
       select x.*, x.unit_price * x.quantity as line_total
       from (
         select o.order_id, j, v.variant_id, v.product_id, v.product_title, v.variant_title, v.sku, v.price as unit_price,
                1 + (random() < 0.2)::int + (random() < 0.05)::int as quantity
         from snap_order o cross join lateral generate_series(1, o.lines) j
         join snap_variant v on v.shop_id = o.shop_id and v.rn = 1 + (o.variant_offset + (j - 1) * 7) % o.shop_variants
       ) x`,
    );
    // Money: a shop promotion of 10% (at most 50.00), a platform coupon of 5.00 on 50.00; shipping
    // 10.00 under 99.00. Each discount spread over the lines pro rata (the rest on the first line),
    // commission 5% of each line less its shop-funded discount, rounded half-even (commissionOn).
    await q(
      `create temporary table snap_money on commit drop as
       select o.order_id, sum(l.line_total)::bigint as subtotal,
         case when o.promo then least(floor(sum(l.line_total) / 10), 5000) else 0 end::bigint as shop_disc,
         case when o.coupon and sum(l.line_total) >= 5000 then 500 else 0 end::bigint as platform_disc
       from snap_order o join snap_line l on l.order_id = o.order_id
       group by o.order_id, o.promo, o.coupon`,
    );
    await q(
      `create temporary table snap_line_money on commit drop as
       with shares as (
         select l.*, m.subtotal, m.shop_disc, m.platform_disc,
                (l.line_total * m.shop_disc / m.subtotal)::bigint as shop0, (l.line_total * m.platform_disc / m.subtotal)::bigint as plat0
         from snap_line l join snap_money m on m.order_id = l.order_id
       ), parts as (
         select s.*, s.shop0 + case when s.j = 1 then s.shop_disc - sum(s.shop0) over w else 0 end as shop_part,
                s.plat0 + case when s.j = 1 then s.platform_disc - sum(s.plat0) over w else 0 end as plat_part
         from shares s window w as (partition by s.order_id)
       )
       select p.*, c.commission from parts p
       cross join lateral (select (p.line_total - p.shop_part) * ${COMMISSION_PERCENT} as c100) x
       cross join lateral (select case when x.c100 % 100 = 50 then x.c100 / 100 + (x.c100 / 100) % 2 else round(x.c100 / 100.0) end::bigint as commission) c`,
    );
    await q(
      `insert into checkout (id, created_at, updated_at, buyer_id, idempotency_key, status, total, expires_at)
       select o.checkout_id, o.placed_at, coalesce(o.paid_at, o.placed_at + interval '30 minutes'), o.buyer_id, 'bench-snapshot-' || o.i,
              case when o.paid_at is null then 'EXPIRED' else 'PAID' end,
              m.subtotal + case when m.subtotal >= 9900 then 0 else 1000 end - m.shop_disc - m.platform_disc, o.placed_at + interval '30 minutes'
       from snap_order o join snap_money m on m.order_id = o.order_id`,
    );
    await q(
      `insert into payment (id, created_at, updated_at, checkout_id, provider, status, amount, provider_reference)
       select o.payment_id, o.placed_at + interval '1 minute', o.paid_at, o.checkout_id, 'MOCK', 'SUCCEEDED', c.total, 'mock-bench-snapshot-' || o.i
       from snap_order o join checkout c on c.id = o.checkout_id where o.payment_id is not null`,
    );
    const orders = await q(
      `insert into orders (id, created_at, updated_at, number, checkout_id, shop_id, buyer_id, status, subtotal, shipping_fee, discount_total, total,
                           shipping_address, placed_at, paid_at, shipped_at, delivered_at, completed_at, cancelled_at, cancel_reason, cancelled_by,
                           commission, platform_discount, shipping_discount)
       select o.order_id, o.placed_at, coalesce(o.completed_at, o.cancelled_at, o.delivered_at, o.shipped_at, o.paid_at, o.placed_at),
              'SNAP' || lpad(o.i::text, 10, '0'), o.checkout_id, o.shop_id, o.buyer_id,
              case when o.cancelled_at is not null then 'CANCELLED' when o.completed_at is not null then 'COMPLETED' when o.delivered_at is not null then 'DELIVERED'
                   when o.shipped_at is not null then 'SHIPPED' when o.accepted then 'PROCESSING' else 'PAID' end,
              m.subtotal, f.fee, m.shop_disc + m.platform_disc, m.subtotal + f.fee - m.shop_disc - m.platform_disc,
              jsonb_build_object('recipientName', '快照買家', 'phone', '13800000000', 'province', '廣東省', 'city', '深圳市', 'district', '南山區', 'line1', '科技園 ' || (o.i % 500 + 1) || ' 號', 'postalCode', '518000'),
              o.placed_at, o.paid_at, o.shipped_at, o.delivered_at, o.completed_at, o.cancelled_at,
              case o.fate when 'EXPIRED' then 'Payment not received in time' when 'CANCELLED_PAID' then '買錯了 Ordered by mistake' end,
              case o.fate when 'EXPIRED' then 'PLATFORM' when 'CANCELLED_PAID' then 'BUYER' end,
              c.commission, m.platform_disc, 0
       from snap_order o join snap_money m on m.order_id = o.order_id
       join (select order_id, sum(commission)::bigint as commission from snap_line_money group by order_id) c on c.order_id = o.order_id
       cross join lateral (select case when m.subtotal >= 9900 then 0 else 1000 end::bigint as fee) f
       order by o.order_id`,
    );
    const lines = await q(
      `insert into order_line (order_id, variant_id, product_id, product_title, variant_title, sku, unit_price, quantity, line_total, commission_rate, commission, discount, platform_discount)
       select order_id, variant_id, product_id, product_title, variant_title, sku, unit_price, quantity, line_total, ${COMMISSION_PERCENT / 100},
              commission, shop_part + plat_part, plat_part
       from snap_line_money order by order_id, j`,
    );
    const discounts = await q(
      `insert into order_discount (order_id, source, title, funded_by, amount, shipping_amount)
       select order_id, 'PROMOTION', '店鋪 9折 (最高減50)', 'SHOP', shop_disc, 0 from snap_money where shop_disc > 0
       union all
       select order_id, 'COUPON', '平台券 滿50減5', 'PLATFORM', platform_disc, 0 from snap_money where platform_disc > 0
       order by 1`,
    );
    // Refunds: the whole total of the orders cancelled after payment; one unit of the first line
    // (net of its discount) for the after-sale cases refunded, closed a day after they opened.
    const refunds = await q(
      `insert into refund (created_at, updated_at, payment_id, order_id, amount, status, reason, provider_reference)
       select at, at + interval '2 minutes', o.payment_id, o.order_id, amount, 'SUCCEEDED', reason, 'mock-refund-bench-snapshot-' || o.i
       from snap_order o join orders x on x.id = o.order_id
       join snap_line_money l on l.order_id = o.order_id and l.j = 1
       cross join lateral (select case when o.fate = 'CANCELLED_PAID' then o.cancelled_at else o.case_at + interval '1 day' end as at,
                                  case when o.fate = 'CANCELLED_PAID' then x.total else greatest(1, (l.line_total - l.shop_part - l.plat_part) / l.quantity) end as amount,
                                  case when o.fate = 'CANCELLED_PAID' then 'Order cancelled' else 'After-sale case refunded' end as reason) r
       where o.fate in ('CANCELLED_PAID', 'REFUNDED')
       order by o.order_id`,
    );
    const cases = await q(
      `insert into after_sale_case (created_at, updated_at, number, order_id, shop_id, buyer_id, type, status, outcome, reason, refund_amount, refund_id, awaiting, deadline, closed_at)
       select o.case_at, coalesce(r.updated_at, o.case_at), 'SNAP-AS-' || lpad(o.i::text, 10, '0'), o.order_id, o.shop_id, o.buyer_id, 'REFUND_ONLY',
              case when r.id is null then 'REQUESTED' else 'CLOSED' end, case when r.id is null then null else 'REFUNDED' end,
              '商品與描述不符 Not as described', coalesce(r.amount, 100), r.id,
              case when r.id is null then 'MERCHANT' end, case when r.id is null then o.case_at + interval '2 days' end, r.updated_at
       from snap_order o left join refund r on r.order_id = o.order_id and o.fate = 'REFUNDED'
       where o.fate in ('REFUNDED', 'OPEN_CASE')
       order by o.order_id`,
    );

    // The ledger's postings as the money domain dates them (services/money/ledger.ts): each
    // payment's PAYMENT posting when it succeeded, each refund's REFUND posting when it was decided
    // and its REFUND_SENT posting when the provider sent it (the refund's updated_at) — the
    // snapshot dates refunds by that posting and reads the postings of the month by time. Their
    // entries are left out: the snapshot never reads them, and they would double the generation.
    const postings = await q(
      `insert into ledger_posting (kind, at, payment_id, refund_id, memo, created_at)
       select 'PAYMENT', o.paid_at, o.payment_id, null::bigint, null, o.paid_at from snap_order o where o.payment_id is not null
       union all
       select 'REFUND', r.created_at, null, r.id, r.reason, r.created_at from refund r
       union all
       select 'REFUND_SENT', r.updated_at, null, r.id, null, r.updated_at from refund r
       order by 2`,
    );
    await q('commit');
    return { statements: counted(), shops, rows: { orders: n(orders), lines: n(lines), discounts: n(discounts), refunds: n(refunds), cases: n(cases), postings: n(postings) } };
  });
}

/**
 * The month's behaviour events, on a session of their own beside the orders' (the buyers are
 * committed before either starts).
 */
async function generateEvents(url: string, opts: { events: number; sessions: number }): Promise<{ statements: number; products: number; events: number }> {
  const { start, end, days } = SNAPSHOT_WINDOW;
  return withClient(url, async (q, counted) => {
    await q('begin');
    await q('select setseed(0.1806)');
    await q(BUYERS_SQL);
    // The products on sale (as the orders' variants), numbered in a scrambled order so popularity
    // (the low numbers) is neither the newest nor the oldest products.
    await q(
      `create temporary table snap_product on commit drop as
       select row_number() over (order by md5(p.id::text)) as k, p.id as product_id, p.shop_id, p.category_path
       from product p join shop s on s.id = p.shop_id
       where p.visible and p.status = 'ACTIVE' and s.status = 'ACTIVE'
         and exists (select 1 from product_variant v where v.product_id = p.id and not v.archived and v.price >= 100)`,
    );
    const { rows: [counts] } = await q('select (select count(*) from snap_buyer)::int as buyers, (select count(*) from snap_product)::int as products');
    const [buyers, products] = [Number(counts.buyers), Number(counts.products)];
    if (!products) throw new Error('the catalog has no product on sale: nothing to generate events on');
    const sessions = opts.sessions;
    // Sessions: a day (the orders' shape), a start, signed in for 35% (one of the buyers, skewed
    // like their orders), a 64-bit key as trackEvents keeps them (hashtextextended of its id). Events: a session each (about
    // five per session), a type (signed-in sessions add to cart more), a product (popular ones far
    // more often) or a search term, minutes into the session.
    await q(
      `create temporary table snap_session on commit drop as
       select s, hashtextextended('bench-snapshot-session-' || s, 0) as session_key,
              case when random() < 0.35 then 1 + floor($3::int * power(random(), 1.5))::int end as buyer_k,
              $1::timestamptz + ((case when random() < ${SALE_DAY_SHARE} then ${SALE_DAY_INDEX} else floor($2::int * power(random(), 0.8)) end) + random() * 0.98) * interval '1 day' as started_at
       from generate_series(1, $4::int) s`,
      [start, days, buyers, sessions],
    );
    const events = await q(
      `insert into behaviour_event (at, session_key, user_id, type, product_id, shop_id, category_path, query)
       select least(date_trunc('milliseconds', x.started_at + x.offset_r * interval '40 minutes'), $2::timestamptz - interval '1 millisecond'),
              x.session_key, x.user_id, x.type, p.product_id, p.shop_id, p.category_path,
              case when x.type = 'SEARCH' then ($5::text[])[1 + x.term_k] end
       from (
         select ss.started_at, ss.session_key, bu.id as user_id, e.offset_r, e.product_k, e.term_k,
                case when bu.id is null then (case when e.type_r < 0.74 then 'PRODUCT_VIEW' when e.type_r < 0.88 then 'SEARCH' when e.type_r < 0.95 then 'ADD_TO_CART' else 'SHARE' end)
                     else (case when e.type_r < 0.62 then 'PRODUCT_VIEW' when e.type_r < 0.74 then 'SEARCH' when e.type_r < 0.94 then 'ADD_TO_CART' else 'SHARE' end) end as type
         from (select 1 + floor(random() * $3::int)::int as s, random() as type_r, random() as offset_r,
                      1 + floor($4::int * power(random(), 2.5))::int as product_k, floor(random() * cardinality($5::text[]))::int as term_k
               from generate_series(1, $1::int) g) e
         join snap_session ss on ss.s = e.s
         left join snap_buyer bu on bu.k = ss.buyer_k
       ) x
       left join snap_product p on p.k = x.product_k and x.type <> 'SEARCH'`,
      [opts.events, end, sessions, products, SEARCH_TERMS],
    );
    await q('commit');
    return { statements: counted(), products, events: events.rowCount ?? 0 };
  });
}

/**
 * Orders and events, set-based: a handful of statements each whatever the size, the orders on one
 * session and the events on another side by side (each seeds random() and keeps its temporary plan
 * tables; each in one transaction), after the buyers.
 */
async function generate(
  url: string,
  opts: { orders: number; events: number; buyers: number },
): Promise<{ statements: number; sessions: number; shops: number; products: number; rows: SnapshotResult['generation']['rows']; slowest: SnapshotResult['generation']['slowest'] }> {
  timed.length = 0;
  const sessions = Math.max(1, Math.round(opts.events / EVENTS_PER_SESSION));
  // The buyers, signed up a while before the month.
  const made = await withClient(url, async (q, counted) => {
    await q(
      `insert into users (created_at, updated_at, email, display_name, password_hash)
       select $1, $1, 'buyer-' || g || '@snapshot.bench', '快照買家 ' || g, '!' from generate_series(1, $2::int) g`,
      [new Date(SNAPSHOT_WINDOW.start.getTime() - 90 * 86_400_000), opts.buyers],
    );
    return counted();
  });
  const [orders, events] = await Promise.all([generateOrders(url, opts), generateEvents(url, { events: opts.events, sessions })]);
  const settled = await withClient(url, async (q, counted) => {
    // As autovacuum would soon after such a month: the planner sees the tables as they are.
    await q('analyze users, checkout, payment, orders, order_line, order_discount, refund, after_sale_case, ledger_posting, behaviour_event');
    // Written over a month in real life: the snapshot should not pay for flushing the generation's
    // writes. Needs superuser or pg_checkpoint; without it the snapshot may include some of that.
    await q('checkpoint').catch(() => undefined);
    return counted();
  });
  return {
    statements: made + orders.statements + events.statements + settled,
    sessions,
    shops: orders.shops,
    products: events.products,
    rows: { ...orders.rows, events: events.events },
    slowest: [...timed].sort((a, b) => b.ms - a.ms).slice(0, 5),
  };
}

/** The scenario's database: its URL, an ORM on it, and one-off queries (`?` parameters). */
interface Db {
  url: string;
  orm: MikroORM;
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
}

async function timedSnapshot(db: Db, deps: Parameters<typeof snapshotMetrics>[0]): Promise<SnapshotRun> {
  const started = performance.now();
  const { result, queries } = await withQueryCount(() => snapshotMetrics(deps, db.orm.em.fork(), { from: SNAPSHOT_WINDOW.from, to: SNAPSHOT_WINDOW.to }));
  return { ms: Math.round(performance.now() - started), statements: queries, days: result.days, rows: result.rows };
}

/** Every metric row of the month, computed_at aside, as one digest per table. */
async function fingerprint(db: Db): Promise<string> {
  const [row] = await db.sql<{ metric: string; product: string }>(
    `select (select md5(coalesce(string_agg((to_jsonb(m) - 'computed_at')::text, '|' order by m.scope, m.scope_id, m.day), '')) from metric_daily m where m.day between ? and ?) as metric,
            (select md5(coalesce(string_agg(to_jsonb(p)::text, '|' order by p.day, p.product_id), '')) from product_metric_daily p where p.day between ? and ?) as product`,
    [SNAPSHOT_WINDOW.from, SNAPSHOT_WINDOW.to, SNAPSHOT_WINDOW.from, SNAPSHOT_WINDOW.to],
  );
  return `${row.metric}/${row.product}`;
}

/**
 * The month's totals from the PLATFORM rows (sums, and the distinct union of the arrays) beside
 * the same figures counted straight from orders, refunds, cases and events, as the plan defines
 * them: each figure dated by its own event time.
 */
async function crossCheck(db: Db): Promise<SnapshotResult['checks']> {
  const { from, to, start, end } = SNAPSHOT_WINDOW;
  const [s] = await db.sql<Record<string, string>>(
    `select count(*)::text as days, sum(orders)::text as orders, sum(paid_orders)::text as paid_orders, sum(cancelled_orders)::text as cancelled_orders,
            sum(units)::text as units, sum(gmv)::text as gmv, sum(refunds)::text as refunds, sum(refunded_orders)::text as refunded_orders,
            sum(after_sales)::text as after_sales, sum(coupon_redemptions)::text as coupon_redemptions,
            sum(shop_promotion_cost)::text as shop_promotion_cost, sum(platform_promotion_cost)::text as platform_promotion_cost, sum(commission)::text as commission,
            sum(product_views)::text as product_views, sum(searches)::text as searches, sum(add_to_carts)::text as add_to_carts, sum(shares)::text as shares,
            (select count(distinct x) from metric_daily m, unnest(m.buyer_ids) x where m.scope = 'PLATFORM' and m.day between ? and ?)::text as buyers,
            (select count(distinct x) from metric_daily m, unnest(m.visitor_keys) x where m.scope = 'PLATFORM' and m.day between ? and ?)::text as visitors
     from metric_daily where scope = 'PLATFORM' and day between ? and ?`,
    [from, to, from, to, from, to],
  );
  const [src] = await db.sql<Record<string, string>>(
    `with paid as (select * from orders where paid_at >= ? and paid_at < ?)
     select ${SNAPSHOT_WINDOW.days}::text as days,
            (select count(*) from orders where placed_at >= ? and placed_at < ?)::text as orders,
            (select count(*) from paid)::text as paid_orders,
            (select count(*) from orders where cancelled_at >= ? and cancelled_at < ?)::text as cancelled_orders,
            (select coalesce(sum(l.quantity), 0) from paid join order_line l on l.order_id = paid.id)::text as units,
            (select coalesce(sum(total), 0) from paid)::text as gmv,
            (select coalesce(sum(r.amount), 0) from refund r join ledger_posting lp on lp.refund_id = r.id and lp.kind = 'REFUND_SENT'
             where r.status = 'SUCCEEDED' and r.order_id is not null and lp.at >= ? and lp.at < ?)::text as refunds,
            (select count(distinct r.order_id) from refund r join ledger_posting lp on lp.refund_id = r.id and lp.kind = 'REFUND_SENT'
             where r.status = 'SUCCEEDED' and lp.at >= ? and lp.at < ?)::text as refunded_orders,
            (select count(*) from after_sale_case where created_at >= ? and created_at < ?)::text as after_sales,
            (select count(*) from paid join order_discount d on d.order_id = paid.id where d.source = 'COUPON')::text as coupon_redemptions,
            (select coalesce(sum(d.amount), 0) from paid join order_discount d on d.order_id = paid.id where d.funded_by = 'SHOP')::text as shop_promotion_cost,
            (select coalesce(sum(d.amount), 0) from paid join order_discount d on d.order_id = paid.id where d.funded_by = 'PLATFORM')::text as platform_promotion_cost,
            (select coalesce(sum(commission), 0) from paid)::text as commission,
            e.product_views, e.searches, e.add_to_carts, e.shares,
            (select count(distinct buyer_id) from paid)::text as buyers,
            e.visitors
     from (select count(*) filter (where type = 'PRODUCT_VIEW')::text as product_views, count(*) filter (where type = 'SEARCH')::text as searches,
                  count(*) filter (where type = 'ADD_TO_CART')::text as add_to_carts, count(*) filter (where type = 'SHARE')::text as shares,
                  count(distinct session_key)::text as visitors
           from behaviour_event where at >= ? and at < ?) e`,
    [start, end, start, end, start, end, start, end, start, end, start, end, start, end],
  );
  return Object.keys(src).map((name) => ({ name, snapshot: Number(s[name] ?? 0), source: Number(src[name]) }));
}

export async function runSnapshot(opts: { benchUrl: string; products: number; orders: number; events: number }, cleanup: Cleanup, log: (m: string) => void): Promise<SnapshotResult> {
  const { orders, events } = opts;
  const { from, to, days } = SNAPSHOT_WINDOW;
  const buyers = Math.max(20, Math.round(orders / 4));
  const name = siblingDatabaseName(opts.benchUrl, 'snapshot');
  log(`snapshot: fresh database ${name} beside the bench database, migrated, with the bench's catalog (${opts.products.toLocaleString('en')} bulk products) …`);
  const url = await recreateDatabase(opts.benchUrl, name);
  const orm = await initOrm({ url, migrate: true, poolMax: 2 });
  let closed = false;
  const close = async () => {
    if (!closed) await orm.close(true);
    closed = true;
  };
  cleanup.add('snapshot ORM pool', close);
  const db: Db = { url, orm, sql: <T>(q: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(q, params as never[]) };
  try {
    const catalog = await seedBulkCatalog(orm.em.fork(), { products: opts.products });
    log(`  catalog: ${catalog.products.toLocaleString('en')} products, ${catalog.variants.toLocaleString('en')} variants in ${(catalog.ms / 1000).toFixed(1)} s`);

    log(`snapshot: generating ${orders.toLocaleString('en')} paid orders (and ${Math.round(orders * UNPAID_SHARE).toLocaleString('en')} never paid) of ${buyers.toLocaleString('en')} buyers and ${events.toLocaleString('en')} behaviour events over ${from} … ${to} (Asia/Shanghai; set-based SQL) …`);
    const genStarted = performance.now();
    const partitions = await withQueryCount(() => ensureEventPartitions(orm.em.fork(), from, to));
    const partitionsMs = Math.round(performance.now() - genStarted);
    const gen = await generate(url, { orders, events, buyers });
    const genMs = Math.round(performance.now() - genStarted);
    const r = gen.rows;
    log(
      `  generated in ${(genMs / 1000).toFixed(1)} s with ${gen.statements + partitions.queries} statements (${days} partitions in ${partitionsMs} ms): ${r.orders.toLocaleString('en')} orders, ${r.lines.toLocaleString('en')} lines, ` +
        `${r.discounts.toLocaleString('en')} discounts, ${r.refunds.toLocaleString('en')} refunds, ${r.cases.toLocaleString('en')} after-sale cases, ${r.postings.toLocaleString('en')} ledger postings; ` +
        `${r.events.toLocaleString('en')} events in ${gen.sessions.toLocaleString('en')} sessions, over ${gen.shops} shops and ${gen.products.toLocaleString('en')} products`,
    );

    log(`  slowest: ${gen.slowest.map((x) => `${(x.ms / 1000).toFixed(1)} s ${x.sql.slice(0, 40)}…`).join('; ')}`);
    const clockAt = new Date(SNAPSHOT_WINDOW.end.getTime() + 10 * 60_000);
    const clock: Clock = { now: () => new Date(clockAt) };
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, JWT_SECRET: 'bench-snapshot-does-not-sign-tokens-000', LOG_LEVEL: 'silent' });
    const deps = { config, clock };

    log(`snapshot: snapshotMetrics ${from} … ${to} …`);
    const first = await timedSnapshot(db, deps);
    const afterFirst = await fingerprint(db);
    log(`  ${first.ms.toLocaleString('en')} ms, ${first.statements} SQL statements: ${first.days} days, ${first.rows.toLocaleString('en')} metric_daily rows written`);
    const again = await timedSnapshot(db, deps);
    const identical = (await fingerprint(db)) === afterFirst;
    log(`  again: ${again.ms.toLocaleString('en')} ms, ${again.statements} SQL statements: ${again.rows.toLocaleString('en')} rows, ${identical ? 'identical to' : 'NOT the same as'} the first run's`);

    const [w] = await db.sql<{ platform: number; shop: number; category: number; product: number }>(
      `select count(*) filter (where scope = 'PLATFORM')::int as platform, count(*) filter (where scope = 'SHOP')::int as shop, count(*) filter (where scope = 'CATEGORY')::int as category,
              (select count(*) from product_metric_daily where day between ? and ?)::int as product
       from metric_daily where day between ? and ?`,
      [from, to, from, to],
    );
    const checks = await crossCheck(db);
    const [{ version }] = await db.sql<{ version: string }>("select current_setting('server_version') as version");

    const failures: string[] = [];
    if (first.days !== days) failures.push(`snapshotMetrics reported ${first.days} days, not ${days}`);
    if (first.rows <= 0) failures.push('the snapshot wrote no rows');
    if (again.rows !== first.rows) failures.push(`the second run wrote ${again.rows} rows, the first ${first.rows}`);
    if (!identical) failures.push('the second run changed the rows the first wrote: not idempotent');
    if (first.statements > SNAPSHOT_MAX_STATEMENTS) failures.push(`the snapshot sent ${first.statements} SQL statements: more than the constant ${SNAPSHOT_MAX_STATEMENTS} (per-day, per-scope or per-row work?)`);
    if (w.platform !== days) failures.push(`${w.platform} PLATFORM rows for ${days} days`);
    const wrong = checks.filter((c) => c.snapshot !== c.source);
    if (wrong.length) failures.push(`month totals differ from the sources: ${wrong.map((c) => `${c.name} ${c.snapshot} ≠ ${c.source}`).join(', ')}`);
    if (failures.length) log(`  FAILED: ${failures.join('; ')}`);
    else log(`  ${w.platform} PLATFORM, ${w.shop.toLocaleString('en')} SHOP, ${w.category.toLocaleString('en')} CATEGORY and ${w.product.toLocaleString('en')} product rows; the month's ${checks.length} PLATFORM totals agree with the sources`);

    return {
      title: snapshotTitle(orders, events, days),
      database: name,
      catalog: { products: catalog.products, variants: catalog.variants, ms: Math.round(catalog.ms) },
      orders,
      placed: r.orders,
      events: r.events,
      sessions: gen.sessions,
      buyers,
      shops: gen.shops,
      products: gen.products,
      window: { from, to, days },
      postgresVersion: version,
      generation: { ms: genMs, statements: gen.statements + partitions.queries, partitionsMs, rows: r, slowest: gen.slowest },
      snapshot: first,
      again,
      written: w,
      identical,
      checks,
      failures,
    };
  } finally {
    await close();
  }
}
