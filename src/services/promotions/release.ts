import type { EntityManager } from '@mikro-orm/postgresql';
import { lockKeys } from '../../db/rows';
import { Promotion, UserCoupon } from '../../entities';
import { returnRedeemedPoints } from '../membership/points';

/**
 * Gives back what orders cancelled before shipping had taken from points, promotions and coupons,
 * in set-based statements: the points they redeemed come back (membership's ledger); each
 * budgeted promotion's `spent` goes down by what it gave those of the orders that never shipped
 * (goods that left keep their discount: a refund returns what was paid),
 * and each coupon used on them is the buyer's again — AVAILABLE while still valid, else EXPIRED —
 * once every order it was used on is cancelled and none of them shipped (a platform coupon spread
 * over a checkout's orders comes back when the last of them is cancelled). Call it in the
 * transaction that cancels `orderIds` (flushed or not: they count as cancelled here).
 */
export async function releaseDiscounts(em: EntityManager, orderIds: string[], at: Date): Promise<void> {
  if (orderIds.length === 0) return;
  // Points redeemed on them come back (a posting that adds points: no lock).
  await returnRedeemedPoints(em, orderIds, at);
  // Promotions, then coupons, each locked in id order first (as checkouts spend budgets).
  await lockKeys(em, Promotion, {
    subquery: 'select d.promotion_id from order_discount d join promotion b on b.id = d.promotion_id where d.order_id in (?) and b.budget is not null',
    params: [orderIds],
  });
  await em.execute(
    `update promotion p set spent = greatest(p.spent - s.amount, 0), updated_at = now()
     from (select d.promotion_id, sum(d.amount) as amount from order_discount d join orders o on o.id = d.order_id
           where d.order_id in (?) and d.promotion_id is not null and o.shipped_at is null group by d.promotion_id) s
     where p.id = s.promotion_id and p.budget is not null`,
    [orderIds],
  );
  // The coupons first, in id order, in a statement of their own: two orders of one platform coupon
  // cancelled at once take turns, and the second's update sees the first's cancellation.
  const coupons = await lockKeys(em, UserCoupon, {
    subquery: "select d.user_coupon_id from order_discount d where d.order_id in (?) and d.user_coupon_id is not null",
    params: [orderIds],
  });
  if (coupons.length === 0) return;
  await em.execute(
    `update user_coupon uc
     set status = case when uc.valid_until > ? then 'AVAILABLE' else 'EXPIRED' end, used_at = null, checkout_id = null, updated_at = now()
     where uc.status = 'USED'
       and uc.id in (?)
       and not exists (
         select 1 from order_discount d join orders o on o.id = d.order_id
         where d.user_coupon_id = uc.id and ((o.status <> 'CANCELLED' and o.id not in (?)) or o.shipped_at is not null)
       )`,
    [at, coupons, orderIds],
  );
}
