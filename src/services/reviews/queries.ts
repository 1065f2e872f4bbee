import type { Context } from '../../context';
import { keysetClause, type Page, page, type PageArgs, pageWindow, type SortKey, type SortValue, type CursorKind } from '../../db/keyset';
import { columnsOf, entitiesWhere, unmanaged } from '../../db/rows';
import { OrderLine, Review, ReviewStatus } from '../../entities';
import { BadInputError, ForbiddenError, NotFoundError } from '../../errors';
import { visibleProduct } from '../catalog';
import { visibleShop } from '../onboarding';
import { REVIEW_STAFF } from '../shared';
import { canSeeReview } from './reviews';

/**
 * The review lists. The public ones show PUBLISHED reviews of a product or a shop, each served by a
 * partial index of `review` (newest, most helpful, by stars, with photos, featured); a page is one
 * statement, its total one more when asked.
 */

export type ReviewSortKey = 'NEWEST' | 'HELPFUL';

export interface ReviewFilterInput {
  rating?: number | null;
  withPhotos?: boolean | null;
  featured?: boolean | null;
}

interface SortSpec {
  keys: SortKey[];
  kinds: CursorKind[];
  keyOf: (r: Review) => SortValue[];
}

const SORTS: Record<ReviewSortKey, SortSpec> = {
  NEWEST: { keys: [{ column: 'e.id', direction: 'desc' }], kinds: ['id'], keyOf: (r) => [r.id] },
  HELPFUL: {
    keys: [{ column: 'e.helpful_count', direction: 'desc' }, { column: 'e.id', direction: 'desc' }],
    kinds: ['int', 'id'],
    keyOf: (r) => [r.helpfulCount, r.id],
  },
};

/**
 * The reviewer's display name of reviews read by a list, fetched in the list's own statement so a
 * page of reviews needs no user rows (see `reviewerDisplayName`).
 */
const listedNames = new WeakMap<Review, string>();

/** The reviewer's display name: at once from the list that read the review, else by one batched user load. */
export function reviewerDisplayName(ctx: Context, review: Review): string | Promise<string> {
  return listedNames.get(review) ?? ctx.loaders.userById.load(review.buyer.id).then((user) => user?.displayName ?? '');
}

/**
 * Pages `review` rows (alias `e`) matching `where`, in `sort` order, with their reviewers' names:
 * one statement. `total` answers `totalCount` when the caller knows it without counting.
 */
async function pageReviews(ctx: Context, where: string[], params: unknown[], sort: SortSpec, args: PageArgs, total?: () => Promise<number>): Promise<Page<Review>> {
  const window = pageWindow(args, sort.kinds);
  const keyset = keysetClause(sort.keys, window);
  const clauses = keyset.where ? [...where, keyset.where.sql] : where;
  const order = Object.entries(keyset.orderBy).map(([c, d]) => `${c} ${d}`).join(', ');
  const rows = await ctx.em.execute<Record<string, unknown>[]>(
    `select ${columnsOf(ctx.em, Review, 'e')}, (select u.display_name from users u where u.id = e.buyer_id) as reviewer_display_name
     from review e where ${clauses.join(' and ')} order by ${order} limit ?`,
    [...params, ...(keyset.where?.params ?? []), window.limit],
  );
  // Rendered only: unmanaged instances, no identity map (a page of managed reviews costs ~1.5 ms of CPU).
  const reviews = rows.map((row) => {
    const review = unmanaged(ctx.em, Review, row);
    listedNames.set(review, String(row.reviewer_display_name ?? ''));
    return review;
  });
  return page(reviews, window, sort.keyOf, total ?? (async () => {
    const [row] = await ctx.em.execute<{ n: number }[]>(`select count(*)::int as n from review e where ${where.join(' and ')}`, params);
    return row.n;
  }));
}

/** The public filters over published reviews. */
function publicWhere(column: 'product_id' | 'shop_id', key: string, filter: ReviewFilterInput | null | undefined): { where: string[]; params: unknown[] } {
  const where = [`e.${column} = ?`, `e.status = '${ReviewStatus.PUBLISHED}'`];
  const params: unknown[] = [key];
  if (filter?.rating != null) {
    if (!Number.isInteger(filter.rating) || filter.rating < 1 || filter.rating > 5) throw new BadInputError('`filter.rating` is 1 to 5', 'filter.rating');
    where.push('e.rating = ?');
    params.push(filter.rating);
  }
  if (filter?.withPhotos != null) where.push(filter.withPhotos ? 'e.with_photos' : 'not e.with_photos');
  if (filter?.featured != null) where.push(filter.featured ? 'e.featured' : 'not e.featured');
  return { where, params };
}

export interface ReviewListArgs extends PageArgs {
  filter?: ReviewFilterInput | null;
  sort?: ReviewSortKey | null;
}

/** A product's published reviews (anyone who may see the product; another is NOT_FOUND). */
export async function productReviews(ctx: Context, productId: string, args: ReviewListArgs): Promise<Page<Review>> {
  const product = await visibleProduct(ctx, productId);
  if (!product) throw new NotFoundError('No such product');
  const { where, params } = publicWhere('product_id', productId, args.filter);
  // Unfiltered, the total is the product's rating count: the published reviews, kept on write.
  const unfiltered = args.filter?.rating == null && args.filter?.withPhotos == null && args.filter?.featured == null;
  return pageReviews(ctx, where, params, SORTS[args.sort ?? 'NEWEST'], args, unfiltered ? async () => product.ratingCount : undefined);
}

/** A shop's published reviews (anyone who may see the shop; another is NOT_FOUND). */
export async function shopReviews(ctx: Context, shopId: string, args: ReviewListArgs): Promise<Page<Review>> {
  if (!(await visibleShop(ctx, shopId))) throw new NotFoundError('No such shop');
  const { where, params } = publicWhere('shop_id', shopId, args.filter);
  return pageReviews(ctx, where, params, SORTS[args.sort ?? 'NEWEST'], args);
}

/** The viewer's own reviews in every status, newest first. */
export function myReviews(ctx: Context, args: PageArgs): Promise<Page<Review>> {
  return pageReviews(ctx, ['e.buyer_id = ?'], [ctx.viewer.userId], SORTS.NEWEST, args);
}

const QUEUE: SortSpec = {
  // Reported reviews first, then the held ones; oldest first within each.
  keys: [{ column: '(case when e.open_reports > 0 then 0 else 1 end)', direction: 'asc' }, { column: 'e.id', direction: 'asc' }],
  kinds: ['int', 'id'],
  keyOf: (r) => [r.openReports > 0 ? 0 : 1, r.id],
};

/** The moderation queue (staff OPERATIONS): reviews with held text or open reports, reported ones first. */
export function reviewsForModeration(ctx: Context, args: PageArgs): Promise<Page<Review>> {
  if (!ctx.viewer.hasStaffRole(...REVIEW_STAFF)) throw new ForbiddenError();
  return pageReviews(ctx, ['e.queued'], [], QUEUE, args);
}

/** One review by key, or null when the viewer may not see it (`node(id)`). */
export async function visibleReview(ctx: Context, key: string): Promise<Review | null> {
  const review = await ctx.loaders.reviewById.load(key);
  return review && canSeeReview(ctx, review) ? review : null;
}

const PENDING_LIMIT = 100;

/**
 * The viewer's lines they may still review: of DELIVERED or COMPLETED orders delivered within the
 * window, not gifts, without a review; the most recently delivered first, at most 100.
 */
export function myPendingReviews(ctx: Context): Promise<OrderLine[]> {
  const since = new Date(ctx.now().getTime() - ctx.deps.config.reviews.windowDays * 86_400_000);
  return entitiesWhere(
    ctx.em,
    OrderLine,
    `not e.gift and not exists (select 1 from review r where r.order_line_id = e.id)
     and e.order_id in (select o.id from orders o where o.buyer_id = ? and o.status in ('DELIVERED', 'COMPLETED') and o.delivered_at >= ?)
     order by (select o.delivered_at from orders o where o.id = e.order_id) desc, e.order_id desc, e.id limit ?`,
    [ctx.viewer.userId, since, PENDING_LIMIT],
  );
}

/** The review of `line`, for the order's buyer only (a shop must not unmask an anonymous review through its order). */
export async function reviewOfLine(ctx: Context, line: OrderLine): Promise<Review | null> {
  const order = await ctx.loaders.orderById.load(line.order.id);
  if (!order || order.buyer.id !== ctx.viewer.userId) return null;
  return ctx.loaders.reviewByOrderLineId.load(line.id);
}
