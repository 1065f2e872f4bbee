import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { BlockedWord, ModerationDecision, OrderLine, Product, Review, ReviewFlag, ReviewReport, Shop, User } from '../../entities';
import * as reviews from '../../services/reviews';
import { visibleProduct } from '../../services/catalog';
import { visibleShop } from '../../services/onboarding';
import { REVIEW_STAFF } from '../../services/shared';
import {
  BlockedWordsInput,
  BlockedWordsPayload,
  CreateReviewInput,
  MarkReviewHelpfulInput,
  ModerateReviewInput,
  Rating,
  ReportReviewInput,
  ReviewAspects,
  ReviewConnection,
  ReviewFilter,
  ReviewFollowUp,
  ReviewFollowUpInput,
  ReviewPayload,
  ReviewReply,
  ReviewReplyInput,
  ReviewSort,
} from '../../schema/reviews/reviews';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class ReviewListArgs extends ConnectionArgs {
  @Field(() => ReviewFilter, { nullable: true, description: 'Filters; all given must match.' })
  filter?: ReviewFilter | null;

  @Field(() => ReviewSort, { nullable: true, description: 'Order; NEWEST by default.' })
  sort?: ReviewSort | null;
}

const wrap = (review: Review) => ({ review });
const isReviewStaff = (ctx: Context) => ctx.viewer.hasStaffRole(...REVIEW_STAFF);
const isAuthor = (ctx: Context, review: Review) => review.buyer.id === ctx.viewer.userId;

@Resolver(() => Review)
export class ReviewResolver {
  @Query(() => ReviewConnection, { description: 'A product’s published reviews (anyone who may see the product; another is NOT_FOUND).' })
  productReviews(@Arg('productId', () => ID, { description: 'The product.' }) productId: string, @Args() args: ReviewListArgs, @Ctx() ctx: Context) {
    return connection(reviews.productReviews(ctx, decodeId('Product', productId), args));
  }

  @Query(() => ReviewConnection, { description: 'A shop’s published reviews, of all its products (anyone who may see the shop; another is NOT_FOUND).' })
  shopReviews(@Arg('shopId', () => ID, { description: 'The shop.' }) shopId: string, @Args() args: ReviewListArgs, @Ctx() ctx: Context) {
    return connection(reviews.shopReviews(ctx, decodeId('Shop', shopId), args));
  }

  @Query(() => ReviewConnection, { description: 'Your reviews in every status, newest first.' })
  myReviews(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(reviews.myReviews(ctx, args));
  }

  @Query(() => ReviewConnection, { description: 'The moderation queue (staff OPERATIONS): reviews whose text, follow-up or reply is held, or that were reported since the last decision; reported ones first, oldest first within each.' })
  reviewsForModeration(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(reviews.reviewsForModeration(ctx, args));
  }

  @Query(() => [OrderLine], { description: 'The items you may still review: lines of your orders delivered within REVIEW_WINDOW_DAYS, not gifts, not reviewed; most recently delivered first, at most 100.' })
  myPendingReviews(@Ctx() ctx: Context): Promise<OrderLine[]> {
    return reviews.myPendingReviews(ctx);
  }

  @Query(() => [BlockedWord], { description: 'The blocked words and phrases (staff OPERATIONS), alphabetically.' })
  blockedWords(@Ctx() ctx: Context): Promise<BlockedWord[]> {
    return reviews.listBlockedWords(ctx);
  }

  @Mutation(() => ReviewPayload, {
    description: 'Review an item you bought (its buyer only), once, within REVIEW_WINDOW_DAYS of delivery: published at once, or PENDING_MODERATION when the text has a blocked word, a phone number or a URL. NOT_ELIGIBLE, ALREADY_REVIEWED; another buyer’s line is NOT_FOUND.',
  })
  createReview(@Arg('input', { description: INPUT_DESCRIPTION }) input: CreateReviewInput, @Ctx() ctx: Context): Promise<ReviewPayload> {
    return payload(() => reviews.createReview(ctx, { ...input, orderLineId: decodeId('OrderLine', input.orderLineId) }), wrap);
  }

  @Mutation(() => ReviewPayload, { description: 'Add the one follow-up (追評) to your review, within REVIEW_FOLLOW_UP_DAYS of delivery. NOT_ELIGIBLE, ALREADY_REVIEWED.' })
  addReviewFollowUp(@Arg('input', { description: INPUT_DESCRIPTION }) input: ReviewFollowUpInput, @Ctx() ctx: Context): Promise<ReviewPayload> {
    return payload(() => reviews.addFollowUp(ctx, { ...input, reviewId: decodeId('Review', input.reviewId) }), wrap);
  }

  @Mutation(() => ReviewPayload, {
    description: 'The shop’s one reply to a published review (OWNER, MANAGER, CUSTOMER_SERVICE), changeable for 24 hours after it is first given (then ALREADY_REPLIED). Another shop’s member finds no such review (NOT_FOUND).',
  })
  replyToReview(@Arg('input', { description: INPUT_DESCRIPTION }) input: ReviewReplyInput, @Ctx() ctx: Context): Promise<ReviewPayload> {
    return payload(() => reviews.replyToReview(ctx, { ...input, reviewId: decodeId('Review', input.reviewId) }), wrap);
  }

  @Mutation(() => ReviewPayload, { description: 'Report a review to the moderators (any signed-in user but its author), once: it joins the moderation queue, still shown until staff decide. ALREADY_REPORTED.' })
  reportReview(@Arg('input', { description: INPUT_DESCRIPTION }) input: ReportReviewInput, @Ctx() ctx: Context): Promise<ReviewPayload> {
    return payload(() => reviews.reportReview(ctx, { ...input, reviewId: decodeId('Review', input.reviewId) }), wrap);
  }

  @Mutation(() => ReviewPayload, { description: 'Publish, feature or hide a review, with a reason (staff OPERATIONS): its reports are resolved and the ratings follow. Audited.' })
  moderateReview(@Arg('input', { description: INPUT_DESCRIPTION }) input: ModerateReviewInput, @Ctx() ctx: Context): Promise<ReviewPayload> {
    return payload(() => reviews.moderateReview(ctx, { ...input, reviewId: decodeId('Review', input.reviewId) }), wrap);
  }

  @Mutation(() => ReviewPayload, { description: 'Say a published review helped you (any signed-in user but its author); counted once per user.' })
  markReviewHelpful(@Arg('input', { description: INPUT_DESCRIPTION }) input: MarkReviewHelpfulInput, @Ctx() ctx: Context): Promise<ReviewPayload> {
    return payload(() => reviews.markHelpful(ctx, decodeId('Review', input.reviewId)), wrap);
  }

  @Mutation(() => BlockedWordsPayload, { description: 'Add words or phrases to the blocked list (staff OPERATIONS); texts written from now on are held for moderation when they contain one. Audited.' })
  addBlockedWords(@Arg('input', { description: INPUT_DESCRIPTION }) input: BlockedWordsInput, @Ctx() ctx: Context): Promise<BlockedWordsPayload> {
    return payload(() => reviews.addBlockedWords(ctx, input.words), (blockedWords) => ({ blockedWords }));
  }

  @Mutation(() => BlockedWordsPayload, { description: 'Remove words or phrases from the blocked list (staff OPERATIONS). Audited.' })
  removeBlockedWords(@Arg('input', { description: INPUT_DESCRIPTION }) input: BlockedWordsInput, @Ctx() ctx: Context): Promise<BlockedWordsPayload> {
    return payload(() => reviews.removeBlockedWords(ctx, input.words), (blockedWords) => ({ blockedWords }));
  }

  @FieldResolver(() => String, { description: 'The reviewer’s display name, or a masked one (e.g. "王**") when the review is anonymous.' })
  reviewerName(@Root() review: Review, @Ctx() ctx: Context): string | Promise<string> {
    const shown = (name: string) => (review.anonymous ? reviews.maskName(name) : name);
    const name = reviews.reviewerDisplayName(ctx, review);
    return typeof name === 'string' ? shown(name) : name.then(shown);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The reviewer as a user: for the reviewer and staff OPERATIONS only (null for anyone else, so an anonymous review stays anonymous).' })
  reviewer(@Root() review: Review, @Ctx() ctx: Context): Promise<User | null> {
    return isAuthor(ctx, review) || isReviewStaff(ctx) ? ctx.loaders.userById.load(review.buyer.id) : Promise.resolve(null);
  }

  @FieldResolver(() => ReviewAspects, { nullable: true, description: 'Stars for the description, service and logistics; null when the buyer gave none.' })
  aspects(@Root() review: Review): ReviewAspects | null {
    return review.aspectDescription == null ? null : { description: review.aspectDescription, service: review.aspectService!, logistics: review.aspectLogistics! };
  }

  @FieldResolver(() => ReviewFollowUp, { nullable: true, description: 'The buyer’s follow-up (追評); a held one only for its author and staff OPERATIONS.' })
  followUp(@Root() review: Review, @Ctx() ctx: Context): ReviewFollowUp | null {
    if (!review.followUpAt || !review.followUpBody) return null;
    if (review.followUpHeld && !isAuthor(ctx, review) && !isReviewStaff(ctx)) return null;
    return { body: review.followUpBody, photoUrls: review.followUpPhotoUrls, at: review.followUpAt, held: review.followUpHeld };
  }

  @FieldResolver(() => ReviewReply, { nullable: true, description: 'The shop’s reply; a held one only for the shop’s members and staff OPERATIONS.' })
  reply(@Root() review: Review, @Ctx() ctx: Context): ReviewReply | null | Promise<ReviewReply | null> {
    if (!review.repliedAt || !review.replyBody) return null;
    const reply = { body: review.replyBody, at: review.repliedAt, editedAt: review.replyEditedAt ?? null, held: review.replyHeld };
    if (!review.replyHeld || isReviewStaff(ctx)) return reply;
    return ctx.viewer.roleIn(review.shop.id).then((role) => (role === undefined ? null : reply));
  }

  @FieldResolver(() => Product, { nullable: true, description: 'The product reviewed; null when it is no longer on sale (for anyone but its shop’s members and staff).' })
  product(@Root() review: Review, @Ctx() ctx: Context): Promise<Product | null> {
    return visibleProduct(ctx, review.product.id);
  }

  @FieldResolver(() => Shop, { nullable: true, description: 'The shop reviewed; null when it is not ACTIVE (for anyone but its members and staff).' })
  shop(@Root() review: Review, @Ctx() ctx: Context): Promise<Shop | null> {
    return visibleShop(ctx, review.shop.id);
  }

  @FieldResolver(() => [ReviewFlag], { nullable: true, description: 'Why it waits for moderation (staff OPERATIONS; null for anyone else).' })
  flags(@Root() review: Review, @Ctx() ctx: Context): ReviewFlag[] | null {
    return isReviewStaff(ctx) ? review.flags : null;
  }

  @FieldResolver(() => [ReviewReport], { nullable: true, description: 'Its reports, newest first (staff OPERATIONS; null for anyone else).' })
  reports(@Root() review: Review, @Ctx() ctx: Context): Promise<ReviewReport[]> | null {
    return isReviewStaff(ctx) ? ctx.loaders.reportsByReviewId.load(review.id) : null;
  }

  @FieldResolver(() => ModerationDecision, { nullable: true, description: 'Staff’s last decision, for the author and staff OPERATIONS (null for anyone else, and when none was needed).' })
  moderationDecision(@Root() review: Review, @Ctx() ctx: Context): ModerationDecision | null {
    return isAuthor(ctx, review) || isReviewStaff(ctx) ? (review.moderationDecision ?? null) : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Why staff decided so, for the author and staff OPERATIONS.' })
  moderationReason(@Root() review: Review, @Ctx() ctx: Context): string | null {
    return isAuthor(ctx, review) || isReviewStaff(ctx) ? (review.moderationReason ?? null) : null;
  }

  @FieldResolver(() => Date, { nullable: true, description: 'When staff last decided, for the author and staff OPERATIONS.' })
  moderatedAt(@Root() review: Review, @Ctx() ctx: Context): Date | null {
    return isAuthor(ctx, review) || isReviewStaff(ctx) ? (review.moderatedAt ?? null) : null;
  }

}

@Resolver(() => Product)
export class ProductRatingResolver {
  @FieldResolver(() => Rating, { description: 'The product’s rating over its published reviews (kept on write; costs no query).' })
  rating(@Root() product: Product): Rating {
    return reviews.ratingOf(product);
  }
}

@Resolver(() => Shop)
export class ShopRatingResolver {
  @FieldResolver(() => Rating, { description: 'The shop’s rating over the published reviews of all its products, with the aspects (店鋪評分).' })
  rating(@Root() shop: Shop): Rating {
    return reviews.ratingOf(shop);
  }
}

@Resolver(() => OrderLine)
export class OrderLineReviewResolver {
  @FieldResolver(() => Review, { nullable: true, description: 'Your review of this line (the order’s buyer only; null for anyone else, and until you review it).' })
  review(@Root() line: OrderLine, @Ctx() ctx: Context): Promise<Review | null> {
    return reviews.reviewOfLine(ctx, line);
  }

  @FieldResolver(() => Date, { nullable: true, description: 'Until when the line can be reviewed: REVIEW_WINDOW_DAYS after delivery; null before delivery, for a cancelled order, and for gifts.' })
  async reviewDeadline(@Root() line: OrderLine, @Ctx() ctx: Context): Promise<Date | null> {
    if (line.gift) return null;
    const order = await ctx.loaders.orderById.load(line.order.id);
    return order ? reviews.reviewDeadline(ctx, order) : null;
  }
}
