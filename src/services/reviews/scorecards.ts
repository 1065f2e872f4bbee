import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { keysetClause, type Page, page, type PageArgs, pageWindow, type SortKey } from '../../db/keyset';
import { columnsOf, entitiesWhere, rowShape, selectEntities, selectRows } from '../../db/rows';
import { ScorecardLevel, ScorecardLevelChange, ShopScorecard } from '../../entities';
import { BadInputError, ForbiddenError } from '../../errors';
import { SCORECARD_STAFF } from '../shared/roles';

/**
 * The merchant performance scorecard (商家績效): per ACTIVE or SUSPENDED shop, figures over the 30
 * days before the run, a 0–100 score and a level, rewritten for every shop at once by the daily
 * task `compute-scorecards` in one SQL statement, which also records each change of level.
 *
 * The score weighs components in 0..1 (1 is best). A component whose figure is null (no order due
 * to ship, no review, no ticket or case) is left out and the other weights are scaled up to 100:
 *
 * | component      | weight | value                                                        |
 * |----------------|-------:|--------------------------------------------------------------|
 * | ship on time   |     25 | shipOnTimeRate                                               |
 * | cancellations  |     15 | 1 − min(cancellationRate / 0.05, 1)  (5 % or more: 0)        |
 * | after-sales    |     10 | 1 − min(afterSaleRate / 0.20, 1)     (20 % or more: 0)       |
 * | refunds        |     15 | 1 − min(refundRate / 0.10, 1)        (10 % or more: 0)       |
 * | disputes       |     10 | 1 − min(disputeRate / 0.02, 1)       (2 % or more: 0)        |
 * | rating         |     15 | clamp((averageRating − 3) / 2, 0, 1) (3★ or less: 0, 5★: 1)   |
 * | response       |     10 | 1 − clamp((p50 − 60) / (1440 − 60), 0, 1) (≤ 1 h: 1, ≥ 24 h: 0) |
 *
 * score = round(100 × Σ wᵢcᵢ / Σ wᵢ), halves rounded up; null (level NOT_RATED) without a paid order
 * in the 30 days. Levels: 90 or more EXCELLENT, 75 GOOD, 60 NEEDS_IMPROVEMENT, below AT_RISK.
 */

/** Days a scorecard covers. */
export const SCORECARD_WINDOW_DAYS = 30;

const DAY = 86_400_000;
const MINUTE = 60_000;

/** The score's components, in the table's order: the figure (a column of the figures) and how it maps to 0..1. */
const COMPONENTS: { figure: string; weight: number; value: (x: string) => string }[] = [
  { figure: 'ship_on_time_rate', weight: 25, value: (x) => x },
  { figure: 'cancellation_rate', weight: 15, value: (x) => `1 - least(${x} / 0.05, 1)` },
  { figure: 'after_sale_rate', weight: 10, value: (x) => `1 - least(${x} / 0.20, 1)` },
  { figure: 'refund_rate', weight: 15, value: (x) => `1 - least(${x} / 0.10, 1)` },
  { figure: 'dispute_rate', weight: 10, value: (x) => `1 - least(${x} / 0.02, 1)` },
  { figure: 'average_rating', weight: 15, value: (x) => `greatest(least((${x} - 3) / 2, 1), 0)` },
  { figure: 'first_response_minutes_p50', weight: 10, value: (x) => `1 - greatest(least((${x} - 60) / (1440 - 60), 1), 0)` },
];

// least() and greatest() skip nulls, so each value is guarded: a null figure must stay a null component.
const COMPONENT_ROWS = COMPONENTS.map((c) => `(${c.weight}, case when f.${c.figure} is not null then (${c.value(`f.${c.figure}`)})::float8 end)`).join(',\n        ');

/**
 * The whole computation, one statement. `p` holds the parameters: the clock's now, the window's
 * start, the earliest an order paid in the window can have been placed (the bound that lets
 * `orders_placed_idx` limit the scan) and SHIP_WITHIN_HOURS. The sub-statements share one snapshot, so `changed`
 * reads each shop's level from before `saved` rewrote it.
 */
const COMPUTE_SQL = `
with p as (
  select ?::timestamptz as now, ?::timestamptz as start, ?::timestamptz as placed_from, make_interval(hours => ?::int) as ship_within
),
rated as (
  select s.id as shop_id from shop s where s.status in ('ACTIVE', 'SUSPENDED')
),
paid as (
  select o.shop_id,
         count(*) as paid_orders,
         count(*) filter (where o.cancelled_by = 'SHOP') as shop_cancelled,
         count(*) filter (where d.due) as due,
         count(*) filter (where d.due and o.shipped_at <= d.ready + p.ship_within) as on_time
  from p
  join orders o on o.placed_at >= p.placed_from and o.placed_at < p.now and o.paid_at >= p.start and o.paid_at < p.now
  -- Due to ship: shipped; cancelled by the shop (late by definition); open past SHIP_WITHIN_HOURS;
  -- or cancelled unshipped by anyone after that deadline (a buyer who gave up waiting). Not those the
  -- buyer, staff (mostly on the buyer's behalf) or the platform cancelled within it. The shop's time
  -- runs from payment, or from the release of a risk hold; an order risk control still holds (or
  -- cancelled while holding it) is never due: the shop could not ship it.
  cross join lateral (select greatest(o.paid_at, o.hold_released_at) as ready) r
  cross join lateral (
    select r.ready,
           not o.held and (o.shipped_at is not null or o.cancelled_by = 'SHOP'
             or (o.cancelled_by is null and r.ready + p.ship_within <= p.now)
             or o.cancelled_at >= r.ready + p.ship_within) as due
  ) d
  group by o.shop_id
),
cases as (
  select c.shop_id,
         count(*) filter (where c.created_at >= p.start and c.created_at < p.now) as opened,
         count(*) filter (where c.closed_at >= p.start and c.closed_at < p.now and c.outcome = 'REFUNDED') as refunded,
         count(*) filter (where c.closed_at >= p.start and c.closed_at < p.now and c.ruling = 'FOR_BUYER') as for_buyer
  from p
  join after_sale_case c on (c.created_at >= p.start and c.created_at < p.now) or (c.closed_at >= p.start and c.closed_at < p.now)
  group by c.shop_id
),
reviews as (
  select r.shop_id, avg(r.rating)::float8 as average_rating, count(*) as review_count
  from p
  join review r on r.created_at >= p.start and r.created_at < p.now
  -- The platform's default ratings say nothing about the shop.
  where r.status = 'PUBLISHED' and not r.automatic
  group by r.shop_id
),
-- Minutes to the first answer of each ticket naming the shop and each case of the shop opened in
-- the window: the ticket's first response; the case's first merchant or platform step or merchant
-- message. Unanswered (or answered after now): the minutes so far.
responses as (
  select t.shop_id, extract(epoch from least(t.first_responded_at, p.now) - t.created_at)::float8 / 60 as minutes
  from p
  join ticket t on t.created_at >= p.start and t.created_at < p.now
  where t.shop_id is not null
  union all
  select c.shop_id,
         extract(epoch from least(p.now,
           (select min(e.at) from after_sale_event e where e.case_id = c.id and e.party in ('MERCHANT', 'PLATFORM') and e.type <> 'REQUESTED'),
           (select min(m.at) from after_sale_message m where m.case_id = c.id and m.role = 'MERCHANT')
         ) - c.created_at)::float8 / 60
  from p
  join after_sale_case c on c.created_at >= p.start and c.created_at < p.now
),
response as (
  select shop_id, percentile_cont(0.5) within group (order by minutes) as p50 from responses group by shop_id
),
figures as (
  select s.shop_id,
         coalesce(o.paid_orders, 0)::int as paid_orders,
         o.on_time::float8 / nullif(o.due, 0) as ship_on_time_rate,
         o.shop_cancelled::float8 / nullif(o.paid_orders, 0) as cancellation_rate,
         coalesce(c.opened, 0)::float8 / nullif(o.paid_orders, 0) as after_sale_rate,
         coalesce(c.refunded, 0)::float8 / nullif(o.paid_orders, 0) as refund_rate,
         coalesce(c.for_buyer, 0)::float8 / nullif(o.paid_orders, 0) as dispute_rate,
         r.average_rating,
         coalesce(r.review_count, 0)::int as review_count,
         x.p50 as first_response_minutes_p50
  from rated s
  left join paid o using (shop_id)
  left join cases c using (shop_id)
  left join reviews r using (shop_id)
  left join response x using (shop_id)
),
scored as (
  select f.*, case when f.paid_orders > 0 then round((100 * w.weighted / w.weights)::numeric)::smallint end as score
  from figures f
  cross join lateral (
    select sum(c.weight * c.value) as weighted, sum(c.weight) as weights
    from (values
        ${COMPONENT_ROWS}
    ) as c(weight, value)
    where c.value is not null
  ) w
),
leveled as (
  select s.*,
         case when s.score is null then '${ScorecardLevel.NOT_RATED}'
              when s.score >= 90 then '${ScorecardLevel.EXCELLENT}'
              when s.score >= 75 then '${ScorecardLevel.GOOD}'
              when s.score >= 60 then '${ScorecardLevel.NEEDS_IMPROVEMENT}'
              else '${ScorecardLevel.AT_RISK}' end as level
  from scored s
),
saved as (
  insert into shop_scorecard (shop_id, computed_at, window_start, paid_orders, ship_on_time_rate, cancellation_rate, after_sale_rate, refund_rate,
                              dispute_rate, average_rating, review_count, first_response_minutes_p50, score, level, level_since)
  select l.shop_id, p.now, p.start, l.paid_orders, l.ship_on_time_rate, l.cancellation_rate, l.after_sale_rate, l.refund_rate,
         l.dispute_rate, l.average_rating, l.review_count, l.first_response_minutes_p50, l.score, l.level, p.now
  from leveled l cross join p
  on conflict (shop_id) do update set
    computed_at = excluded.computed_at, window_start = excluded.window_start, paid_orders = excluded.paid_orders,
    ship_on_time_rate = excluded.ship_on_time_rate, cancellation_rate = excluded.cancellation_rate, after_sale_rate = excluded.after_sale_rate,
    refund_rate = excluded.refund_rate, dispute_rate = excluded.dispute_rate, average_rating = excluded.average_rating,
    review_count = excluded.review_count, first_response_minutes_p50 = excluded.first_response_minutes_p50, score = excluded.score,
    level = excluded.level,
    level_since = case when shop_scorecard.level = excluded.level then shop_scorecard.level_since else excluded.level_since end
  -- A second run at the same time writes nothing.
  where (shop_scorecard.computed_at, shop_scorecard.window_start, shop_scorecard.paid_orders, shop_scorecard.ship_on_time_rate,
         shop_scorecard.cancellation_rate, shop_scorecard.after_sale_rate, shop_scorecard.refund_rate, shop_scorecard.dispute_rate,
         shop_scorecard.average_rating, shop_scorecard.review_count, shop_scorecard.first_response_minutes_p50, shop_scorecard.score, shop_scorecard.level)
        is distinct from
        (excluded.computed_at, excluded.window_start, excluded.paid_orders, excluded.ship_on_time_rate,
         excluded.cancellation_rate, excluded.after_sale_rate, excluded.refund_rate, excluded.dispute_rate,
         excluded.average_rating, excluded.review_count, excluded.first_response_minutes_p50, excluded.score, excluded.level)
  returning 1
),
changed as (
  insert into scorecard_level_change (shop_id, from_level, to_level, score, at)
  select l.shop_id, before.level, l.level, l.score, p.now
  from leveled l cross join p
  left join shop_scorecard before on before.shop_id = l.shop_id
  where before.level is distinct from l.level
  order by l.shop_id
  returning to_level
)
select (select count(*) from saved)::int as written,
       (select count(*) from changed where to_level = '${ScorecardLevel.AT_RISK}')::int as at_risk`;

const COMPUTED = rowShape({ written: 'int', at_risk: 'int' });

/**
 * `compute-scorecards`: rewrites the scorecard of every ACTIVE or SUSPENDED shop over the 30 days
 * before `deps.clock.now()`, in one statement whatever the number of shops, keeping `levelSince`
 * where the level is unchanged and recording a ScorecardLevelChange where it changed (a shop's first
 * scorecard too). Returns the scorecards written — every scored shop's on a run at a new time —
 * with a note of the shops that dropped to AT_RISK; a second run at the same time writes nothing
 * and records nothing (done: 0).
 */
export async function computeScorecards(deps: SystemDeps, em: EntityManager): Promise<{ done: number; note?: string }> {
  const now = deps.clock.now();
  const start = new Date(now.getTime() - SCORECARD_WINDOW_DAYS * DAY);
  // An order is paid before its checkout expires: one paid in the window was placed at most
  // CHECKOUT_TTL_MINUTES (and never less than a day, for slack) before the window opened.
  const placedFrom = new Date(start.getTime() - Math.max(DAY, deps.config.orders.checkoutTtlMinutes * MINUTE));
  const [row] = await selectRows(em, COMPUTED, COMPUTE_SQL, [now, start, placedFrom, deps.config.scorecard.shipWithinHours]);
  return { done: row.written, note: row.at_risk > 0 ? `${row.at_risk} dropped to ${ScorecardLevel.AT_RISK}` : undefined };
}

// --- Reading ------------------------------------------------------------------------------------

/** Staff SCORECARD_STAFF (RISK, OPERATIONS, ANALYST; ADMIN passes), checked again here behind the shield. */
function requireScorecardStaff(ctx: Context): void {
  if (!ctx.viewer.hasStaffRole(...SCORECARD_STAFF)) throw new ForbiddenError();
}

/** Level changes a shop's scorecard shows at most (`ShopScorecard.levelChanges(first)`). */
export const MAX_RECENT_LEVEL_CHANGES = 100;

/**
 * The newest MAX_RECENT_LEVEL_CHANGES level changes of each shop with a key in `shopIds`, newest
 * first, in one statement (one probe of `scorecard_level_change_shop_idx` per shop): the rows of
 * `levelChangesByShopId`.
 */
export function levelChangesOfShops(em: EntityManager, shopIds: readonly string[]): Promise<ScorecardLevelChange[]> {
  if (shopIds.length === 0) return Promise.resolve([]);
  return selectEntities(
    em,
    ScorecardLevelChange,
    `select ${columnsOf(em, ScorecardLevelChange, 'e')} from unnest(?::bigint[]) as k(shop_id)
     cross join lateral (select * from scorecard_level_change c where c.shop_id = k.shop_id order by c.id desc limit ${MAX_RECENT_LEVEL_CHANGES}) e
     order by e.shop_id, e.id desc`,
    // One array parameter, however many shops.
    [`{${shopIds.join(',')}}`],
  );
}

/** The scorecard of the shop with key `shopId`, for its members (any role) and staff; null before the first run, and for anyone else. */
export async function shopScorecard(ctx: Context, shopId: string): Promise<ShopScorecard | null> {
  if (!(await ctx.viewer.isInsiderOf(shopId))) return null;
  return ctx.loaders.scorecardByShopId.load(shopId);
}

/** The newest `first` (0 to 100) level changes of the shop with key `shopId`, for its members and staff (empty for anyone else). */
export async function recentLevelChanges(ctx: Context, shopId: string, first: number): Promise<ScorecardLevelChange[]> {
  if (!Number.isInteger(first) || first < 0 || first > MAX_RECENT_LEVEL_CHANGES) throw new BadInputError(`\`first\` must be between 0 and ${MAX_RECENT_LEVEL_CHANGES}`, 'first');
  if (!(await ctx.viewer.isInsiderOf(shopId))) return [];
  return (await ctx.loaders.levelChangesByShopId.load(shopId)).slice(0, first);
}

export type ScorecardSortKey = 'SCORE_ASC' | 'SCORE_DESC';

/**
 * Staff SCORECARD_STAFF: scorecards by score, worst first (SCORE_ASC, the default) or best first,
 * ties by shop; keyset on (score, shop). Only one `level` when given; without one, every rated shop
 * (NOT_RATED ones have no score and would only crowd the worst end). NOT_RATED rows sort as score
 * −1, in SQL and in the cursor alike, so the sort keys are never null; a rated list reads
 * `shop_scorecard_score_idx` or `shop_scorecard_level_idx` in order.
 */
export async function listScorecards(ctx: Context, args: PageArgs & { level?: ScorecardLevel | null; sort?: ScorecardSortKey | null }): Promise<Page<ShopScorecard>> {
  requireScorecardStaff(ctx);
  const window = pageWindow(args, ['int', 'id']);
  const direction = args.sort === 'SCORE_DESC' ? 'desc' : 'asc';
  const score = args.level === ScorecardLevel.NOT_RATED ? 'coalesce(e.score, -1)' : 'e.score';
  const keys: SortKey[] = [
    { column: score, direction },
    { column: 'e.shop_id', direction },
  ];
  // A closed (or not yet active) shop keeps its last scorecard row but is no longer scored: not listed.
  const scored = "exists (select 1 from shop s where s.id = e.shop_id and s.status in ('ACTIVE', 'SUSPENDED'))";
  const filter = args.level ? { sql: `e.level = ? and ${scored}`, params: [args.level] } : { sql: `e.level <> ? and ${scored}`, params: [ScorecardLevel.NOT_RATED] };
  const { where, orderBy } = keysetClause(keys, window);
  const order = Object.entries(orderBy).map(([column, dir]) => `${column} ${dir}`).join(', ');
  const rows = await entitiesWhere(
    ctx.em,
    ShopScorecard,
    `${filter.sql}${where ? ` and ${where.sql}` : ''} order by ${order} limit ${window.limit}`,
    [...filter.params, ...(where?.params ?? [])],
  );
  return page(rows, window, (s) => [s.score ?? -1, s.shop.id], async () => {
    const [row] = await selectRows(ctx.em, rowShape({ n: 'int' }), `select count(*) as n from shop_scorecard e where ${filter.sql}`, filter.params);
    return row.n;
  });
}

/**
 * Staff SCORECARD_STAFF: level changes newest first (keyset on the id), of one shop (`shopId`, a
 * database key) and/or to one level (`toLevel`: AT_RISK for the drops the RISK team follows).
 */
export async function levelChanges(ctx: Context, args: PageArgs & { shopId?: string | null; toLevel?: ScorecardLevel | null }): Promise<Page<ScorecardLevelChange>> {
  requireScorecardStaff(ctx);
  const window = pageWindow(args, ['id']);
  const filters: string[] = [];
  const params: unknown[] = [];
  if (args.shopId) {
    filters.push('e.shop_id = ?');
    params.push(args.shopId);
  }
  if (args.toLevel) {
    filters.push('e.to_level = ?');
    params.push(args.toLevel);
  }
  const filter = filters.length ? filters.join(' and ') : 'true';
  const { where, orderBy } = keysetClause([{ column: 'e.id', direction: 'desc' }], window);
  const order = Object.entries(orderBy).map(([column, dir]) => `${column} ${dir}`).join(', ');
  const rows = await entitiesWhere(
    ctx.em,
    ScorecardLevelChange,
    `${filter}${where ? ` and ${where.sql}` : ''} order by ${order} limit ${window.limit}`,
    [...params, ...(where?.params ?? [])],
  );
  return page(rows, window, (c) => [c.id], async () => {
    const [row] = await selectRows(ctx.em, rowShape({ n: 'int' }), `select count(*) as n from scorecard_level_change e where ${filter}`, params);
    return row.n;
  });
}
