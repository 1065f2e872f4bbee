import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BlockedWord, ModerationDecision, Review } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { Multiline } from '../shared/textRule';

@InputType({ description: 'Stars for the three aspects (店鋪評分 DSR), 1 to 5 each.' })
export class ReviewAspectsInput {
  @Field(() => Int, { description: 'Item as described, 1 to 5.' })
  description!: number;

  @Field(() => Int, { description: 'The shop’s service, 1 to 5.' })
  service!: number;

  @Field(() => Int, { description: 'Delivery speed and packing, 1 to 5.' })
  logistics!: number;
}

@InputType({ description: 'Review an item you bought.' })
export class CreateReviewInput {
  @Field(() => ID, { description: 'A line of one of your DELIVERED or COMPLETED orders, within REVIEW_WINDOW_DAYS (15) of delivery; not a gift.' })
  orderLineId!: string;

  @Field(() => Int, { description: 'Stars, 1 to 5.' })
  rating!: number;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'What you think, at most 2,000 characters. A blocked word, a phone number or a URL holds the review for moderation.' })
  body?: string | null;

  @Field(() => [String], { nullable: true, description: 'Photos of the item (a buyer show): up to 9 https URLs.' })
  photoUrls?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Show your name masked (e.g. "王**"). Default false.' })
  anonymous?: boolean | null;

  @Field(() => ReviewAspectsInput, { nullable: true, description: 'Stars for the description, the service and the logistics (all three).' })
  aspects?: ReviewAspectsInput | null;
}

@InputType({ description: 'Add the one follow-up (追評) to your review.' })
export class ReviewFollowUpInput {
  @Field(() => ID, { description: 'Your review, within REVIEW_FOLLOW_UP_DAYS (90) of delivery.' })
  reviewId!: string;

  @Multiline()
  @Field({ description: 'How the item held up, 1 to 2,000 characters.' })
  body!: string;

  @Field(() => [String], { nullable: true, description: 'Up to 9 https photo URLs.' })
  photoUrls?: string[] | null;
}

@InputType({ description: 'The shop’s reply to a review.' })
export class ReviewReplyInput {
  @Field(() => ID, { description: 'A published review of your shop.' })
  reviewId!: string;

  @Multiline()
  @Field({ description: 'The reply, 1 to 1,000 characters. Replying again within 24 hours of the first reply changes it.' })
  body!: string;
}

@InputType({ description: 'Report a review to the moderators.' })
export class ReportReviewInput {
  @Field(() => ID, { description: 'A review you can see (not your own).' })
  reviewId!: string;

  @Multiline()
  @Field({ description: 'What is wrong with it, 3 to 500 characters.' })
  reason!: string;
}

@InputType({ description: 'Decide about a review (staff OPERATIONS).' })
export class ModerateReviewInput {
  @Field(() => ID, { description: 'The review.' })
  reviewId!: string;

  @Field(() => ModerationDecision, { description: 'Publish, feature or hide it.' })
  decision!: ModerationDecision;

  @Multiline()
  @Field({ description: 'Why, 2 to 500 characters (kept on the review and in the audit log).' })
  reason!: string;
}

@InputType({ description: 'Say a review helped you.' })
export class MarkReviewHelpfulInput {
  @Field(() => ID, { description: 'A published review (not your own). Marking it twice counts once.' })
  reviewId!: string;
}

@InputType({ description: 'Words or phrases of the blocked list.' })
export class BlockedWordsInput {
  @Field(() => [String], { description: '1 to 100 words or phrases, 1 to 40 characters each; matched case-insensitively anywhere in a text.' })
  words!: string[];
}

export enum ReviewSort {
  NEWEST = 'NEWEST',
  HELPFUL = 'HELPFUL',
}

registerEnumType(ReviewSort, {
  name: 'ReviewSort',
  description: 'Order of a review list.',
  valuesConfig: {
    NEWEST: { description: 'Most recently written first.' },
    HELPFUL: { description: 'Found helpful by the most shoppers first.' },
  },
});

@InputType({ description: 'Filters of a review list; all given filters must match.' })
export class ReviewFilter {
  @Field(() => Int, { nullable: true, description: 'Only reviews with this many stars (1–5).' })
  rating?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only reviews with photos (buyer shows), in the review or its follow-up; false: only those without.' })
  withPhotos?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only reviews staff featured (優質買家秀).' })
  featured?: boolean | null;
}

@ObjectType({ description: 'A reviewer’s stars for the three aspects.' })
export class ReviewAspects {
  @Field(() => Int, { description: 'Item as described, 1 to 5.' })
  description!: number;

  @Field(() => Int, { description: 'The shop’s service, 1 to 5.' })
  service!: number;

  @Field(() => Int, { description: 'Delivery speed and packing, 1 to 5.' })
  logistics!: number;
}

@ObjectType({ description: 'The buyer’s follow-up (追評).' })
export class ReviewFollowUp {
  @Field({ description: 'Text.' })
  body!: string;

  @Field(() => [String], { description: 'Photos (https URLs).' })
  photoUrls!: string[];

  @Field(() => Date, { description: 'When it was added.' })
  at!: Date;

  @Field(() => Boolean, { description: 'It waits for moderation: only its author and staff see it until then.' })
  held!: boolean;
}

@ObjectType({ description: 'The shop’s reply to a review.' })
export class ReviewReply {
  @Field({ description: 'Text.' })
  body!: string;

  @Field(() => Date, { description: 'When the shop first replied (it may change the reply for 24 hours from then).' })
  at!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was last changed.' })
  editedAt!: Date | null;

  @Field(() => Boolean, { description: 'It waits for moderation: only the shop’s members and staff see it until then.' })
  held!: boolean;
}

@ObjectType({ description: 'Average stars per aspect over the published reviews that rated the aspects.' })
export class RatingAspects {
  @Field(() => Float, { description: 'Item as described (1–5, two decimals).' })
  description!: number;

  @Field(() => Float, { description: 'The shop’s service (1–5, two decimals).' })
  service!: number;

  @Field(() => Float, { description: 'Delivery speed and packing (1–5, two decimals).' })
  logistics!: number;

  @Field(() => Int, { description: 'Reviews that rated the aspects.' })
  count!: number;
}

@ObjectType({ description: 'The rating of a product or a shop: its published reviews, kept on every write (never recounted per read).' })
export class Rating {
  @Field(() => Float, { nullable: true, description: 'Average stars (1–5, two decimals); null until the first published review.' })
  average!: number | null;

  @Field(() => Int, { description: 'Published reviews.' })
  count!: number;

  @Field(() => [Int], { description: 'Published reviews per star, from 1★ to 5★ (five numbers).' })
  distribution!: number[];

  @Field(() => RatingAspects, { nullable: true, description: 'Averages per aspect; null until a published review rates them.' })
  aspects!: RatingAspects | null;
}

@ObjectType({ description: 'Result of the review mutations.' })
export class ReviewPayload {
  @Field(() => Review, { nullable: true, description: 'The review as it now stands; null when `errors` is not empty.' })
  review?: Review | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of changing the blocked list.' })
export class BlockedWordsPayload {
  @Field(() => [BlockedWord], { nullable: true, description: 'The whole list now, alphabetically; null when `errors` is not empty.' })
  blockedWords?: BlockedWord[] | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

export const { ConnectionType: ReviewConnection } = connectionTypes(Review);
