import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import type { Context } from '../../context';
import { columnsOf, rowShape, selectRows, unmanaged } from '../../db/rows';
import { CheckIn, PointsReason } from '../../entities';
import { BadInputError, Failure, UserErrorCode } from '../../errors';
import { MEMBER_TIME_ZONE, pointsBalance, postPoints } from './points';

/**
 * Daily check-in (簽到): once per calendar day in Asia/Shanghai. A check-in the day after another
 * carries its streak on (+1), any other starts at 1. It earns CHECK_IN_POINTS plus, for every
 * configured bonus whose `days` divides the streak, that bonus (7:20 adds 20 on days 7, 14, 21 …).
 * The unique (user, day) decides a race: the insert that loses changes nothing.
 */

const DAYS = new Intl.DateTimeFormat('en-CA', { timeZone: MEMBER_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar day of `at` in Asia/Shanghai, YYYY-MM-DD. */
export function memberDay(at: Date): string {
  const parts = Object.fromEntries(DAYS.formatToParts(at).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/**
 * SQL: the current streak of the user `userExpr` on the day `dayExpr` (a date): today's check-in's,
 * else yesterday's, else 0. One probe of check_in_user_day_unique.
 */
export const STREAK_SQL = (userExpr: string, dayExpr: string) =>
  `coalesce((select c.streak from check_in c where c.user_id = ${userExpr} and c.day between ${dayExpr} - 1 and ${dayExpr} order by c.day desc limit 1), 0)`;

/** Checks the viewer in for today; ALREADY_CHECKED_IN when today's check-in exists (also when two arrive at once). */
export async function checkIn(ctx: Context): Promise<{ checkIn: CheckIn; points: number }> {
  const userId = ctx.viewer.userId!;
  const now = ctx.now();
  const day = memberDay(now);
  const { checkInPoints, checkInStreakBonuses } = ctx.deps.config.membership;
  return ctx.em.transactional(async (em) => {
    const [row] = await em.execute<Record<string, unknown>[]>(
      `insert into check_in (user_id, day, streak, points, at)
       select ?::bigint, ?::date, s.streak,
              ?::int + coalesce((select sum(b.points) from jsonb_to_recordset(?::jsonb) as b(days int, points int) where s.streak % b.days = 0), 0)::int,
              ?::timestamptz
       from (select coalesce((select streak from check_in where user_id = ? and day = ?::date - 1), 0) + 1 as streak) s
       on conflict (user_id, day) do nothing
       returning ${columnsOf(em, CheckIn, 'check_in')}`,
      [userId, day, checkInPoints, JSON.stringify(checkInStreakBonuses), now, userId, day],
    );
    if (!row) throw new Failure(UserErrorCode.ALREADY_CHECKED_IN, `You have already checked in today (${day}, ${MEMBER_TIME_ZONE})`);
    const entry = em.map(CheckIn, row as never);
    await postPoints(em, [
      { userId, delta: entry.points, reason: PointsReason.CHECK_IN, key: `checkin:${day}`, at: now, expires: true, note: `Check-in ${day}, day ${entry.streak} in a row` },
    ]);
    return { checkIn: entry, points: await pointsBalance(em, userId) };
  });
}

export const MAX_CHECK_IN_DAYS = 366;

/** The viewer's check-ins of the last `days` calendar days (today included), newest first: a calendar. */
export async function myCheckIns(ctx: Context, days = 30): Promise<CheckIn[]> {
  if (!Number.isInteger(days) || days < 1 || days > MAX_CHECK_IN_DAYS) throw new BadInputError(`\`days\` must be from 1 to ${MAX_CHECK_IN_DAYS}`, 'days');
  const rows = await ctx.em.execute<Record<string, unknown>[]>(
    `select ${columnsOf(ctx.em, CheckIn, 'e')} from check_in e where e.user_id = ? and e.day > ?::date - ?::int and e.day <= ?::date order by e.day desc`,
    [ctx.viewer.userId, memberDay(ctx.now()), days, memberDay(ctx.now())],
  );
  return rows.map((row) => unmanaged(ctx.em, CheckIn, row));
}

export interface CheckInStanding {
  /** Today's streak, else yesterday's, else 0. */
  streak: number;
  checkedInToday: boolean;
}

const STANDING = rowShape({ user_id: 'key', streak: 'int?', day: 'text?' });

/** The streak and today's check-in of each of `userIds` (one statement). */
export async function checkInStandings(em: EntityManager, userIds: readonly string[], now: Date): Promise<Map<string, CheckInStanding>> {
  const today = memberDay(now);
  const rows = await selectRows(
    em,
    STANDING,
    `select u.id as user_id, c.streak, c.day::text as day
     from users u
     left join lateral (select streak, day from check_in where user_id = u.id and day between ?::date - 1 and ?::date order by day desc limit 1) c on true
     where u.id in (?)`,
    [today, today, [...userIds]],
  );
  return new Map(rows.map((r) => [r.user_id, { streak: r.streak ?? 0, checkedInToday: r.day === today }]));
}

// One loader per request (keyed by its loaders object): a member's two check-in fields share one
// statement, and members resolved together share one.
const standingLoaders = new WeakMap<object, DataLoader<string, CheckInStanding>>();

/** A member's streak and whether they checked in today, batched per request. */
export function checkInStanding(ctx: Context, userId: string): Promise<CheckInStanding> {
  let loader = standingLoaders.get(ctx.loaders);
  if (!loader) {
    loader = new DataLoader(async (ids) => {
      const found = await checkInStandings(ctx.em, ids, ctx.now());
      return ids.map((id) => found.get(id) ?? { streak: 0, checkedInToday: false });
    });
    standingLoaders.set(ctx.loaders, loader);
  }
  return loader.load(userId);
}
