import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { rowShape, selectRows } from '../../db/rows';
import { StaffRole } from '../../entities';
import { Failure, ForbiddenError, Problems, UserErrorCode } from '../../errors';
import { recordAudit } from '../platform/audit';
import { addDays, dayOf, daySql, dayStart, daysInRange, isDay, maxDay, minDay } from './days';

/**
 * The daily KPI snapshot (`snapshot-metrics`): every figure of a day (Asia/Shanghai) per scope —
 * PLATFORM (scope_id 0, a row every day, zeros on a quiet day), each SHOP and each CATEGORY where
 * something happened that day — in `metric_daily`, and per product in `product_metric_daily`.
 * Reports (reports.ts) read these tables only.
 *
 * Each figure is dated by its own event's time, so re-snapshotting an old day changes nothing
 * unless its sources changed:
 *
 * | column                    | PLATFORM / SHOP (orders.shop_id)                              | CATEGORY (the category or a descendant)                         |
 * |---------------------------|---------------------------------------------------------------|-----------------------------------------------------------------|
 * | orders                    | orders placed (placed_at) that day                            | those with a line in the category                               |
 * | cancelled_orders          | orders cancelled (cancelled_at) that day                      | those with a line in the category                               |
 * | paid_orders               | orders paid (paid_at) that day, whatever happened later       | those with a line in the category                               |
 * | units                     | the units of their lines                                      | the units of their lines in the category                        |
 * | gmv                       | their totals (orders.total: after discounts, with shipping)   | their lines' line_total − discount (shipping is not split)      |
 * | commission                | their orders.commission                                       | their lines' commission                                         |
 * | coupon_redemptions        | their order_discount rows of source COUPON                    | the same, of the orders with a line in the category             |
 * | shop/platform_promotion_cost | their order_discount amounts (shipping included) by funder | 0: discounts are not split to categories                        |
 * | refunds, refunded_orders  | refunds confirmed that day (the REFUND_SENT posting's time): amounts, distinct orders | each refund's share pro rata of the order's lines' line_total − discount (rounded half up), the orders |
 * | after_sales               | after-sale cases opened (created_at) that day                 | those whose order has a line in the category                    |
 * | buyer_ids                 | sorted distinct buyers of the orders paid that day            | of those orders with a line in the category                     |
 * | new_buyer_ids             | those whose first paid order in the scope (platform: any; shop: the shop's; category: one with a line in it) was paid that day |
 * | product_views, add_to_carts, shares | events of that type that day (SHOP: the event's product's shop; CATEGORY: the event's category path starts with the category's) |
 * | searches                  | SEARCH events that day (platform only: a search has no product)                                                                   |
 * | visitor_keys              | sorted distinct session keys of any event in the scope that day                                                                   |
 * | viewer_keys               | the same of PRODUCT_VIEW events                                                                                                   |
 * | cart_user_ids             | sorted distinct signed-in users of ADD_TO_CART events (carts belong to accounts)                                                  |
 *
 * A product's lines count for its category now and every ancestor (its `category_path`, "/1/7/12/").
 * Refunds are dated by the ledger's REFUND_SENT posting (the business clock when the provider
 * confirmed it), not by the refund row's `updated_at`, which the ORM stamps with the wall clock on
 * any change; refunds of no order (money for a checkout that could not be paid) count nowhere,
 * as their payment never counted in gmv.
 *
 * product_metric_daily: per product per day, its PRODUCT_VIEW and ADD_TO_CART events, the
 * distinct orders paid that day with a line of it, those lines' units and line_total − discount;
 * with the product's shop and category path now.
 *
 * Set-based: a snapshot of any range is two statements in one transaction whatever the days,
 * shops and categories — an advisory lock (with the transaction's work_mem), then one statement
 * that computes every figure from the sources, grouped once per figure, upserts both tables' rows
 * of the range and deletes those left without figures. Idempotent: a second run finds the same
 * figures, writes no row but the PLATFORM ones (their `computed_at`, the reports' `snapshotAt`, is
 * the last snapshot of their day; another row's is when its figures were last written) and
 * reports no change.
 */

/** Days one snapshot may cover at most. */
export const MAX_SNAPSHOT_DAYS = 800;
/**
 * Days a staff recompute (`snapshotMetrics` mutation) covers at most: a quarter. It runs in the
 * request, holding a connection (about 26 s for a month of 100,000 orders and a million events on
 * two cores); a longer history is recomputed a quarter at a time.
 */
export const MAX_BACKFILL_DAYS = 92;
/** How far back the daily task catches up missing days at most. */
export const SNAPSHOT_CATCH_UP_DAYS = 31;

/** The categories on a category path ("/1/7/12/" → 1, 7, 12), as a set-returning SQL expression. */
const cats = (path: string) => `unnest(string_to_array(trim(both '/' from ${path}), '/')::bigint[])`;

/** SQL: the keys of the array `expr` (null: none) sorted and deduplicated, or with `count`, how many distinct. */
function sortedSet(expr: string, count?: 'count'): string {
  return count
    ? `coalesce((select count(distinct k) from unnest(${expr}) as k), 0)`
    : `coalesce(array(select distinct k from unnest(${expr}) as k order by k), '{}')`;
}

/**
 * A CTE `name` of the range's behaviour events grouped by `groupBy` (over `e`, whose `day` is the
 * event's Asia/Shanghai day) where `where`: the counts of each type and the session keys (any event;
 * product views), the signed-in users adding to their carts, as they come (unsorted, repeated).
 */
function eventGroup(name: string, groupBy: string, where: string): string {
  return `${name} as (
  select ${groupBy},
         count(*) filter (where e.type = 'PRODUCT_VIEW') as views,
         count(*) filter (where e.type = 'SEARCH') as searches,
         count(*) filter (where e.type = 'ADD_TO_CART') as carts,
         count(*) filter (where e.type = 'SHARE') as shares,
         array_agg(e.session_key) as visitors,
         array_agg(e.session_key) filter (where e.type = 'PRODUCT_VIEW') as viewers,
         array_agg(e.user_id) filter (where e.type = 'ADD_TO_CART' and e.user_id is not null) as cart_users
  from (select ${daySql('x.at')} as day, x.* from behaviour_event x where x.at >= {{t0}} and x.at < {{t1}}) e
  where ${where}
  group by ${groupBy}
)`;
}

/**
 * SQL aggregate: the bigint arrays `expr` of a group joined into one. PostgreSQL has no aggregate
 * that concatenates arrays of different lengths (array_agg of arrays makes a matrix), so their
 * text forms ("{1,2}") are joined and read back: far cheaper than a row per key.
 */
function concatArrays(expr: string): string {
  return `('{' || string_agg(trim(both '{}' from (${expr})::text), ',') filter (where cardinality(${expr}) > 0) || '}')::bigint[]`;
}

/** PLATFORM and SHOP (the order's shop `x.shop_id`) rows of one source `x`. */
const PLATFORM_AND_SHOP = `cross join lateral (values ('PLATFORM', 0::bigint), ('SHOP', x.shop_id)) s(scope, scope_id)`;

/**
 * A CTE `name` counting the rows of the CTE `source` (each with its day, its shop and its order's key
 * in `orderKey`) per day for PLATFORM, for their SHOP and for each CATEGORY on the order's lines,
 * as `column`.
 */
function countedFigures(name: string, source: string, orderKey: string, column: string): string {
  return `${name} as (
  select scope, scope_id, day, count(*) as ${column}
  from (select s.scope, s.scope_id, x.day from ${source} x ${PLATFORM_AND_SHOP}
        union all
        select 'CATEGORY', oc.cat_id, x.day from ${source} x join order_cats oc on oc.order_id = x.${orderKey}) f
  group by scope, scope_id, day
)`;
}

/** metric_daily's figures: every column but the key and computed_at. */
const METRIC_FIGURES = [
  'orders',
  'cancelled_orders',
  'paid_orders',
  'units',
  'gmv',
  'refunds',
  'refunded_orders',
  'after_sales',
  'coupon_redemptions',
  'shop_promotion_cost',
  'platform_promotion_cost',
  'commission',
  'product_views',
  'searches',
  'add_to_carts',
  'shares',
  'buyer_ids',
  'new_buyer_ids',
  'visitor_keys',
  'viewer_keys',
  'cart_user_ids',
];
/** product_metric_daily's. */
const PRODUCT_FIGURES = ['shop_id', 'category_path', 'views', 'add_to_carts', 'paid_orders', 'units', 'gmv'];

/**
 * CTEs that make `table`'s rows of the range what `<prefix>_rows` says: `<prefix>_changed` (the rows
 * new or with other figures, read before the writes, as every part of a statement sees the table as
 * it was), `<prefix>_removed` (rows of the range no longer there: a scope's day left without
 * figures) and `<prefix>_saved` (an upsert that writes only new rows and changed figures, so a
 * second run rewrites nothing; `stamp`, when given, is set to the run's time on the rows written,
 * and on every row matching `stamp.always`).
 */
function rewrite(table: string, key: string[], figures: string[], prefix: string, stamp?: { column: string; always: string }): string {
  const on = key.map((k) => `t.${k} = n.${k}`).join(' and ');
  const written = stamp ? [...figures, stamp.column] : figures;
  const differs = (a: string, b: string) => `(${figures.map((f) => `${a}.${f}`).join(', ')}) is distinct from (${figures.map((f) => `${b}.${f}`).join(', ')})`;
  return `${prefix}_changed as (
  select 1 from ${prefix}_rows n left join ${table} t on ${on}
  where t.day is null or ${differs('t', 'n')}
),
${prefix}_removed as (
  delete from ${table} t where t.day between {{d0}} and {{d1}} and not exists (select 1 from ${prefix}_rows n where ${on})
  returning 1
),
${prefix}_saved as (
  insert into ${table} as t (${[...key, ...written].join(', ')})
  select ${[...key, ...figures].map((c) => `n.${c}`).join(', ')}${stamp ? ', {{now}}' : ''} from ${prefix}_rows n
  on conflict (${key.join(', ')}) do update set ${written.map((c) => `${c} = excluded.${c}`).join(', ')}
  where ${differs('t', 'excluded')}${stamp ? ` or ${stamp.always}` : ''}
  returning 1
)`;
}

/**
 * The whole snapshot's writes, one statement ({{t0}}/{{t1}}: the range's first instant and its end,
 * exclusive; {{d0}}/{{d1}}: its first and last days; {{now}}: the time of computation). Every
 * source is read by its time, in the range only (orders_placed_idx, orders_paid_at_idx,
 * orders_cancelled_at_idx, ledger_posting_at_idx, after_sale_case_created_idx, the range's event
 * partitions) — the planner sees the bounds — and the range's buyers' earlier orders through
 * orders_buyer_paid_idx; each figure is grouped once, with no query per day, shop or category.
 */
const SNAPSHOT_TEMPLATE = `
with placed as (
  select o.id, o.shop_id, ${daySql('o.placed_at')} as day from orders o where o.placed_at >= {{t0}} and o.placed_at < {{t1}}
),
cancelled as (
  select o.id, o.shop_id, ${daySql('o.cancelled_at')} as day from orders o where o.cancelled_at >= {{t0}} and o.cancelled_at < {{t1}}
),
paid_orders as (
  select o.id, o.shop_id, o.buyer_id, o.total, o.commission, ${daySql('o.paid_at')} as day from orders o where o.paid_at >= {{t0}} and o.paid_at < {{t1}}
),
refunds as (
  select r.id, r.order_id, o.shop_id, o.total, r.amount, ${daySql('lp.at')} as day
  from ledger_posting lp
  join refund r on r.id = lp.refund_id and r.status = 'SUCCEEDED'
  join orders o on o.id = r.order_id
  where lp.at >= {{t0}} and lp.at < {{t1}} and lp.kind = 'REFUND_SENT'
),
cases as (
  select c.order_id, c.shop_id, ${daySql('c.created_at')} as day from after_sale_case c where c.created_at >= {{t0}} and c.created_at < {{t1}}
),
-- The lines of every order above, with their product's category path now.
lines as (
  select l.order_id, l.product_id, l.quantity, l.line_total - l.discount as net, l.commission, pr.category_path
  from order_line l
  left join product pr on pr.id = l.product_id
  where l.order_id in (select id from placed union select id from cancelled union select id from paid_orders
                       union select order_id from refunds union select order_id from cases)
),
order_sums as (
  select order_id, sum(quantity) as units, sum(net) as net from lines group by order_id
),
-- Each order's figures per category on its lines' paths (ancestors included).
order_cats as (
  select l.order_id, c.cat_id, sum(l.quantity) as units, sum(l.net) as net, sum(l.commission) as commission
  from lines l cross join lateral ${cats('l.category_path')} as c(cat_id)
  group by l.order_id, c.cat_id
),
discounts as (
  select d.order_id,
         count(*) filter (where d.source = 'COUPON') as coupons,
         coalesce(sum(d.amount) filter (where d.funded_by = 'SHOP'), 0) as shop_cost,
         coalesce(sum(d.amount) filter (where d.funded_by = 'PLATFORM'), 0) as platform_cost
  from order_discount d where d.order_id in (select id from paid_orders)
  group by d.order_id
),
-- The paid orders of the range's buyers up to the range's end: when each first paid on the
-- platform, in each shop, in each category.
history as (
  select o.id, b.buyer_id, o.shop_id, o.paid_at
  from (select distinct buyer_id from paid_orders) b
  cross join lateral (select o.id, o.shop_id, o.paid_at from orders o where o.buyer_id = b.buyer_id and o.paid_at < {{t1}}) o
),
first_paid as (
  select h.buyer_id, min(h.paid_at) as at from history h group by h.buyer_id
),
first_in_shop as (
  select h.buyer_id, h.shop_id, min(h.paid_at) as at from history h group by h.buyer_id, h.shop_id
),
first_in_cat as (
  select h.buyer_id, c.cat_id, min(h.paid_at) as at
  from history h
  join order_line l on l.order_id = h.id
  join product pr on pr.id = l.product_id
  cross join lateral ${cats('pr.category_path')} as c(cat_id)
  group by h.buyer_id, c.cat_id
),
paid as (
  select x.*, coalesce(n.units, 0) as units, coalesce(d.coupons, 0) as coupons, coalesce(d.shop_cost, 0) as shop_cost,
         coalesce(d.platform_cost, 0) as platform_cost,
         ${daySql('fp.at')} = x.day as new_on_platform, ${daySql('fs.at')} = x.day as new_in_shop
  from paid_orders x
  left join order_sums n on n.order_id = x.id
  left join discounts d on d.order_id = x.id
  join first_paid fp on fp.buyer_id = x.buyer_id
  join first_in_shop fs on fs.buyer_id = x.buyer_id and fs.shop_id = x.shop_id
),
refund_cats as (
  select r.id, r.order_id, r.day, oc.cat_id,
         -- The category's share of the order's total: the shipping part of a refund stays with no category,
         -- as shipping is not in a category's gmv.
         case when greatest(r.total, n.net) > 0 then round(r.amount::numeric * oc.net / greatest(r.total, n.net)) else 0 end as amount
  from refunds r
  join order_cats oc on oc.order_id = r.order_id
  join order_sums n on n.order_id = r.order_id
),
-- Each figure grouped apart (one pass each), the keys of each set as they come: they are sorted
-- and deduplicated per row below, where each array is small, rather than in one sort of every key
-- of every scope.
${countedFigures('placed_figures', 'placed', 'id', 'orders')},
${countedFigures('cancelled_figures', 'cancelled', 'id', 'cancelled_orders')},
paid_figures as (
  select scope, scope_id, day, count(*) as paid_orders, sum(units) as units, sum(gmv) as gmv, sum(commission) as commission,
         sum(coupons) as coupon_redemptions, sum(shop_cost) as shop_promotion_cost, sum(platform_cost) as platform_promotion_cost,
         array_agg(buyer_id) as buyers, array_agg(buyer_id) filter (where new) as new_buyers
  from (select s.scope, s.scope_id, x.day, x.units, x.total as gmv, x.commission, x.coupons, x.shop_cost, x.platform_cost, x.buyer_id,
               case when s.scope = 'PLATFORM' then x.new_on_platform else x.new_in_shop end as new
        from paid x ${PLATFORM_AND_SHOP}
        union all
        -- Discounts are not split to categories: their cost is 0 there.
        select 'CATEGORY', oc.cat_id, x.day, oc.units, oc.net, oc.commission, x.coupons, 0, 0, x.buyer_id, ${daySql('fc.at')} = x.day
        from paid x
        join order_cats oc on oc.order_id = x.id
        join first_in_cat fc on fc.buyer_id = x.buyer_id and fc.cat_id = oc.cat_id) f
  group by scope, scope_id, day
),
refund_figures as (
  select scope, scope_id, day, sum(amount) as refunds, array_agg(order_id) as refunded
  from (select s.scope, s.scope_id, x.day, x.amount, x.order_id from refunds x ${PLATFORM_AND_SHOP}
        union all
        select 'CATEGORY', x.cat_id, x.day, x.amount, x.order_id from refund_cats x) f
  group by scope, scope_id, day
),
${countedFigures('case_figures', 'cases', 'order_id', 'after_sales')},
-- Events: each scope's figures grouped straight from the range's partitions (one scan per grouping,
-- no intermediate rows), the category's from its descendants' paths.
${eventGroup('platform_events', 'e.day', 'true')},
${eventGroup('shop_events', 'e.day, e.shop_id', 'e.shop_id is not null')},
${eventGroup('path_events', 'e.day, e.category_path', 'e.category_path is not null')},
category_events as (
  select p.day, c.cat_id, sum(p.views) as views, sum(p.searches) as searches, sum(p.carts) as carts, sum(p.shares) as shares,
         ${concatArrays('p.visitors')} as visitors, ${concatArrays('p.viewers')} as viewers, ${concatArrays('p.cart_users')} as cart_users
  from path_events p cross join lateral ${cats('p.category_path')} as c(cat_id)
  group by p.day, c.cat_id
),
-- The range's days whose events are gone (dropped past EVENT_RETENTION_DAYS) or never had a
-- partition: their event figures are kept as the last snapshot left them, not zeroed.
kept_days as (
  select g.day::date as day from generate_series({{d0}}, {{d1}}, interval '1 day') as g(day)
  where not exists (select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
                    where i.inhparent = 'behaviour_event'::regclass and c.relname = 'behaviour_event_' || to_char(g.day, 'YYYYMMDD'))
),
kept_events as (
  select m.scope, m.scope_id, m.day, m.product_views, m.searches, m.add_to_carts, m.shares, m.visitor_keys, m.viewer_keys, m.cart_user_ids
  from metric_daily m join kept_days k on k.day = m.day
  where m.product_views + m.searches + m.add_to_carts + m.shares > 0 or cardinality(m.visitor_keys) > 0
),
event_figures as (
  select scope, scope_id, day, product_views as views, searches, add_to_carts as carts, shares,
         visitor_keys as visitors, viewer_keys as viewers, cart_user_ids as cart_users
  from kept_events
  union all
  select 'PLATFORM'::text as scope, 0::bigint as scope_id, day, views, searches, carts, shares, visitors, viewers, cart_users from platform_events
  union all
  select 'SHOP', shop_id, day, views, searches, carts, shares, visitors, viewers, cart_users from shop_events
  union all
  select 'CATEGORY', cat_id, day, views, searches, carts, shares, visitors, viewers, cart_users from category_events
),
-- The range's rows as they should be. Every figure CTE is read once, here, so none is written
-- aside; a full join keeps each scope's day that has any figure, and PLATFORM every day.
metric_rows as (
  select scope, scope_id, day,
         coalesce(pl.orders, 0) as orders, coalesce(cn.cancelled_orders, 0) as cancelled_orders, coalesce(pd.paid_orders, 0) as paid_orders,
         coalesce(pd.units, 0) as units, coalesce(pd.gmv, 0) as gmv, coalesce(rf.refunds, 0) as refunds,
         ${sortedSet('rf.refunded', 'count')} as refunded_orders, coalesce(cs.after_sales, 0) as after_sales,
         coalesce(pd.coupon_redemptions, 0) as coupon_redemptions, coalesce(pd.shop_promotion_cost, 0) as shop_promotion_cost,
         coalesce(pd.platform_promotion_cost, 0) as platform_promotion_cost, coalesce(pd.commission, 0) as commission,
         coalesce(e.views, 0) as product_views, coalesce(e.searches, 0) as searches, coalesce(e.carts, 0) as add_to_carts,
         coalesce(e.shares, 0) as shares,
         ${sortedSet('pd.buyers')} as buyer_ids, ${sortedSet('pd.new_buyers')} as new_buyer_ids, ${sortedSet('e.visitors')} as visitor_keys,
         ${sortedSet('e.viewers')} as viewer_keys, ${sortedSet('e.cart_users')} as cart_user_ids
  from (select 'PLATFORM'::text as scope, 0::bigint as scope_id, g.day::date as day
        from generate_series({{d0}}, {{d1}}, interval '1 day') as g(day)) k
  full join placed_figures pl using (scope, scope_id, day)
  full join cancelled_figures cn using (scope, scope_id, day)
  full join paid_figures pd using (scope, scope_id, day)
  full join refund_figures rf using (scope, scope_id, day)
  full join case_figures cs using (scope, scope_id, day)
  full join event_figures e using (scope, scope_id, day)
),
${rewrite('metric_daily', ['scope', 'scope_id', 'day'], METRIC_FIGURES, 'metric', { column: 'computed_at', always: `t.scope = 'PLATFORM'` })},
product_events as (
  select ${daySql('e.at')} as day, e.product_id,
         count(*) filter (where e.type = 'PRODUCT_VIEW') as views,
         count(*) filter (where e.type = 'ADD_TO_CART') as add_to_carts
  from behaviour_event e
  where e.at >= {{t0}} and e.at < {{t1}} and e.product_id is not null and e.type in ('PRODUCT_VIEW', 'ADD_TO_CART')
  group by 1, 2
  union all
  -- Days whose events are gone keep their products' views and add-to-carts.
  select pm.day, pm.product_id, pm.views, pm.add_to_carts
  from product_metric_daily pm join kept_days k on k.day = pm.day
  where pm.views > 0 or pm.add_to_carts > 0
),
product_sales as (
  select x.day, l.product_id, count(distinct l.order_id) as paid_orders, sum(l.quantity) as units, sum(l.net) as gmv
  from paid_orders x join lines l on l.order_id = x.id
  group by 1, 2
),
product_rows as (
  select k.day, k.product_id, pr.shop_id, pr.category_path,
         coalesce(v.views, 0) as views, coalesce(v.add_to_carts, 0) as add_to_carts, coalesce(s.paid_orders, 0) as paid_orders,
         coalesce(s.units, 0) as units, coalesce(s.gmv, 0) as gmv
  from (select day, product_id from product_events union select day, product_id from product_sales) k
  join product pr on pr.id = k.product_id
  left join product_events v on v.day = k.day and v.product_id = k.product_id
  left join product_sales s on s.day = k.day and s.product_id = k.product_id
),
${rewrite('product_metric_daily', ['day', 'product_id'], PRODUCT_FIGURES, 'product')}
select (select count(*) from metric_rows)::int as rows, (select count(*) from product_rows)::int as product_rows,
       ((select count(*) from metric_changed) + (select count(*) from metric_removed)
        + (select count(*) from product_changed) + (select count(*) from product_removed))::int as changed`;

/** The snapshot's parameters, named in SNAPSHOT_TEMPLATE as {{name}}. */
interface SnapshotParams {
  /** The range's first instant. */
  t0: Date;
  /** Its end (exclusive). */
  t1: Date;
  /** The first and last days. */
  d0: string;
  d1: string;
  /** computed_at. */
  now: Date;
}
const PARAM_TYPES: Record<keyof SnapshotParams, string> = { t0: 'timestamptz', t1: 'timestamptz', d0: 'date', d1: 'date', now: 'timestamptz' };

/**
 * The statement with each {{name}} a typed positional parameter, and the names in order: every
 * bound is written where it is used, so the planner sees it (a partition range, an index range).
 */
function bindNamed(template: string): { sql: string; names: (keyof SnapshotParams)[] } {
  const names: (keyof SnapshotParams)[] = [];
  const sql = template.replace(/\{\{(\w+)\}\}/g, (_, name: keyof SnapshotParams) => {
    if (!(name in PARAM_TYPES)) throw new Error(`Unknown snapshot parameter ${name}`);
    names.push(name);
    return `?::${PARAM_TYPES[name]}`;
  });
  return { sql, names };
}

const SNAPSHOT = bindNamed(SNAPSHOT_TEMPLATE);

/** The snapshot statement of `range` computed at `now`, with its parameters (to read its plan). */
export function snapshotStatement(range: SnapshotRange, now: Date): { sql: string; params: unknown[] } {
  const values: SnapshotParams = { t0: dayStart(range.from), t1: dayStart(addDays(range.to, 1)), d0: range.from, d1: range.to, now };
  return { sql: SNAPSHOT.sql, params: SNAPSHOT.names.map((n) => values[n]) };
}

const WRITTEN = rowShape({ rows: 'int', product_rows: 'int', changed: 'int' });

/**
 * Snapshots of overlapping ranges (the task and a staff backfill) take turns; the transaction's
 * sorts and hashes get room (work_mem, for this transaction only), so a month's keys are grouped
 * in memory rather than spilled to disk.
 */
export const SNAPSHOT_WORK_MEM = '256MB';
const SNAPSHOT_LOCK_SQL = `select pg_advisory_xact_lock(hashtext('metric_daily snapshot')), set_config('work_mem', '${SNAPSHOT_WORK_MEM}', true)`;
/** The same lock without waiting: `locked` false when another snapshot holds it. */
const SNAPSHOT_TRY_LOCK_SQL = `select pg_try_advisory_xact_lock(hashtext('metric_daily snapshot')) as locked, set_config('work_mem', '${SNAPSHOT_WORK_MEM}', true) as work_mem`;
const TRY_LOCK = rowShape({ locked: 'bool', work_mem: 'text' });

export interface SnapshotResult {
  /** Days covered. */
  days: number;
  /** The range's metric_daily rows (every scope's day with figures, and PLATFORM every day). */
  rows: number;
  /** Rows of metric_daily and product_metric_daily whose figures changed: new, different or removed. */
  changed: number;
}

export interface SnapshotRange {
  /** First day, YYYY-MM-DD (Asia/Shanghai). */
  from: string;
  /** Last day, included. */
  to: string;
}

/**
 * Recomputes every day of `range` (at most MAX_SNAPSHOT_DAYS) for every scope from the sources, in
 * one transaction of two statements whatever the days, shops and categories (the lock, then one
 * statement that upserts the range's rows of metric_daily and product_metric_daily and deletes
 * those left without figures). Idempotent: a second run finds the same figures, rewrites only the
 * PLATFORM rows' computed_at and counts no change. `within` adds to the same transaction (an audit
 * entry). Returns the days covered, the range's metric_daily rows and the rows of either table
 * whose figures changed (new, different or removed).
 */
export async function snapshotMetrics(
  deps: SystemDeps,
  em: EntityManager,
  range: SnapshotRange,
  opts: { within?: (tx: EntityManager) => void | Promise<void>; wait?: boolean } = {},
): Promise<SnapshotResult> {
  const { from, to } = range;
  if (!isDay(from) || !isDay(to) || from > to) throw new Error(`Bad snapshot range ${from}..${to}`);
  const days = daysInRange(from, to);
  if (days > MAX_SNAPSHOT_DAYS) throw new Error(`A snapshot covers at most ${MAX_SNAPSHOT_DAYS} days (asked ${days})`);
  const { sql, params } = snapshotStatement(range, deps.clock.now());
  return em.transactional(async (tx) => {
    if (opts.wait === false) {
      const [lock] = await selectRows(tx, TRY_LOCK, SNAPSHOT_TRY_LOCK_SQL);
      if (!lock.locked) throw new Failure(UserErrorCode.SNAPSHOT_RUNNING, 'Another snapshot of the metrics is running; try again when it has finished', ['input']);
    } else {
      await tx.execute(SNAPSHOT_LOCK_SQL);
    }
    const [written] = await selectRows(tx, WRITTEN, sql, params);
    await opts.within?.(tx);
    return { days, rows: written.rows, changed: written.changed };
  });
}

const LAST = rowShape({ last: 'text?', first_order: 'date?' });

/**
 * `snapshot-metrics` (hourly at :10): snapshots the day before yesterday (late events: final at
 * the first run of today), yesterday and today so far,
 * and catches up the days since the last snapshotted one (itself included: it may have been
 * snapshotted part-way), at most SNAPSHOT_CATCH_UP_DAYS back. On an empty metric_daily it starts
 * at the first order's day, at most as far back. Returns the rows whose figures changed (0 on a
 * second run straight after), with the days and the rows written as a note when any did.
 */
export async function runSnapshotTask(deps: SystemDeps, em: EntityManager): Promise<{ done: number; note?: string }> {
  const today = dayOf(deps.clock.now());
  // Events may arrive up to 24 hours late (EVENT_MAX_AGE_MS), so the day before yesterday is only
  // final at midnight: each run covers it too.
  const settling = addDays(today, -2);
  const [state] = await selectRows(
    em,
    LAST,
    `select (select max(day)::text from metric_daily where scope = 'PLATFORM' and scope_id = 0) as last,
            (select min(placed_at) from orders) as first_order`,
  );
  const since = state.last ?? (state.first_order ? dayOf(state.first_order) : settling);
  const from = maxDay(addDays(today, -SNAPSHOT_CATCH_UP_DAYS), minDay(settling, since));
  const { days, rows, changed } = await snapshotMetrics(deps, em, { from, to: today });
  return { done: changed, note: changed > 0 ? `${days} days, ${from} to ${today}: ${rows} rows` : undefined };
}

/**
 * The staff mutation `snapshotMetrics` (ANALYST; ADMIN passes): recomputes the days `from` to `to`
 * (YYYY-MM-DD, Asia/Shanghai, both included), e.g. after a correction or for days before the task
 * ran. INVALID_INPUT on `to` when it is before `from`, after today or more than MAX_BACKFILL_DAYS
 * days from `from`; SNAPSHOT_RUNNING, at once, while another snapshot runs (the request does not
 * wait holding a connection). Audited.
 */
export async function backfillMetrics(ctx: Context, from: string, to: string): Promise<SnapshotResult> {
  if (!ctx.viewer.hasStaffRole(StaffRole.ANALYST)) throw new ForbiddenError();
  const problems = new Problems();
  if (!isDay(from)) problems.add(UserErrorCode.INVALID_INPUT, 'A day is written YYYY-MM-DD', ['input', 'from']);
  if (!isDay(to)) problems.add(UserErrorCode.INVALID_INPUT, 'A day is written YYYY-MM-DD', ['input', 'to']);
  problems.throwIfAny();
  const today = dayOf(ctx.now());
  if (to < from) problems.add(UserErrorCode.INVALID_INPUT, '`to` must not be before `from`', ['input', 'to']);
  else if (daysInRange(from, to) > MAX_BACKFILL_DAYS) problems.add(UserErrorCode.INVALID_INPUT, `At most ${MAX_BACKFILL_DAYS} days at once: recompute a longer history a quarter at a time`, ['input', 'to']);
  if (to > today) problems.add(UserErrorCode.INVALID_INPUT, `\`to\` must not be after today (${today}, Asia/Shanghai)`, ['input', 'to']);
  problems.throwIfAny();
  return snapshotMetrics(ctx.deps, ctx.em, { from, to }, {
    wait: false,
    within: (tx) => {
      recordAudit(ctx, tx, { action: 'metrics.snapshot', targetType: 'MetricSnapshot', targetId: `${from}..${to}`, after: { from, to } });
    },
  });
}
