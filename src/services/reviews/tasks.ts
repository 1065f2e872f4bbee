import type { EntityManager } from '@mikro-orm/postgresql';
import type { SystemDeps } from '../../context';
import { rowShape, selectRows } from '../../db/rows';
import { ReviewStatus } from '../../entities';

/**
 * The review window's two periodic jobs, each one set-based statement per batch: `invite-reviews`
 * records an invitation for every delivered line that may still be reviewed (a notifier delivers
 * the pending ones), and `default-reviews` leaves the platform's default rating
 * (REVIEW_DEFAULT_RATING) on the lines whose window ended without a review, adding it to the
 * ratings in the same statement.
 */

const DAY = 86_400_000;
const BATCH = 5000;
/** How far back `default-reviews` catches up on windows that ended while it did not run. */
export const DEFAULT_REVIEW_CATCH_UP_DAYS = 7;

/**
 * The lines of delivered orders, not gifts, without a review, delivered in (from, to], and not
 * refunded through an after-sale case: a buyer who sent the item back is not asked to review it,
 * nor does it get the platform's default rating (they may still review it themselves).
 */
const REVIEWABLE = `from orders o join order_line l on l.order_id = o.id
  where o.delivered_at > ? and o.delivered_at <= ? and o.status in ('DELIVERED', 'COMPLETED')
    and not l.gift and not exists (select 1 from review r where r.order_line_id = l.id)
    and not exists (select 1 from after_sale_case_line cl join after_sale_case c on c.id = cl.case_id
                    where cl.order_line_id = l.id and cl.counts and c.outcome = 'REFUNDED')`;

/** `invite-reviews`: one invitation per line delivered within the window and not reviewed yet. */
export async function inviteReviews(deps: SystemDeps, em: EntityManager): Promise<number> {
  const now = deps.clock.now();
  const window = deps.config.reviews.windowDays * DAY;
  const rows = await selectRows(
    em,
    rowShape({ n: 'int' }),
    `with invited as (
       insert into review_invitation (order_line_id, buyer_id, invited_at, due_at)
       select l.id, o.buyer_id, ?, o.delivered_at + make_interval(days => ?) ${REVIEWABLE}
       on conflict (order_line_id) do nothing returning 1)
     select count(*)::int as n from invited`,
    [now, deps.config.reviews.windowDays, new Date(now.getTime() - window), now],
  );
  return rows[0].n;
}

/**
 * `default-reviews`: when REVIEW_DEFAULT_RATING is set, a PUBLISHED automatic review of that many
 * stars for each line whose window ended (in the last DEFAULT_REVIEW_CATCH_UP_DAYS) without one,
 * and its stars added to the products' and shops' ratings, in batches of 5,000 lines per statement.
 */
export async function leaveDefaultReviews(deps: SystemDeps, em: EntityManager): Promise<number> {
  const rating = deps.config.reviews.defaultRating;
  if (rating === null) return 0;
  const now = deps.clock.now();
  const windowEnd = new Date(now.getTime() - deps.config.reviews.windowDays * DAY);
  const since = new Date(windowEnd.getTime() - DEFAULT_REVIEW_CATCH_UP_DAYS * DAY);
  const tally = (column: string) => `select ${column} as id, count(*)::int as n from added group by ${column}`;
  let done = 0;
  for (;;) {
    const [row] = await selectRows(
      em,
      rowShape({ n: 'int' }),
      `with due as (select l.id as line_id, o.id as order_id, l.product_id, o.shop_id, o.buyer_id, l.variant_title ${REVIEWABLE} limit ?),
       added as (
         insert into review (order_line_id, order_id, product_id, shop_id, buyer_id, variant_title, rating, status, automatic, created_at, updated_at)
         select line_id, order_id, product_id, shop_id, buyer_id, variant_title, ?, '${ReviewStatus.PUBLISHED}', true, ?, ? from due
         on conflict (order_line_id) do nothing returning product_id, shop_id),
       products as (
         update product p set rating_count = rating_count + t.n, rating_sum = rating_sum + t.n * ?, rating_distribution[?] = rating_distribution[?] + t.n
         from (${tally('product_id')}) t where p.id = t.id returning 1),
       shops as (
         update shop s set rating_count = rating_count + t.n, rating_sum = rating_sum + t.n * ?, rating_distribution[?] = rating_distribution[?] + t.n
         from (${tally('shop_id')}) t where s.id = t.id returning 1)
       select count(*)::int as n from added`,
      [since, windowEnd, BATCH, rating, now, now, rating, rating, rating, rating, rating, rating],
    );
    done += row.n;
    if (row.n < BATCH) return done;
  }
}
