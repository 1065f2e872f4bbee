import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { rowShape, selectRows } from '../../db/rows';
import type { MemberShipping } from '../promotions/pricing';

/**
 * A member's standing: the level held (`member.level_rank`, 0 without a row) and the spend that
 * decides it — what their COMPLETED orders of the last LEVEL_WINDOW_DAYS paid, less refunds. Levels
 * go up at once when an order completes (`upgradeOnCompletion`, in the completing transaction) and
 * down only at the periodic review (`recompute-levels`).
 */

const DAY = 86_400_000;

/**
 * SQL: each buyer's spend, `user_id` and `spend`, over completed orders after the first parameter
 * (the window's start), for the buyers `buyerFilter` selects (a condition on `o.buyer_id`, its
 * parameters after the window's start).
 */
export const SPEND_SQL = (buyerFilter: string) => `
  select o.buyer_id as user_id, sum(greatest(o.total - coalesce((select sum(r.amount) from refund r where r.order_id = o.id), 0), 0))::bigint as spend
  from orders o
  where o.status = 'COMPLETED' and o.completed_at > ? and ${buyerFilter}
  group by o.buyer_id`;

export function windowStart(now: Date, config: Config): Date {
  return new Date(now.getTime() - config.membership.levelWindowDays * DAY);
}

const STANDING = rowShape({ user_id: 'key', rank: 'int', level_since: 'date?', spend: 'number' });

export interface Standing {
  rank: number;
  levelSince: Date | null;
  spend: number;
}

/** The level rank each user holds and their spend in the window now, in one statement for them all. */
export async function memberStandings(em: EntityManager, userIds: readonly string[], now: Date, config: Config): Promise<Map<string, Standing>> {
  if (userIds.length === 0) return new Map();
  const rows = await selectRows(
    em,
    STANDING,
    `select u.id as user_id, coalesce(m.level_rank, 0) as rank, m.level_since, coalesce(s.spend, 0) as spend
     from users u
     left join member m on m.user_id = u.id
     left join (${SPEND_SQL('o.buyer_id in (?)')}) s on s.user_id = u.id
     where u.id in (?)`,
    [windowStart(now, config), [...userIds], [...userIds]],
  );
  return new Map(rows.map((r) => [r.user_id, { rank: r.rank, levelSince: r.level_since, spend: r.spend }]));
}

const SHIPPING = rowShape({ threshold: 'number?', name: 'text' });

/** The free shipping of the level `userId` holds, if it has one (one statement). */
export async function memberShippingOf(em: EntityManager, userId: string): Promise<MemberShipping | null> {
  const [row] = await selectRows(
    em,
    SHIPPING,
    `select l.free_shipping_threshold as threshold, l.name from member_level l
     where l.rank <= coalesce((select level_rank from member where user_id = ?), 0)
     order by l.rank desc limit 1`,
    [userId],
  );
  return row && row.threshold !== null ? { threshold: row.threshold, title: `${row.name}: free shipping` } : null;
}

const CHANGED = rowShape({ user_id: 'key', level_rank: 'int' });

/**
 * Moves the buyers of `orderIds` up to the highest level their spend reaches now, never down, in
 * one statement (an upsert of their `member` rows). Call it in the transaction that completes the
 * orders, after they count as COMPLETED. Returns the members moved.
 */
export async function upgradeOnCompletion(em: EntityManager, orderIds: string[], at: Date, config: Config): Promise<{ userId: string; rank: number }[]> {
  if (orderIds.length === 0) return [];
  const rows = await selectRows(
    em,
    CHANGED,
    `insert into member (user_id, level_rank, level_since)
     select s.user_id, l.rank, ?::timestamptz
     from (${SPEND_SQL('o.buyer_id in (select buyer_id from orders where id in (?))')}) s
     cross join lateral (select max(rank) as rank from member_level where min_spend <= s.spend) l
     where l.rank > 0
     -- In user order, as every writer of member rows goes: concurrent batches never deadlock.
     order by s.user_id
     on conflict (user_id) do update set level_rank = excluded.level_rank, level_since = excluded.level_since
       where member.level_rank < excluded.level_rank
     returning user_id, level_rank`,
    [at, windowStart(at, config), orderIds],
  );
  return rows.map((r) => ({ userId: r.user_id, rank: r.level_rank }));
}
