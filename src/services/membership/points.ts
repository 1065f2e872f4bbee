import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { lockKeys, rowShape, selectRows } from '../../db/rows';
import { PointsReason, User } from '../../entities';
import { currencyDigits } from '../shared/money';

/**
 * The points ledger (積分): append-only `points_entry` rows, one per user and `key` (a unique
 * index makes every posting idempotent: "earn:<order>", "redeem:<order>", "checkin:<day>" …). A
 * member's balance is Σ delta, read with an index-only scan, never stored, so the rows that add
 * points take no lock on anything shared. This module alone writes the table; the others call it.
 *
 * The balance never goes negative. Every posting that takes points away locks the member's `users`
 * row first (checkout holds it already; `lockUser`), reads the balance and takes at most that, so
 * two such postings for one member take turns; postings that add points cannot make it negative.
 *
 * Expiry is FIFO: points earned in a year expire at the end of the next calendar year in
 * Asia/Shanghai. Spending (redemptions, reversals) uses up the oldest points first, and a return
 * of redeemed points restores what the redemption had used — so what expires at an instant is
 * what is left of the points earned up to it: Σ earned expiring by then − Σ spent (less returns) −
 * Σ already expired, when positive.
 */

/** The zone of calendar days and years for membership (check-in days, expiry years, monthly grants). */
export const MEMBER_TIME_ZONE = 'Asia/Shanghai';

/** SQL: when points earned at the timestamp `expr` expire — the start of the year after next, Asia/Shanghai. */
export const EXPIRES_SQL = (expr: string) => `((date_trunc('year', (${expr}) at time zone '${MEMBER_TIME_ZONE}') + interval '2 years') at time zone '${MEMBER_TIME_ZONE}')`;

/**
 * Posts the entries a SELECT yields, in one statement: its columns are, in order, user_id, delta,
 * reason, order_id, key, expires_at, note, at, amount (the money concerned, or null). Rows with a zero delta, and rows whose (user, key)
 * is already posted, are skipped. Returns what was posted.
 */
export async function postPointsFrom(em: EntityManager, select: string, params: unknown[]): Promise<PostedPoints[]> {
  return selectRows(
    em,
    POSTED,
    `insert into points_entry (user_id, delta, reason, order_id, key, expires_at, note, at, amount)
     select * from (${select}) as s (user_id, delta, reason, order_id, key, expires_at, note, at, amount) where s.delta <> 0
     on conflict (user_id, key) do nothing
     returning id, user_id, delta, reason, order_id`,
    params,
  );
}

/** The most points one entry moves (the column is an int; a huge order earns this much). */
const MAX_POSTING = 1_000_000_000;

const POSTED = rowShape({ id: 'key', user_id: 'key', delta: 'int', reason: 'text', order_id: 'key?' });
export type PostedPoints = { id: string; user_id: string; delta: number; reason: string; order_id: string | null };

export interface PointsPosting {
  userId: string;
  delta: number;
  reason: PointsReason;
  key: string;
  at: Date;
  orderId?: string | null;
  /** Earned points expire (EXPIRES_SQL of `at`); spending and returns do not. */
  expires?: boolean;
  note?: string | null;
  /** The money concerned, minor units (a redemption's discount). */
  amount?: number | null;
}

/** Posts the given entries in one statement (see `postPointsFrom`). */
export async function postPoints(em: EntityManager, postings: PointsPosting[]): Promise<PostedPoints[]> {
  if (postings.length === 0) return [];
  return postPointsFrom(
    em,
    `select p.user_id, p.delta, p.reason, p.order_id, p.key, case when p.expires then ${EXPIRES_SQL('p.at')} end, p.note, p.at, p.amount
     from jsonb_to_recordset(?::jsonb) as p(user_id bigint, delta int, reason text, order_id bigint, key text, expires boolean, note text, at timestamptz, amount bigint)`,
    [
      JSON.stringify(
        postings.map((p) => ({
          user_id: p.userId,
          delta: p.delta,
          reason: p.reason,
          order_id: p.orderId ?? null,
          key: p.key,
          expires: !!p.expires,
          note: p.note ?? null,
          at: p.at.toISOString(),
          amount: p.amount ?? null,
        })),
      ),
    ],
  );
}

const BALANCES = rowShape({ user_id: 'key', balance: 'int' });

/** Members' balances, in one statement (0 for those without entries). */
export async function pointsBalances(em: EntityManager, userIds: readonly string[]): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const rows = await selectRows(em, BALANCES, 'select user_id, sum(delta)::int as balance from points_entry where user_id in (?) group by user_id', [[...userIds]]);
  return new Map(rows.map((r) => [r.user_id, r.balance]));
}

/** A member's balance: Σ of their entries (an index-only scan of `points_entry_user_idx`). */
export async function pointsBalance(em: EntityManager, userId: string): Promise<number> {
  return (await pointsBalances(em, [userId])).get(userId) ?? 0;
}

/**
 * Points → money at checkout: POINTS_PER_YUAN_DISCOUNT points take one major unit off. Returns the
 * discount in minor units, or null when the points do not make a whole number of minor units.
 */
export function pointsToMinor(points: number, config: Config): number | null {
  const perMajor = 10 ** currencyDigits(config.currency);
  const scaled = points * perMajor;
  return scaled % config.membership.pointsPerYuanDiscount === 0 ? scaled / config.membership.pointsPerYuanDiscount : null;
}

/** Minor units → the points that pay them (the inverse of `pointsToMinor`, rounded down). */
export function minorToPoints(minor: number, config: Config): number {
  const perMajor = 10 ** currencyDigits(config.currency);
  return Math.floor((minor * config.membership.pointsPerYuanDiscount) / perMajor);
}

/**
 * Records the points a checkout redeemed, one REDEEMED entry per order (`byOrder`: the order's key
 * and its points), in the caller's transaction. The caller holds the buyer's lock and has checked
 * the balance covers them.
 */
export async function recordRedemption(em: EntityManager, buyerId: string, byOrder: { orderId: string; number: string; points: number; discount: number }[], at: Date): Promise<void> {
  await postPoints(
    em,
    byOrder
      .filter((o) => o.points > 0)
      .map((o) => ({ userId: buyerId, delta: -o.points, reason: PointsReason.REDEEMED, key: `redeem:${o.orderId}`, orderId: o.orderId, at, note: `Order ${o.number}`, amount: o.discount })),
  );
}

/**
 * Gives back the points redeemed on orders cancelled before they shipped (an expired checkout, a
 * cancellation, a refund before shipment), once per order, in one statement, in the transaction
 * that cancels them. Returned points restore what the redemption had used, expiry included.
 */
export async function returnRedeemedPoints(em: EntityManager, orderIds: string[], at: Date): Promise<void> {
  if (orderIds.length === 0) return;
  await postPointsFrom(
    em,
    `select e.user_id, -e.delta, '${PointsReason.REDEEM_RETURNED}', e.order_id, 'return:' || e.order_id, null::timestamptz, e.note, ?::timestamptz, e.amount
     from points_entry e join orders o on o.id = e.order_id
     where e.order_id in (?) and e.reason = '${PointsReason.REDEEMED}' and o.shipped_at is null`,
    [at, orderIds],
  );
}

/**
 * The points orders earn as they complete, in one statement for the batch: for each order of a
 * buyer, floor(what was paid less what was refunded, in major units × POINTS_PER_YUAN × the
 * multiplier of the level the buyer holds now), expiring at the end of the next year. Call it in
 * the transaction that completes `orderIds`, before the levels they reach are applied.
 */
export async function earnOnCompletion(em: EntityManager, orderIds: string[], at: Date, config: Config): Promise<PostedPoints[]> {
  if (orderIds.length === 0 || config.membership.pointsPerYuan === 0) return [];
  const perMajor = 10 ** currencyDigits(config.currency);
  return postPointsFrom(
    em,
    `select o.buyer_id, least(greatest(o.total - coalesce(r.refunded, 0), 0) * ?::bigint * coalesce(l.points_multiplier_pct, 100) / (?::bigint * 100), ${MAX_POSTING})::int,
            '${PointsReason.ORDER_EARNED}', o.id, 'earn:' || o.id, ${EXPIRES_SQL('?::timestamptz')}, 'Order ' || o.number, ?::timestamptz,
            greatest(o.total - coalesce(r.refunded, 0), 0)
     from orders o
     left join (select order_id, sum(amount) as refunded from refund where order_id in (?) group by order_id) r on r.order_id = o.id
     left join member m on m.user_id = o.buyer_id
     -- The level held: the highest configured rank at or below the member's.
     left join lateral (select points_multiplier_pct from member_level where rank <= coalesce(m.level_rank, 0) order by rank desc limit 1) l on true
     where o.id in (?)`,
    [config.membership.pointsPerYuan, perMajor, at, at, orderIds, orderIds],
  );
}

/**
 * Takes back, in proportion, the points an order earned when it is refunded after it completed:
 * the reversals of an order add up to floor(earned × refunded since / what it earned on — the
 * entry's `amount`, what was paid less what had been refunded then), each refund once, never more
 * than the member holds. Locks the member first (see the module comment).
 */
export async function reverseOnRefund(em: EntityManager, orderId: string, refundId: string, at: Date): Promise<void> {
  const [earned] = await selectRows(em, rowShape({ user_id: 'key' }), `select user_id from points_entry where order_id = ? and reason = '${PointsReason.ORDER_EARNED}'`, [orderId]);
  if (!earned) return;
  await lockKeys(em, User, [earned.user_id]);
  await postPointsFrom(
    em,
    `with earn as (
       select e.user_id, e.delta as earned, e.amount as base from points_entry e where e.order_id = ? and e.reason = '${PointsReason.ORDER_EARNED}'
     ), since as (
       -- Refunded since the points were earned: all refunds less what had been refunded then.
       select greatest(coalesce(sum(r.amount), 0) - (o.total - earn.base), 0) as amount
       from orders o cross join earn left join refund r on r.order_id = o.id where o.id = ? group by o.total, earn.base
     ), done as (
       select coalesce(-sum(delta), 0) as reversed from points_entry where order_id = ? and reason = '${PointsReason.REFUND_REVERSED}'
     )
     select earn.user_id,
            -least(greatest(case when earn.base > 0 then (earn.earned::bigint * least(since.amount, earn.base) / earn.base)::int else earn.earned end - done.reversed, 0),
                   (select coalesce(sum(delta), 0) from points_entry where user_id = earn.user_id))::int,
            '${PointsReason.REFUND_REVERSED}', ?::bigint, 'reverse:' || ?::text, null::timestamptz, 'Refund of order ' || (select number from orders where id = ?), ?::timestamptz,
            (select amount from refund where id = ?)
     from earn, since, done`,
    [orderId, orderId, orderId, orderId, refundId, orderId, at, refundId],
  );
}
