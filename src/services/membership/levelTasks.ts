import type { EntityManager } from '@mikro-orm/postgresql';
import type { SystemDeps } from '../../context';
import { rowShape, selectRows } from '../../db/rows';
import { grantCampaignCouponsFrom } from '../promotions';
import { memberDay } from './checkIn';
import { SPEND_SQL, windowStart } from './standing';

/**
 * The member levels' periodic work: the review that moves members to the level their spend now
 * reaches (down as well as up; completions only ever move them up), and the levels' monthly
 * coupons. Both are set-based and idempotent.
 */

const COUNT = rowShape({ n: 'int' });

/**
 * `recompute-levels` (the periodic review): every member's level becomes the highest rank whose
 * `minSpend` their spend over the window now reaches, in one statement — members whose spend fell
 * move down, anyone whose spend reached a higher rank moves up (a `member` row is made for a user
 * who reaches rank 1 or more without one). `level_since` changes only with the rank. A member
 * whose level changed within the hour before the run (an order completing meanwhile: its batch
 * stamps its own clock, and this run may not see its spend) is not moved down until the next review. Rows are written in user order, as every batch of
 * member rows should be, so runs and completions never deadlock. Returns how many moved; a second
 * run moves none.
 */
export async function recomputeLevels(deps: SystemDeps, em: EntityManager): Promise<number> {
  const now = deps.clock.now();
  const [row] = await selectRows(
    em,
    COUNT,
    `with spend as (${SPEND_SQL('true')}),
     target as (
       select u.user_id, (select max(l.rank) from member_level l where l.min_spend <= coalesce(s.spend, 0)) as rank
       from (select user_id from member union select user_id from spend) u
       left join spend s on s.user_id = u.user_id
     ),
     moved as (
       insert into member (user_id, level_rank, level_since)
       select t.user_id, t.rank, ?::timestamptz
       from target t left join member m on m.user_id = t.user_id
       where t.rank is not null and (case when m.user_id is null then t.rank > 0 else m.level_rank <> t.rank end)
       order by t.user_id
       on conflict (user_id) do update set level_rank = excluded.level_rank, level_since = excluded.level_since
         where member.level_rank < excluded.level_rank or (member.level_rank > excluded.level_rank and member.level_since < excluded.level_since - interval '1 hour')
       returning 1
     )
     select count(*)::int as n from moved`,
    [windowStart(now, deps.config), now],
  );
  return row.n;
}

/** 'YYYY-MM' of `at` in the membership time zone (Asia/Shanghai): its calendar day's month. */
export function memberMonth(at: Date): string {
  return memberDay(at).slice(0, 7);
}

const LEVEL_CAMPAIGN = rowShape({ rank: 'int', campaign_id: 'key' });

/**
 * `grant-member-coupons`: each level with a `monthlyCouponCampaign` grants every member holding
 * exactly that level one coupon of it per calendar month (Asia/Shanghai), under the grant key
 * 'level:<rank>:<YYYY-MM>', while the campaign is claimable and has coupons left
 * (`grantCampaignCouponsFrom`: the campaign locked, at most what is left taken, members in user
 * order, each key granted once). One transaction, the campaigns taken in id order; two statements
 * per level with a campaign. Grants ignore `perUserLimit`, which limits claims (and counts granted
 * coupons). Returns how many were granted; a second run in the same month grants none.
 */
export async function grantMemberCoupons(deps: SystemDeps, em: EntityManager): Promise<number> {
  const now = deps.clock.now();
  const month = memberMonth(now);
  return em.transactional(async (tx) => {
    const levels = await selectRows(tx, LEVEL_CAMPAIGN, 'select rank, monthly_coupon_campaign_id as campaign_id from member_level where monthly_coupon_campaign_id is not null order by monthly_coupon_campaign_id, rank');
    let granted = 0;
    for (const level of levels) {
      const users = await grantCampaignCouponsFrom(tx, level.campaign_id, `select m.user_id, ?::text as grant_key from member m where m.level_rank = ?`, [`level:${level.rank}:${month}`, level.rank], now);
      granted += users.length;
    }
    return granted;
  });
}
