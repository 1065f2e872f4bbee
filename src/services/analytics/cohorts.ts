import type { Context } from '../../context';
import { rowShape, selectRows } from '../../db/rows';
import { ANALYTICS_TIME_ZONE as TZ } from './days';
import { requireAnalyticsAccess } from './access';
import { rangeDays } from './reports';

/** Months after its first a cohort is followed for, at most. */
export const MAX_COHORT_MONTHS = 24;

export interface CohortMonthRow {
  /** Months after the cohort's month (1: the next month). */
  offset: number;
  /** "YYYY-MM". */
  month: string;
  /** The cohort's buyers with a paid order in that month. */
  buyers: number;
  /** buyers ÷ the cohort's buyers. */
  share: number;
}

export interface CohortRow {
  /** "YYYY-MM": the month of the cohort's buyers' first paid order. */
  month: string;
  buyers: number;
  months: CohortMonthRow[];
}

/** A month as a count of months, to subtract months. */
const monthIndex = (sql: string) => `(extract(year from ${sql})::int * 12 + extract(month from ${sql})::int)`;

const COHORT_ROW = rowShape({ month: 'text', buyers: 'int', month_offset: 'int?', active_month: 'text?', active_buyers: 'int' });

/**
 * One statement. `firsts`: the buyers of the orders paid in the range (orders_paid_at_idx) with their
 * first paid order in it; `cohort` keeps those with no paid order before the range
 * (orders_buyer_paid_idx), by the month of that first order. `active`: per cohort and later month,
 * the cohort's buyers who paid an order in that month, up to MAX_COHORT_MONTHS and the current month.
 * The grid has a row for every such month of every cohort, zeros included, and one row with no month
 * for a cohort of the current month.
 */
const COHORT_SQL = `
with p as (
  select (?::date)::timestamp at time zone '${TZ}' as from_at,
         (?::date + 1)::timestamp at time zone '${TZ}' as to_at,
         date_trunc('month', ?::timestamptz at time zone '${TZ}')::date as this_month
),
firsts as (
  select o.buyer_id, min(o.paid_at) as first_at
  from p join orders o on o.paid_at >= p.from_at and o.paid_at < p.to_at
  group by o.buyer_id
),
cohort as (
  select f.buyer_id, date_trunc('month', f.first_at at time zone '${TZ}')::date as month
  from firsts f cross join p
  where not exists (select 1 from orders e where e.buyer_id = f.buyer_id and e.paid_at < p.from_at)
),
sizes as (
  select month, count(*) as buyers from cohort group by month
),
active as (
  select c.month, ${monthIndex(`date_trunc('month', o.paid_at at time zone '${TZ}')`)} - ${monthIndex('c.month')} as month_offset, count(distinct c.buyer_id) as buyers
  from cohort c cross join p
  join orders o on o.buyer_id = c.buyer_id
   and o.paid_at >= (c.month + interval '1 month')::timestamp at time zone '${TZ}'
   and o.paid_at < least(c.month + interval '${MAX_COHORT_MONTHS + 1} months', p.this_month + interval '1 month')::timestamp at time zone '${TZ}'
  group by 1, 2
)
select to_char(s.month, 'YYYY-MM') as month, s.buyers, g.k as month_offset,
       to_char(s.month + make_interval(months => g.k), 'YYYY-MM') as active_month, coalesce(a.buyers, 0) as active_buyers
from sizes s cross join p
left join lateral generate_series(1, least(${MAX_COHORT_MONTHS}, ${monthIndex('p.this_month')} - ${monthIndex('s.month')})) g(k) on true
left join active a on a.month = s.month and a.month_offset = g.k
order by s.month, g.k`;

/**
 * Staff ANALYST, FINANCE: retention of the buyers whose first paid order on the platform (paid_at,
 * whatever happened to the order later) falls in [from, to] (Asia/Shanghai days), in cohorts by the
 * month of that order; for each later month up to the current one (at most MAX_COHORT_MONTHS), how
 * many of the cohort paid an order in that month and their share of it. Oldest cohort first. One
 * statement, from the orders themselves (not the snapshots).
 */
export async function cohortRetention(ctx: Context, from: string, to: string): Promise<CohortRow[]> {
  await requireAnalyticsAccess(ctx, { kind: 'PLATFORM' });
  rangeDays(from, to);
  const rows = await selectRows(ctx.em, COHORT_ROW, COHORT_SQL, [from, to, ctx.now()]);
  const cohorts: CohortRow[] = [];
  for (const row of rows) {
    let cohort = cohorts.at(-1);
    if (cohort?.month !== row.month) cohorts.push((cohort = { month: row.month, buyers: row.buyers, months: [] }));
    if (row.month_offset !== null) cohort.months.push({ offset: row.month_offset, month: row.active_month!, buyers: row.active_buyers, share: row.active_buyers / row.buyers });
  }
  return cohorts;
}
