import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { lockById } from '../../db/rows';
import { ModerationDecision, Order, OrderLine, OrderStatus, Product, Review, ReviewFlag, ReviewReport, ReviewStatus, Shop, User } from '../../entities';
import { Failure, ForbiddenError, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { recordAudit } from '../platform';
import { checkText, isHttpUrl, MAX_ATTACHMENTS, REVIEW_REPLY_ROLES, REVIEW_STAFF } from '../shared';
import { applyRating, contributionOf } from './ratings';
import { screen } from './screening';

/**
 * Buyer reviews (評價, 買家秀, 追評), the shop's reply, reports and moderation. A buyer reviews a
 * line of a DELIVERED or COMPLETED order of theirs, once, within REVIEW_WINDOW_DAYS of delivery;
 * adds one follow-up within REVIEW_FOLLOW_UP_DAYS of delivery. Text with a blocked word, a phone
 * number or a URL is held for staff OPERATIONS (screening.ts). Ratings follow every move in or out
 * of PUBLISHED (ratings.ts), in the same transaction, under the review's row lock.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** How long the shop may change its reply after first giving it. */
export const REPLY_EDIT_HOURS = 24;

export interface AspectsInput {
  description: number;
  service: number;
  logistics: number;
}

export interface CreateReviewInput {
  /** Database key. */
  orderLineId: string;
  rating: number;
  body?: string | null;
  photoUrls?: string[] | null;
  anonymous?: boolean | null;
  aspects?: AspectsInput | null;
}

function checkStars(problems: Problems, value: number, path: string[], label: string): void {
  if (!Number.isInteger(value) || value < 1 || value > 5) problems.add(UserErrorCode.INVALID_INPUT, `${label} is 1 to 5 stars`, path);
}

/** Photos of a review or follow-up: at most 9, each an https URL (a buyer show is shown on https pages). */
export function checkPhotoUrls(problems: Problems, urls: readonly string[] | null | undefined, field: string): string[] {
  const list = (urls ?? []).map((u) => u.trim());
  if (list.length > MAX_ATTACHMENTS) problems.add(UserErrorCode.INVALID_INPUT, `At most ${MAX_ATTACHMENTS} photos`, ['input', field]);
  list.forEach((url, i) => {
    if (!isHttpUrl(url) || !url.startsWith('https://')) problems.add(UserErrorCode.INVALID_INPUT, 'A photo must be an https URL of at most 2048 characters', ['input', field, String(i)]);
  });
  return list;
}

/** An optional text: null when absent or blank, else checked for 1 to `max` characters. */
function optionalText(problems: Problems, value: string | null | undefined, path: string[], max: number, label: string): string | null {
  if (value == null || value.trim() === '') return null;
  return checkText(problems, value, path, 1, max, label);
}

const notEligible = (message: string, field = 'orderLineId') => new Failure(UserErrorCode.NOT_ELIGIBLE, message, ['input', field]);

/** The window's end for a line of `order`, or null when the order is not (or no longer) delivered. */
export function reviewDeadline(ctx: Context, order: Order): Date | null {
  if ((order.status !== OrderStatus.DELIVERED && order.status !== OrderStatus.COMPLETED) || !order.deliveredAt) return null;
  return new Date(order.deliveredAt.getTime() + ctx.deps.config.reviews.windowDays * DAY);
}

/** Whether the review sits in the moderation queue: what the generated `queued` column says once written. */
function isQueued(review: Review): boolean {
  return review.status === ReviewStatus.PENDING_MODERATION || review.followUpHeld || review.replyHeld || review.openReports > 0;
}

function addFlags(review: Review, flags: ReviewFlag[]): void {
  review.flags = [...new Set([...review.flags, ...flags])];
}

/**
 * The buyer reviews one of their delivered lines. Another buyer's line does not exist for them
 * (NOT_FOUND); an undelivered line, a gift, a cancelled order or a window passed is NOT_ELIGIBLE;
 * a second review ALREADY_REVIEWED (also when two arrive at once: the unique line decides).
 */
export async function createReview(ctx: Context, input: CreateReviewInput): Promise<Review> {
  const problems = new Problems();
  checkStars(problems, input.rating, ['input', 'rating'], 'The rating');
  if (input.aspects) {
    checkStars(problems, input.aspects.description, ['input', 'aspects', 'description'], 'The description rating');
    checkStars(problems, input.aspects.service, ['input', 'aspects', 'service'], 'The service rating');
    checkStars(problems, input.aspects.logistics, ['input', 'aspects', 'logistics'], 'The logistics rating');
  }
  const body = optionalText(problems, input.body, ['input', 'body'], 2000, 'The review');
  const photoUrls = checkPhotoUrls(problems, input.photoUrls, 'photoUrls');
  problems.throwIfAny();

  const line = await ctx.em.findOne(OrderLine, input.orderLineId, { populate: ['order'] });
  if (!line || line.order.buyer.id !== ctx.viewer.userId) throw new NotFoundError('No such order line');
  const deadline = reviewDeadline(ctx, line.order);
  if (!deadline) throw notEligible('The order is not delivered (or was cancelled): only delivered items can be reviewed');
  if (line.gift) throw notEligible('Gifts are not reviewed');
  if (ctx.now().getTime() > deadline.getTime()) throw notEligible(`The review window closed on ${deadline.toISOString()}`);
  if (await ctx.em.count(Review, { orderLine: line.id })) throw new Failure(UserErrorCode.ALREADY_REVIEWED, 'You already reviewed this item', ['input', 'orderLineId']);

  try {
    return await ctx.em.transactional(async (em) => {
      const flags = await screen(em, body);
      const now = ctx.now();
      const review = em.create(Review, {
        orderLine: line.id,
        order: line.order.id,
        product: em.getReference(Product, line.productId),
        shop: em.getReference(Shop, line.order.shop.id),
        buyer: em.getReference(User, ctx.viewer.userId!),
        variantTitle: line.variantTitle,
        rating: input.rating,
        aspectDescription: input.aspects?.description ?? null,
        aspectService: input.aspects?.service ?? null,
        aspectLogistics: input.aspects?.logistics ?? null,
        body,
        photoUrls,
        anonymous: input.anonymous ?? false,
        status: flags.length > 0 ? ReviewStatus.PENDING_MODERATION : ReviewStatus.PUBLISHED,
        flags,
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      if (review.status === ReviewStatus.PUBLISHED) await applyRating(em, contributionOf(review), 1);
      // Reviewed: no invitation is left to deliver.
      await em.execute('delete from review_invitation where order_line_id = ?', [line.id]);
      return review;
    });
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw new Failure(UserErrorCode.ALREADY_REVIEWED, 'You already reviewed this item', ['input', 'orderLineId']);
    throw err;
  }
}

/** Runs `act` on the review with key `reviewId`, locked for the transaction; an absent one is NOT_FOUND. */
function withReview<T>(ctx: Context, reviewId: string, act: (em: EntityManager, review: Review) => Promise<T>): Promise<T> {
  return ctx.em.transactional(async (em) => {
    const review = await lockById(em, Review, reviewId);
    if (!review) throw new NotFoundError('No such review');
    return act(em, review);
  });
}

/** Whether the viewer may see `review` at all: published, or theirs, or review staff. */
export function canSeeReview(ctx: Context, review: Review): boolean {
  return review.status === ReviewStatus.PUBLISHED || review.buyer.id === ctx.viewer.userId || ctx.viewer.hasStaffRole(...REVIEW_STAFF);
}

export interface FollowUpInput {
  reviewId: string;
  body: string;
  photoUrls?: string[] | null;
}

/** The buyer adds the one follow-up (追評) to their review, within REVIEW_FOLLOW_UP_DAYS of delivery. */
export async function addFollowUp(ctx: Context, input: FollowUpInput): Promise<Review> {
  const problems = new Problems();
  const body = checkText(problems, input.body, ['input', 'body'], 1, 2000, 'The follow-up');
  const photoUrls = checkPhotoUrls(problems, input.photoUrls, 'photoUrls');
  problems.throwIfAny();
  return withReview(ctx, input.reviewId, async (em, review) => {
    if (review.buyer.id !== ctx.viewer.userId) throw new NotFoundError('No such review');
    if (review.followUpAt) throw new Failure(UserErrorCode.ALREADY_REVIEWED, 'This review already has its follow-up', ['input', 'reviewId']);
    if (review.status === ReviewStatus.HIDDEN) throw notEligible('A hidden review takes no follow-up', 'reviewId');
    const order = await em.findOneOrFail(Order, review.order.id);
    const until = order.deliveredAt ? order.deliveredAt.getTime() + ctx.deps.config.reviews.followUpDays * DAY : 0;
    if (ctx.now().getTime() > until) throw notEligible(`Follow-ups are added within ${ctx.deps.config.reviews.followUpDays} days of delivery`, 'reviewId');
    const flags = await screen(em, body);
    review.followUpBody = body;
    review.followUpPhotoUrls = photoUrls;
    review.followUpAt = ctx.now();
    review.followUpHeld = flags.length > 0;
    addFlags(review, flags);
    await em.flush();
    return review;
  });
}

export interface ReplyInput {
  reviewId: string;
  body: string;
}

/**
 * The shop's one reply to a published review (OWNER, MANAGER, CUSTOMER_SERVICE), which it may
 * change for 24 hours after first giving it. A reply with a blocked word, a phone number or a URL is
 * kept from the public until staff publish it. Another shop's member finds no such review (NOT_FOUND).
 */
export async function replyToReview(ctx: Context, input: ReplyInput): Promise<Review> {
  const problems = new Problems();
  const body = checkText(problems, input.body, ['input', 'body'], 1, 1000, 'The reply');
  problems.throwIfAny();
  return withReview(ctx, input.reviewId, async (em, review) => {
    const role = await ctx.viewer.roleIn(review.shop.id);
    if (role === undefined) throw new NotFoundError('No such review');
    if (!REVIEW_REPLY_ROLES.includes(role)) throw new ForbiddenError('Replies are written by the shop’s OWNER, MANAGER and CUSTOMER_SERVICE members');
    if (review.status !== ReviewStatus.PUBLISHED) throw notEligible('Only a published review takes a reply', 'reviewId');
    const now = ctx.now();
    if (review.repliedAt && now.getTime() > review.repliedAt.getTime() + REPLY_EDIT_HOURS * HOUR) {
      throw new Failure(UserErrorCode.ALREADY_REPLIED, `The reply can be changed for ${REPLY_EDIT_HOURS} hours after it was first given`, ['input', 'reviewId']);
    }
    const flags = await screen(em, body);
    if (review.repliedAt) review.replyEditedAt = now;
    else review.repliedAt = now;
    review.replyBody = body;
    review.replyAuthor = em.getReference(User, ctx.viewer.userId!);
    review.replyHeld = flags.length > 0;
    addFlags(review, flags);
    // A held reply changed into a clean one takes its flags away when nothing else waits.
    if (!isQueued(review)) review.flags = [];
    await em.flush();
    return review;
  });
}

export interface ReportInput {
  reviewId: string;
  reason: string;
}

/** Anyone signed in reports a review they can see, once; it joins the moderation queue (reported first). */
export async function reportReview(ctx: Context, input: ReportInput): Promise<Review> {
  const problems = new Problems();
  const reason = checkText(problems, input.reason, ['input', 'reason'], 3, 500, 'The reason');
  problems.throwIfAny();
  try {
    return await withReview(ctx, input.reviewId, async (em, review) => {
      if (!canSeeReview(ctx, review)) throw new NotFoundError('No such review');
      if (review.buyer.id === ctx.viewer.userId) throw new Failure(UserErrorCode.INVALID_INPUT, 'You cannot report your own review', ['input', 'reviewId']);
      em.create(ReviewReport, { review, reporter: em.getReference(User, ctx.viewer.userId!), reason, createdAt: ctx.now() });
      await em.flush();
      review.openReports += 1;
      addFlags(review, [ReviewFlag.REPORTED]);
      await em.flush();
      return review;
    });
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw new Failure(UserErrorCode.ALREADY_REPORTED, 'You already reported this review', ['input', 'reviewId']);
    throw err;
  }
}

export interface ModerateInput {
  reviewId: string;
  decision: ModerationDecision;
  reason: string;
}

/**
 * Staff OPERATIONS decide about a review: PUBLISH (with its held follow-up and reply), FEATURE
 * (publish as a featured buyer show), HIDE, or REMOVE_HELD (delete the held follow-up and reply,
 * leaving the review), with a reason. The decision empties its flags,
 * resolves its open reports, takes it out of the queue and moves the ratings if it entered or left
 * PUBLISHED. Audited.
 */
export async function moderateReview(ctx: Context, input: ModerateInput): Promise<Review> {
  if (!ctx.viewer.hasStaffRole(...REVIEW_STAFF)) throw new ForbiddenError();
  const problems = new Problems();
  const reason = checkText(problems, input.reason, ['input', 'reason'], 2, 500, 'The reason');
  problems.throwIfAny();
  return withReview(ctx, input.reviewId, async (em, review) => {
    const before = { status: review.status, featured: review.featured, flags: review.flags };
    const wasPublished = review.status === ReviewStatus.PUBLISHED;
    const now = ctx.now();
    if (input.decision === ModerationDecision.REMOVE_HELD) {
      if (!review.followUpHeld && !review.replyHeld) throw new Failure(UserErrorCode.INVALID_INPUT, 'The review has no held follow-up or reply', ['input', 'decision']);
      if (review.followUpHeld) Object.assign(review, { followUpBody: null, followUpPhotoUrls: [], followUpAt: null, followUpHeld: false });
      if (review.replyHeld) Object.assign(review, { replyBody: null, repliedAt: null, replyEditedAt: null, replyAuthor: null, replyHeld: false });
    } else if (input.decision === ModerationDecision.HIDE) {
      review.status = ReviewStatus.HIDDEN;
      review.featured = false;
    } else {
      review.status = ReviewStatus.PUBLISHED;
      review.featured = input.decision === ModerationDecision.FEATURE;
      review.followUpHeld = false;
      review.replyHeld = false;
    }
    // A review held itself (PENDING_MODERATION) stays in the queue after REMOVE_HELD; its own
    // flags stay with it. Every other decision settles everything.
    review.openReports = 0;
    if (!isQueued(review)) review.flags = [];
    review.moderationDecision = input.decision;
    review.moderationReason = reason;
    review.moderatedAt = now;
    review.moderator = em.getReference(User, ctx.viewer.userId!);
    await em.nativeUpdate(ReviewReport, { review: review.id, resolvedAt: null }, { resolvedAt: now });
    const isPublished = review.status === ReviewStatus.PUBLISHED;
    if (wasPublished !== isPublished) await applyRating(em, contributionOf(review), isPublished ? 1 : -1);
    recordAudit(ctx, em, { action: `review.${input.decision.toLowerCase()}`, targetType: 'Review', targetId: review.id, before, after: { status: review.status, featured: review.featured, reason } });
    await em.flush();
    return review;
  });
}

/** A signed-in shopper finds a published review helpful, once (a second time changes nothing); not their own. */
export async function markHelpful(ctx: Context, reviewId: string): Promise<Review> {
  return withReview(ctx, reviewId, async (em, review) => {
    if (review.status !== ReviewStatus.PUBLISHED) throw new NotFoundError('No such review');
    if (review.buyer.id === ctx.viewer.userId) throw new Failure(UserErrorCode.INVALID_INPUT, 'You cannot vote for your own review', ['input', 'reviewId']);
    const inserted = await em.execute('insert into review_vote (review_id, user_id) values (?, ?) on conflict do nothing returning 1 as one', [review.id, ctx.viewer.userId]);
    if (inserted.length > 0) review.helpfulCount += 1;
    await em.flush();
    return review;
  });
}

/** The masked name of an anonymous reviewer: the first character and two stars, e.g. "王**". */
export function maskName(name: string): string {
  const first = [...name.trim()][0] ?? '*';
  return `${first}**`;
}
