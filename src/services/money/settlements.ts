import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config, SettlementPeriod } from '../../config';
import type { Context, SystemDeps } from '../../context';
import { entitiesByIds, entityWhere, rowShape, selectRows } from '../../db/rows';
import { Settlement, SettlementStatus, Shop } from '../../entities';
import { Failure, Problems, UserErrorCode } from '../../errors';
// The after-sales hooks alone: an open case holds its order's settlement.
import { noOpenCaseSql } from '../aftersales/hooks';
import { recordAudit } from '../platform';
import { checkText, toMinor } from '../shared';
import { postAdjustment } from './ledger';

/**
 * Settlements: each shop's ledger entries of sales that are final (the order COMPLETED after its
 * after-sales window, or CANCELLED and refunded) and of its adjustments, gathered per period
 * (SETTLEMENT_PERIOD, in Asia/Shanghai days and weeks) and closed by the `close-settlements` task.
 *
 * An entry belongs to the period in which it became final: the later of its posting time and its
 * order's completion (or cancellation). An entry that became final in a period the shop already
 * closed (a straggler whose transaction committed after the close) goes to the next period, so a
 * closed settlement never changes. Closing is set-based: a few statements per run whatever the
 * number of shops and orders, never one per order.
 */

/** The business time zone: settlement days and weeks start at midnight there (like order numbers). */
export const SETTLEMENT_TIME_ZONE = 'Asia/Shanghai';

/** Accounts whose entries go into settlements (with a shop named, of the kinds in SETTLED_KINDS). */
const SETTLED_ACCOUNTS = `('SHOP_PAYABLE', 'PLATFORM_COMMISSION', 'PLATFORM_PROMOTIONS', 'PLATFORM_ADJUSTMENTS')`;

/** SQL for the start of the period containing `expr` (a timestamptz), or null under CONTINUOUS. */
function periodStartSql(period: SettlementPeriod, expr: string): string | null {
  if (period === 'CONTINUOUS') return null;
  const unit = period === 'WEEKLY' ? 'week' : 'day';
  return `(date_trunc('${unit}', (${expr}) at time zone '${SETTLEMENT_TIME_ZONE}') at time zone '${SETTLEMENT_TIME_ZONE}')`;
}

function periodLength(period: SettlementPeriod): string {
  return period === 'WEEKLY' ? `interval '7 days'` : `interval '1 day'`;
}

/**
 * The unsettled entries that are final before `cutoff` (the first parameter), each with its shop
 * and the start of the period it belongs to (`period_start`), as a query. `shopFilter`: an extra
 * condition on `e.shop_id` (its parameters follow the cutoff). An entry belongs to the period of
 * the moment it became final, but never to one its shop has already closed: a straggler goes to
 * the period after the shop's last closed one. Under CONTINUOUS every due entry of a shop goes to
 * one period, starting where its open settlement (or its last closed one) starts or ends. The
 * shops' settlements are read once per shop, not per entry.
 */
function dueEntriesSql(period: SettlementPeriod, shopFilter = ''): string {
  const start = periodStartSql(period, 'c.final_at');
  return `
    with cand as (
      select e.id, e.shop_id, e.account, e.kind, e.amount, e.order_id, greatest(e.at, coalesce(o.completed_at, o.cancelled_at, e.at)) as final_at
      from ledger_entry e
      left join orders o on o.id = e.order_id
      where e.settlement_id is null and e.shop_id is not null
        and e.kind in ('PAYMENT', 'REFUND', 'ADJUSTMENT') and e.account in ${SETTLED_ACCOUNTS}
        and (e.order_id is null or (o.status in ('COMPLETED', 'CANCELLED') and ${noOpenCaseSql('e.order_id')}))
        and greatest(e.at, coalesce(o.completed_at, o.cancelled_at, e.at)) < ?
        ${shopFilter}
    ), shops as (
      select s.shop_id, max(s.period_end) filter (where s.status = 'CLOSED') as last_end, min(s.period_start) filter (where s.status = 'OPEN') as open_start
      from settlement s where s.shop_id in (select distinct shop_id from cand)
      group by s.shop_id
    )
    select c.id, c.shop_id, c.account, c.kind, c.amount, c.order_id, c.final_at,
           ${start === null ? `coalesce(p.open_start, p.last_end, min(c.final_at) over (partition by c.shop_id))` : `greatest(${start}, coalesce(p.last_end, '-infinity'))`} as period_start
    from cand c left join shops p on p.shop_id = c.shop_id`;
}

/**
 * The figures of a group of entries (columns account, kind, amount, order_id), as select columns:
 * the one definition a settlement's totals and its lines share, so the lines add up to the totals.
 */
export const FIGURE_SUMS = `
  coalesce(-sum(amount) filter (where kind = 'PAYMENT' and account in ('SHOP_PAYABLE', 'PLATFORM_COMMISSION')), 0) as gross,
  coalesce(-sum(amount) filter (where account = 'PLATFORM_COMMISSION'), 0) as commission,
  coalesce(sum(amount) filter (where kind = 'REFUND' and account in ('SHOP_PAYABLE', 'PLATFORM_COMMISSION')), 0) as refunds,
  coalesce(-sum(amount) filter (where kind = 'ADJUSTMENT' and account = 'SHOP_PAYABLE'), 0) as adjustments,
  coalesce(-sum(amount) filter (where account = 'SHOP_PAYABLE'), 0) as net`;

/** The figures of a set of entries (`from`), grouped by `key`, with their orders counted. */
function figuresSql(from: string, key: string): string {
  return `select ${key} as key, ${FIGURE_SUMS}, count(distinct order_id)::int as order_count from ${from} group by ${key}`;
}

export interface CloseResult {
  /** Settlements closed. */
  closed: number;
  /** Ledger entries settled into them. */
  entries: number;
}

/**
 * `close-settlements`: closes every settlement whose period has ended at the clock's now (under
 * CONTINUOUS, everything final so far), in one transaction of a few set-based statements: the due
 * entries are gathered into a temporary table, settlements are created for periods that have none,
 * entries are marked with their settlement, and each settlement's figures are summed and stored
 * with status CLOSED. A shop whose previous settlement closed negative carries that into the next
 * one's payable. Settlements closing in one run are closed oldest period first, so carries chain.
 * Idempotent: a second run finds nothing due.
 */
export async function closeSettlements(deps: SystemDeps, em: EntityManager): Promise<CloseResult> {
  const period = deps.config.settlementPeriod;
  const now = deps.clock.now();
  return em.fork().transactional(async (tx) => {
    // One closing at a time, whoever starts it (the task's own run lock covers only the task).
    await tx.execute(`select pg_advisory_xact_lock(hashtextextended('close-settlements', 0))`);
    // CONTINUOUS: everything final up to and including now.
    const cutoff = period === 'CONTINUOUS' ? new Date(now.getTime() + 1) : await currentPeriodStart(tx, period, now);
    // Only periods that have ended: a straggler moved into the current period waits for its end.
    await tx.execute(
      `create temporary table due_entry on commit drop as
       select * from (${dueEntriesSql(period)}) d ${period === 'CONTINUOUS' ? '' : `where d.period_start + ${periodLength(period)} <= ?`}`,
      period === 'CONTINUOUS' ? [cutoff] : [cutoff, cutoff],
    );
    const periodEnd = period === 'CONTINUOUS' ? '?::timestamptz' : `d.period_start + ${periodLength(period)}`;
    await tx.execute(
      `insert into settlement (shop_id, period_start, period_end, status, created_at, updated_at)
       select distinct d.shop_id, d.period_start, ${periodEnd}, 'OPEN', ?::timestamptz, ?::timestamptz from due_entry d
       on conflict (shop_id, period_start) do nothing`,
      period === 'CONTINUOUS' ? [cutoff, now, now] : [now, now],
    );
    const [{ entries }] = await selectRows(
      tx,
      rowShape({ entries: 'int' }),
      `with marked as (
         update ledger_entry e set settlement_id = s.id
         from due_entry d join settlement s on s.shop_id = d.shop_id and s.period_start = d.period_start and s.status = 'OPEN'
         where e.id = d.id
         returning e.id
       ) select count(*)::int as entries from marked`,
    );
    // Open settlements whose period is over (under CONTINUOUS: every open one), with or without entries.
    const due = await selectRows(
      tx,
      rowShape({ id: 'key', shop_id: 'key', period_start: 'date' }),
      `select s.id, s.shop_id, s.period_start from settlement s
       where s.status = 'OPEN' ${period === 'CONTINUOUS' ? '' : 'and s.period_end <= ?'}
       order by s.period_start, s.id`,
      period === 'CONTINUOUS' ? [] : [cutoff],
    );
    const starts = [...new Set(due.map((d) => d.period_start.getTime()))].sort((a, b) => a - b);
    for (const start of starts) {
      // One array parameter, however many shops close in the period.
      const ids = `{${due.filter((d) => d.period_start.getTime() === start).map((d) => d.id).join(',')}}`;
      await tx.execute(
        `with f as (${figuresSql(`(select settlement_id, account, kind, amount, order_id from ledger_entry where settlement_id = any(?::bigint[])) x`, 'settlement_id')}),
         carry as (
           select s.id, least(0, coalesce((select prev.payable from settlement prev where prev.shop_id = s.shop_id and prev.status = 'CLOSED' order by prev.period_start desc limit 1), 0)) as carried
           from settlement s where s.id = any(?::bigint[])
         )
         update settlement s set
           status = 'CLOSED', closed_at = ?, updated_at = ?, period_end = least(coalesce(s.period_end, ?), ?),
           gross = coalesce(f.gross, 0), commission = coalesce(f.commission, 0), refunds = coalesce(f.refunds, 0),
           adjustments = coalesce(f.adjustments, 0), net = coalesce(f.net, 0), order_count = coalesce(f.order_count, 0),
           carried_over = c.carried, payable = coalesce(f.net, 0) + c.carried
         from carry c left join f on f.key = c.id
         where s.id = c.id`,
        [ids, ids, now, now, cutoff, cutoff],
      );
    }
    return { closed: due.length, entries };
  });
}

/** The start of the period containing `at`, by PostgreSQL's calendar (WEEKLY: Monday 00:00 in Shanghai). */
async function currentPeriodStart(em: EntityManager, period: Exclude<SettlementPeriod, 'CONTINUOUS'>, at: Date): Promise<Date> {
  const [{ start }] = await selectRows(em, rowShape({ start: 'date' }), `select ${periodStartSql(period, '?::timestamptz')} as start`, [at]);
  return start;
}

/** A settlement's figures, in minor units. CLOSED: as stored; OPEN: what would close now. */
export interface SettlementFigures {
  gross: number;
  commission: number;
  refunds: number;
  adjustments: number;
  net: number;
  carriedOver: number;
  payable: number;
  orderCount: number;
}

const FIGURES = rowShape({ key: 'key', gross: 'number', commission: 'number', refunds: 'number', adjustments: 'number', net: 'number', order_count: 'int' });

/**
 * The figures of each settlement in `settlements` (one query for the CLOSED ones' stored figures,
 * one for all the OPEN ones: their shops' due entries summed by period).
 */
export async function settlementFigures(em: EntityManager, config: Config, now: Date, settlements: readonly Settlement[]): Promise<Map<string, SettlementFigures>> {
  const figures = new Map<string, SettlementFigures>();
  const open: Settlement[] = [];
  for (const s of settlements) {
    if (s.status === SettlementStatus.CLOSED) {
      figures.set(s.id, { gross: s.gross, commission: s.commission, refunds: s.refunds, adjustments: s.adjustments, net: s.net, carriedOver: s.carriedOver, payable: s.payable, orderCount: s.orderCount });
    } else {
      open.push(s);
    }
  }
  if (open.length > 0) {
    const shopIds = [...new Set(open.map((s) => s.shop.id))];
    const rows = await selectRows(
      em,
      FIGURES,
      `with d as (${dueEntriesSql(config.settlementPeriod, 'and e.shop_id in (?)')}),
            o as (select s.id, s.shop_id, s.period_start from settlement s where s.id in (?)),
            x as (select o.id as settlement_id, d.account, d.kind, d.amount, d.order_id from d join o on o.shop_id = d.shop_id and o.period_start = d.period_start)
       ${figuresSql('x', 'settlement_id')}`,
      [new Date(now.getTime() + 1), shopIds, open.map((s) => s.id)],
    );
    const carries = await selectRows(
      em,
      rowShape({ shop_id: 'key', carried: 'number' }),
      `select distinct on (shop_id) shop_id, least(0, payable) as carried from settlement where shop_id in (?) and status = 'CLOSED' order by shop_id, period_start desc`,
      [shopIds],
    );
    const carried = new Map(carries.map((c) => [c.shop_id, c.carried]));
    const byId = new Map(rows.map((r) => [r.key, r]));
    for (const s of open) {
      const r = byId.get(s.id);
      const carriedOver = carried.get(s.shop.id) ?? 0;
      const net = r?.net ?? 0;
      figures.set(s.id, {
        gross: r?.gross ?? 0,
        commission: r?.commission ?? 0,
        refunds: r?.refunds ?? 0,
        adjustments: r?.adjustments ?? 0,
        net,
        carriedOver,
        payable: net + carriedOver,
        orderCount: r?.order_count ?? 0,
      });
    }
  }
  return figures;
}

/**
 * The ledger entries of one settlement as SQL (columns id, posting_id, kind, account, amount,
 * order_id, at) with its parameters: a CLOSED settlement's own entries; an OPEN one's, the shop's
 * entries that would close into it now (as its figures are computed).
 */
export function settlementEntriesSql(config: Config, now: Date, settlement: Settlement): { sql: string; params: unknown[] } {
  if (settlement.status === SettlementStatus.CLOSED) {
    return { sql: `select e.id, e.posting_id, e.kind, e.account, e.amount, e.order_id, e.at from ledger_entry e where e.settlement_id = ?`, params: [settlement.id] };
  }
  return {
    sql: `select le.id, le.posting_id, le.kind, le.account, le.amount, le.order_id, le.at
          from (${dueEntriesSql(config.settlementPeriod, 'and e.shop_id = ?')}) d
          join settlement s on s.id = ? and s.shop_id = d.shop_id and s.period_start = d.period_start
          join ledger_entry le on le.id = d.id`,
    params: [new Date(now.getTime() + 1), settlement.shop.id, settlement.id],
  };
}

/**
 * The shop's OPEN settlement of the current period, created when it has none (safe under races:
 * insert-if-absent on the shop and period start). Under CONTINUOUS the open period starts where the
 * last closed one ended (or now) and has no end yet.
 */
export async function openSettlement(em: EntityManager, config: Config, shopId: string, now: Date): Promise<Settlement> {
  const period = config.settlementPeriod;
  const existing = await entityWhere(em, Settlement, `e.shop_id = ? and e.status = 'OPEN' order by e.period_start desc limit 1`, [shopId]);
  if (existing && (period === 'CONTINUOUS' || !existing.periodEnd || existing.periodEnd > now)) return existing;
  // After the shop's last closed period, and never on a closed one's start (two closes in one millisecond).
  const afterClosed = `(select greatest(max(period_end), max(period_start) + interval '1 millisecond') from settlement where shop_id = ? and status = 'CLOSED')`;
  const start =
    period === 'CONTINUOUS'
      ? `coalesce(${afterClosed}, ?::timestamptz)`
      : `greatest(${periodStartSql(period, '?::timestamptz')}, coalesce(${afterClosed}, '-infinity'))`;
  const params = period === 'CONTINUOUS' ? [shopId, now] : [now, shopId];
  const end = period === 'CONTINUOUS' ? 'null::timestamptz' : `p.start + ${periodLength(period)}`;
  await em.execute(
    `insert into settlement (shop_id, period_start, period_end, status, created_at, updated_at)
     select ?, p.start, ${end}, 'OPEN', ?, ? from (select ${start} as start) p
     on conflict (shop_id, period_start) do nothing`,
    [shopId, now, now, ...params],
  );
  return (await entityWhere(em, Settlement, `e.shop_id = ? and e.status = 'OPEN' order by e.period_start desc limit 1`, [shopId]))!;
}

export interface AdjustSettlementInput {
  /** Database key. */
  shopId: string;
  /** Signed Decimal: positive is owed to the shop, negative charged to it. */
  amount: string;
  reason: string;
}

/**
 * Staff FINANCE: an adjustment of the shop's money, posted to the ledger now and settled in the
 * shop's OPEN settlement (which it returns). Audited.
 */
export async function adjustSettlement(ctx: Context, input: AdjustSettlementInput): Promise<Settlement> {
  const problems = new Problems();
  const amount = toMinor(input.amount, ctx.deps.config.currency, problems, ['input', 'amount'], { signed: true });
  if (amount === 0) problems.add(UserErrorCode.INVALID_INPUT, 'An adjustment of zero changes nothing', ['input', 'amount']);
  const reason = checkText(problems, input.reason, ['input', 'reason'], 1, 500, 'Reason');
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    // Beside any other adjustment, never during a close: the close then sees this one committed,
    // and the settlement returned is the one it lands in.
    await em.execute(`select pg_advisory_xact_lock_shared(hashtextextended('close-settlements', 0))`);
    const [shop] = await entitiesByIds(em, Shop, [input.shopId]);
    if (!shop) throw new Failure(UserErrorCode.SHOP_NOT_FOUND, 'No such shop', ['input', 'shopId']);
    const now = ctx.now();
    await postAdjustment(em, { shopId: shop.id, amount: amount!, at: now, memo: reason, actorId: ctx.viewer.userId! });
    const settlement = await openSettlement(em, ctx.deps.config, shop.id, now);
    recordAudit(ctx, em, { action: 'settlement.adjust', targetType: 'Shop', targetId: shop.id, after: { amountMinor: amount, reason, settlementId: settlement.id } });
    await em.flush();
    return settlement;
  });
}
