import type { EntityManager } from '@mikro-orm/postgresql';
import type { SystemDeps } from '../../context';
import { lockKeys, rowShape, selectRows } from '../../db/rows';
import { PointsReason, User } from '../../entities';
import { MEMBER_TIME_ZONE, postPointsFrom } from './points';

/**
 * `expire-points`: FIFO expiry (see points.ts). One pass finds the members who are due: earned
 * points expired since the last instant taken for them (`member.points_expired_through`), or
 * redeemed points returned since it last looked at them (a return restores the points the
 * redemption had used, which may have expired meanwhile). Then, in batches in key order, each batch
 * locks its members (checkout's redemption locks the buyer the same way, so the two take turns),
 * one statement posts each one's EXPIRED entry — what is left of everything earned that has expired,
 * after spending (less returns) and earlier expiries — keyed by the instant and the running total
 * expired, and one records the instant reached and the time looked. A member is looked at once a
 * run; a second run posts nothing (it may look again, for an hour, at members who had points
 * returned: see below).
 */

const STEP = rowShape({ user_id: 'key' });

export async function expirePoints(deps: SystemDeps, em: EntityManager, batch = 2000): Promise<number> {
  const runStart = deps.clock.now();
  // Who is due, found once for the run in one pass (a member who becomes due meanwhile waits for the
  // next run; one found who is no longer due has nothing to expire): members with earned points
  // expired since the last instant taken, and members with expired points who had points returned
  // since last looked at (a return restores what it had used), each looked at once a run.
  const due = await selectRows(
    em.fork(),
    STEP,
    `select e.user_id from points_entry e left join member m on m.user_id = e.user_id
     where e.expires_at is not null and e.expires_at <= ? and e.delta > 0 and e.expires_at > coalesce(m.points_expired_through, '-infinity')
     union
     select e.user_id from points_entry e join member m on m.user_id = e.user_id
     where e.reason = '${PointsReason.REDEEM_RETURNED}' and e.at <= ? and m.points_expired_through is not null
       -- An hour's overlap: a return committed after the last look but stamped before it is still
       -- seen (looking again at one already counted finds nothing more to expire).
       and e.at >= m.points_checked_at - interval '1 hour' and m.points_checked_at < ?
     order by user_id`,
    [runStart, runStart, runStart],
  );
  let expired = 0;
  for (let i = 0; i < due.length; i += batch) {
    const chunk = due.slice(i, i + batch).map((r) => r.user_id);
    expired += await em.fork().transactional(async (tx) => {
      const now = deps.clock.now();
      const users = await lockKeys(tx, User, chunk);
      if (users.length === 0) return 0;
      const rows = await postPointsFrom(
        tx,
        `select s.user_id, -greatest(s.earned - s.spent - s.expired, 0)::int, '${PointsReason.EXPIRED}', null::bigint,
                'expire:' || to_char(s.through at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ':' || (s.expired + greatest(s.earned - s.spent - s.expired, 0)), null::timestamptz, 'Earned by ' || to_char(s.through at time zone '${MEMBER_TIME_ZONE}', 'YYYY-MM-DD'), ?::timestamptz, null::bigint
         from (
           select e.user_id,
                  max(e.expires_at) filter (where e.delta > 0 and e.expires_at <= ?) as through,
                  coalesce(sum(e.delta) filter (where e.delta > 0 and e.expires_at <= ?), 0) as earned,
                  coalesce(sum(-e.delta) filter (where e.delta < 0 and e.reason <> '${PointsReason.EXPIRED}'), 0)
                    - coalesce(sum(e.delta) filter (where e.reason = '${PointsReason.REDEEM_RETURNED}'), 0) as spent,
                  coalesce(sum(-e.delta) filter (where e.reason = '${PointsReason.EXPIRED}'), 0) as expired
           from points_entry e where e.user_id in (?) group by e.user_id
         ) s`,
        [now, now, now, users],
      );
      await selectRows(
        tx,
        STEP,
        // In user order, as every writer of member rows goes. A new row holds rank 0 since the user joined.
        `insert into member (user_id, level_since, points_expired_through, points_checked_at)
         select e.user_id, min(u.created_at), max(e.expires_at), ?::timestamptz from points_entry e join users u on u.id = e.user_id
         where e.user_id in (?) and e.delta > 0 and e.expires_at <= ? group by e.user_id order by e.user_id
         on conflict (user_id) do update set points_expired_through = excluded.points_expired_through, points_checked_at = excluded.points_checked_at
         returning user_id`,
        [now, users, now],
      );
      return rows.length;
    });
  }
  return expired;
}
