import type { Context } from '../../context';
import { type RowOf, rowShape, selectRows } from '../../db/rows';
import { BadInputError } from '../../errors';
import { divideHalfEven } from '../shared';
import { categoryOf, requireAnalyticsAccess } from './access';
import { daysInRange, isDay } from './days';

/**
 * Reading the daily KPI snapshots (metric_daily, product_metric_daily, written by snapshot-metrics):
 * series of a scope by day, ISO week or calendar month with totals and the previous period, and
 * rankings of products and shops. Every read is a fixed number of statements whatever the range
 * (one for a series), and reads the snapshot tables only.
 *
 * Days are Asia/Shanghai calendar days (the `day` column is one already). Additive figures are
 * summed; people (buyers, visitors …) are counted once over a whole point or range, from the union
 * of the days' arrays. A day without a row is a day of zeros, not a gap.
 */

/** The longest range a read covers, in days (two years, one of them a leap year). */
export const MAX_RANGE_DAYS = 731;

export type MetricScope = { kind: 'PLATFORM' } | { kind: 'SHOP'; shopId: string } | { kind: 'CATEGORY'; categoryId: string };
export type MetricGranularity = 'DAY' | 'WEEK' | 'MONTH';

/** A scope's figures over a day, a period or a range. Money in minor units; see the GraphQL `MetricValues` for each definition. */
export interface MetricFigures {
  orders: number;
  paidOrders: number;
  cancelledOrders: number;
  units: number;
  gmv: number;
  refunds: number;
  netSales: number;
  averageOrderValue: number;
  commission: number;
  shopPromotionCost: number;
  platformPromotionCost: number;
  promotionCost: number;
  buyers: number;
  newBuyers: number;
  repeatBuyers: number;
  visitors: number;
  productViewers: number;
  cartUsers: number;
  productViews: number;
  searches: number;
  addToCarts: number;
  shares: number;
  afterSales: number;
  refundedOrders: number;
  couponRedemptions: number;
  conversionRate: number;
  cartAbandonmentRate: number;
  refundRate: number;
  afterSaleRate: number;
}

/** One point of a series: the figures of the days of its period inside the range, `date` the first of them and `endDate` the last. */
export interface MetricPointFigures extends MetricFigures {
  date: string;
  endDate: string;
}

/** Per figure: the relative change (current − previous) ÷ |previous| (null when previous is 0); for the rates, the difference. */
export type MetricChanges = { [K in keyof MetricFigures]: number | null };

export interface MetricSeriesResult {
  scope: MetricScope;
  from: string;
  to: string;
  granularity: MetricGranularity;
  points: MetricPointFigures[];
  totals: MetricFigures;
  comparison: { from: string; to: string; previousPeriod: MetricFigures; change: MetricChanges };
  /** When the newest snapshot of a day of the range was computed (its PLATFORM row); null when none of its days was snapshotted. */
  snapshotAt: Date | null;
}

// --- Ranges -------------------------------------------------------------------------------------

/** BAD_USER_INPUT on `field` unless `day` is a calendar day "YYYY-MM-DD". */
function checkDay(day: string, field: string): void {
  if (typeof day !== 'string' || !isDay(day)) throw new BadInputError(`\`${field}\` must be a calendar day such as "2026-12-06"`, field);
}

/**
 * The number of days of [from, to] (both included). BAD_USER_INPUT naming `to` when the range runs
 * backwards, naming `from` when it spans more than MAX_RANGE_DAYS.
 */
export function rangeDays(from: string, to: string): number {
  checkDay(from, 'from');
  checkDay(to, 'to');
  if (from > to) throw new BadInputError('`to` must not be before `from`', 'to');
  const days = daysInRange(from, to);
  if (days > MAX_RANGE_DAYS) throw new BadInputError(`A range spans at most ${MAX_RANGE_DAYS} days`, 'from');
  return days;
}

// --- Series -------------------------------------------------------------------------------------

/** metric_daily's additive columns and the figures they are. */
const SUMMED = [
  ['orders', 'orders'],
  ['cancelled_orders', 'cancelledOrders'],
  ['paid_orders', 'paidOrders'],
  ['units', 'units'],
  ['gmv', 'gmv'],
  ['refunds', 'refunds'],
  ['refunded_orders', 'refundedOrders'],
  ['after_sales', 'afterSales'],
  ['coupon_redemptions', 'couponRedemptions'],
  ['shop_promotion_cost', 'shopPromotionCost'],
  ['platform_promotion_cost', 'platformPromotionCost'],
  ['commission', 'commission'],
  ['product_views', 'productViews'],
  ['searches', 'searches'],
  ['add_to_carts', 'addToCarts'],
  ['shares', 'shares'],
] as const;

/** People counted once per point or range: figure ← the union of which arrays (`kind` marks an element's array). */
const PEOPLE = rowShape({ buyers: 'int', new_buyers: 'int', cart_users: 'int', abandoned: 'int', visitors: 'int', viewers: 'int' });

const SERIES_ROW = rowShape({
  bucket: 'text',
  first_day: 'text',
  last_day: 'text',
  ...(Object.fromEntries(SUMMED.map(([column]) => [column, 'number'])) as Record<(typeof SUMMED)[number][0], 'number'>),
  ...PEOPLE,
  snapshot_at: 'date?',
});
type SeriesRow = RowOf<typeof SERIES_ROW>;

const sumsOf = SUMMED.map(([column]) => `coalesce(sum(d.${column}), 0) as ${column}`).join(', ');

/**
 * A series in one statement. `d`: the scope's rows of the range and of the previous period of equal
 * length, each with its period (`date_trunc` of the day: ISO weeks start on Monday) and whether it
 * is in the range. Three kinds of bucket come out: one per period overlapping the range (its label
 * the period's start), `total` (the range) and `previous` (the period before). Sums are plain sums;
 * people are counted from the unnested arrays grouped by bucket and person, so a buyer of Monday and
 * Tuesday counts once in the week: user ids (buyers, new buyers, cart users) and session keys
 * (visitors, viewers) are kept apart. The buckets come from generate_series, so a period without
 * rows is zeros. `snapshot_at`: the newest computed_at of the range's PLATFORM rows.
 */
const SERIES_SQL = `
with p as (
  select ?::date as from_day, ?::date as to_day, ?::int as n, ?::text as unit, ?::text as scope, ?::bigint as scope_id
),
d as (
  select m.*, m.day >= p.from_day as in_range, date_trunc(p.unit, m.day::timestamp)::date::text as period
  from p join metric_daily m on m.scope = p.scope and m.scope_id = p.scope_id and m.day between p.from_day - p.n and p.to_day
),
sums as (
  select d.period as bucket, ${sumsOf} from d where d.in_range group by d.period
  union all
  select case when d.in_range then 'total' else 'previous' end, ${sumsOf} from d group by d.in_range
),
people as (
  select d.in_range, d.period, x.kind, x.v
  from d cross join lateral (
    select 'b' as kind, v from unnest(d.buyer_ids) v
    union all select 'n', v from unnest(d.new_buyer_ids) v
    union all select 'c', v from unnest(d.cart_user_ids) v
    union all select 'v', v from unnest(d.visitor_keys) v
    union all select 'w', v from unnest(d.viewer_keys) v
  ) x
),
persons as (
  select x.bucket, bool_or(x.kind = 'b') as is_buyer, bool_or(x.kind = 'n') as is_new, bool_or(x.kind = 'c') as is_cart,
         bool_or(x.kind = 'v') as is_visitor, bool_or(x.kind = 'w') as is_viewer
  from (
    select people.period as bucket, people.kind, people.v from people where people.in_range
    union all
    select case when people.in_range then 'total' else 'previous' end, people.kind, people.v from people
  ) x
  group by x.bucket, x.kind in ('v', 'w'), x.v
),
counts as (
  select bucket,
         count(*) filter (where is_buyer) as buyers, count(*) filter (where is_new) as new_buyers,
         count(*) filter (where is_cart) as cart_users, count(*) filter (where is_cart and not is_buyer) as abandoned,
         count(*) filter (where is_visitor) as visitors, count(*) filter (where is_viewer) as viewers
  from persons group by bucket
),
buckets as (
  select date_trunc(p.unit, g.day)::date::text as bucket, min(g.day)::date as first_day, max(g.day)::date as last_day, 0 as ord
  from p cross join generate_series(p.from_day::timestamp, p.to_day::timestamp, interval '1 day') g(day)
  group by 1
  union all select 'total', p.from_day, p.to_day, 1 from p
  union all select 'previous', p.from_day - p.n, p.from_day - 1, 2 from p
)
select b.bucket, to_char(b.first_day, 'YYYY-MM-DD') as first_day, to_char(b.last_day, 'YYYY-MM-DD') as last_day,
       ${SUMMED.map(([column]) => `coalesce(s.${column}, 0) as ${column}`).join(', ')},
       ${Object.keys(PEOPLE).map((column) => `coalesce(c.${column}, 0) as ${column}`).join(', ')},
       (select max(x.computed_at) from metric_daily x, p where x.scope = 'PLATFORM' and x.scope_id = 0 and x.day between p.from_day and p.to_day) as snapshot_at
from buckets b
left join sums s using (bucket)
left join counts c using (bucket)
order by b.ord, b.first_day`;

/** `part ÷ whole`, 0 when `whole` is 0. */
const ratio = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

/** The figures of a bucket: the sums, the people counts and what is derived from them. */
function figuresOf(row: Pick<SeriesRow, Exclude<keyof SeriesRow, 'bucket' | 'first_day' | 'last_day' | 'snapshot_at'>>): MetricFigures {
  const sums = Object.fromEntries(SUMMED.map(([column, figure]) => [figure, row[column]])) as Record<(typeof SUMMED)[number][1], number>;
  return {
    ...sums,
    netSales: sums.gmv - sums.refunds,
    averageOrderValue: sums.paidOrders > 0 ? Number(divideHalfEven(BigInt(sums.gmv), BigInt(sums.paidOrders))) : 0,
    promotionCost: sums.shopPromotionCost + sums.platformPromotionCost,
    buyers: row.buyers,
    newBuyers: row.new_buyers,
    repeatBuyers: row.buyers - row.new_buyers,
    visitors: row.visitors,
    productViewers: row.viewers,
    cartUsers: row.cart_users,
    conversionRate: ratio(row.buyers, row.visitors),
    cartAbandonmentRate: ratio(row.abandoned, row.cart_users),
    refundRate: ratio(sums.refunds, sums.gmv),
    afterSaleRate: ratio(sums.afterSales, sums.paidOrders),
  };
}

/** Figures compared as a difference (they are already shares) rather than as a relative change. */
const RATES = new Set<keyof MetricFigures>(['conversionRate', 'cartAbandonmentRate', 'refundRate', 'afterSaleRate']);

/** The change from `previous` to `current`, figure by figure (see MetricChanges). */
export function changeOf(current: MetricFigures, previous: MetricFigures): MetricChanges {
  const change = {} as MetricChanges;
  for (const key of Object.keys(current) as (keyof MetricFigures)[]) {
    const [now, before] = [current[key], previous[key]];
    change[key] = RATES.has(key) ? now - before : before === 0 ? null : (now - before) / Math.abs(before);
  }
  return change;
}

/** The scope's key in metric_daily. */
function scopeKey(scope: MetricScope): [string, string] {
  switch (scope.kind) {
    case 'PLATFORM':
      return ['PLATFORM', '0'];
    case 'SHOP':
      return ['SHOP', scope.shopId];
    case 'CATEGORY':
      return ['CATEGORY', scope.categoryId];
  }
}

/**
 * A scope's figures over [from, to] (Asia/Shanghai days, both included): one point per day, ISO
 * week (Monday to Sunday) or calendar month overlapping the range — a point's figures cover only
 * its days inside the range — the totals of the range, and the previous period of equal length
 * (from − n … from − 1) with the change to it. One statement, whatever the range.
 *
 * Access (analyticsAccess): PLATFORM and CATEGORY staff ANALYST, FINANCE; SHOP also the shop's OWNER,
 * MANAGER and FINANCE members. A range runs forwards and spans at most MAX_RANGE_DAYS days.
 */
export async function metricSeries(ctx: Context, scope: MetricScope, from: string, to: string, granularity: MetricGranularity = 'DAY'): Promise<MetricSeriesResult> {
  await requireAnalyticsAccess(ctx, scope);
  const days = rangeDays(from, to);
  const [kind, key] = scopeKey(scope);
  const rows = await selectRows(ctx.em, SERIES_ROW, SERIES_SQL, [from, to, days, granularity.toLowerCase(), kind, key]);
  const total = rows.find((r) => r.bucket === 'total')!;
  const previous = rows.find((r) => r.bucket === 'previous')!;
  const totals = figuresOf(total);
  const previousPeriod = figuresOf(previous);
  return {
    scope,
    from,
    to,
    granularity,
    points: rows.filter((r) => r !== total && r !== previous).map((r) => ({ date: r.first_day, endDate: r.last_day, ...figuresOf(r) })),
    totals,
    comparison: { from: previous.first_day, to: previous.last_day, previousPeriod, change: changeOf(totals, previousPeriod) },
    snapshotAt: total.snapshot_at,
  };
}

// --- Rankings -----------------------------------------------------------------------------------

/** The most rows a ranking returns. */
export const MAX_RANKING = 100;
/** CONVERSION ranks only products viewed at least this often in the range: a product seen twice and bought once is no 50 % converter. */
export const CONVERSION_MIN_VIEWS = 10;

function checkFirst(first: number): void {
  if (!Number.isInteger(first) || first < 1 || first > MAX_RANKING) throw new BadInputError(`\`first\` must be between 1 and ${MAX_RANKING}`, 'first');
}

export type ProductMetricOrder = 'GMV' | 'UNITS' | 'VIEWS' | 'CONVERSION';

/** A product's figures over a range (money in minor units). */
export interface ProductMetricRow {
  productId: string;
  gmv: number;
  units: number;
  paidOrders: number;
  views: number;
  addToCarts: number;
  /** paidOrders ÷ views; 0 without views. */
  conversionRate: number;
}

const PRODUCT_ORDER: Record<ProductMetricOrder, string> = {
  GMV: 'x.gmv desc, x.units desc',
  UNITS: 'x.units desc, x.gmv desc',
  VIEWS: 'x.views desc, x.gmv desc',
  CONVERSION: 'x.paid_orders::float8 / x.views desc, x.views desc',
};

const PRODUCT_ROW = rowShape({ product_id: 'key', gmv: 'number', units: 'number', paid_orders: 'number', views: 'number', add_to_carts: 'number' });

/**
 * The top `first` (1 to 100, default 10) products over [from, to] by `by`, from product_metric_daily in
 * one statement: of one shop (`shopId`) and/or one category with its subcategories (`categoryId`, by
 * the product's category now), or of the whole platform. CONVERSION (paid orders ÷ views) ranks the
 * products with at least CONVERSION_MIN_VIEWS views only. Ties by the product's key.
 *
 * Access: staff ANALYST, FINANCE; with `shopId`, also that shop's OWNER, MANAGER and FINANCE members.
 */
export async function topProducts(
  ctx: Context,
  scope: { shopId?: string | null; categoryId?: string | null },
  from: string,
  to: string,
  by: ProductMetricOrder = 'GMV',
  first = 10,
): Promise<ProductMetricRow[]> {
  await requireAnalyticsAccess(ctx, { kind: 'PRODUCTS', shopId: scope.shopId, categoryId: scope.categoryId });
  rangeDays(from, to);
  checkFirst(first);
  const filters = ['day between ? and ?'];
  const params: unknown[] = [from, to];
  if (scope.shopId) {
    filters.push('shop_id = ?');
    params.push(scope.shopId);
  }
  if (scope.categoryId) {
    // A category's path ("/1/7/") prefixes its subcategories' paths; it holds digits and slashes only.
    filters.push('category_path like ?');
    params.push(`${(await categoryOf(ctx, scope.categoryId))!.path}%`);
  }
  const rows = await selectRows(
    ctx.em,
    PRODUCT_ROW,
    `select x.* from (
       select product_id, sum(gmv) as gmv, sum(units) as units, sum(paid_orders) as paid_orders, sum(views) as views, sum(add_to_carts) as add_to_carts
       from product_metric_daily where ${filters.join(' and ')}
       group by product_id
     ) x
     ${by === 'CONVERSION' ? `where x.views >= ${CONVERSION_MIN_VIEWS}` : ''}
     order by ${PRODUCT_ORDER[by]}, x.product_id
     limit ${first}`,
    params,
  );
  return rows.map((r) => ({
    productId: r.product_id,
    gmv: r.gmv,
    units: r.units,
    paidOrders: r.paid_orders,
    views: r.views,
    addToCarts: r.add_to_carts,
    conversionRate: ratio(r.paid_orders, r.views),
  }));
}

export type ShopMetricOrder = 'GMV' | 'ORDERS';

/** A shop's figures over a range (money in minor units). */
export interface ShopMetricRow {
  shopId: string;
  gmv: number;
  paidOrders: number;
  /** Distinct buyers of the shop's orders paid in the range. */
  buyers: number;
  refunds: number;
  /** refunds ÷ gmv; 0 without GMV. */
  refundRate: number;
}

const SHOP_ORDER: Record<ShopMetricOrder, string> = {
  GMV: 'gmv desc, paid_orders desc',
  ORDERS: 'paid_orders desc, gmv desc',
};

const SHOP_ROW = rowShape({ shop_id: 'key', gmv: 'number', paid_orders: 'number', refunds: 'number', buyers: 'int' });

/**
 * Staff ANALYST, FINANCE: the top `first` (1 to 100, default 10) shops over [from, to] by GMV or paid
 * orders, from the shops' metric_daily rows in one statement; each shop's buyers counted once over
 * the range. Ties by the shop's key.
 */
export async function topShops(ctx: Context, from: string, to: string, by: ShopMetricOrder = 'GMV', first = 10): Promise<ShopMetricRow[]> {
  await requireAnalyticsAccess(ctx, { kind: 'PLATFORM' });
  rangeDays(from, to);
  checkFirst(first);
  const rows = await selectRows(
    ctx.em,
    SHOP_ROW,
    `with p as (select ?::date as from_day, ?::date as to_day),
     s as (
       select m.scope_id as shop_id, sum(m.gmv) as gmv, sum(m.paid_orders) as paid_orders, sum(m.refunds) as refunds
       from p join metric_daily m on m.scope = 'SHOP' and m.day between p.from_day and p.to_day
       group by m.scope_id
       order by ${SHOP_ORDER[by]}, m.scope_id
       limit ${first}
     )
     select s.shop_id, s.gmv, s.paid_orders, s.refunds,
            (select count(distinct v) from p, metric_daily m cross join unnest(m.buyer_ids) v
             where m.scope = 'SHOP' and m.scope_id = s.shop_id and m.day between p.from_day and p.to_day) as buyers
     from s order by ${SHOP_ORDER[by]}, s.shop_id`,
    [from, to],
  );
  return rows.map((r) => ({ shopId: r.shop_id, gmv: r.gmv, paidOrders: r.paid_orders, buyers: r.buyers, refunds: r.refunds, refundRate: ratio(r.refunds, r.gmv) }));
}
