import { ArrayType, BigIntType, Check, Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import { Order, OrderLine } from './Order';
import { Product } from './Product';
import { Shop } from './Shop';
import { User } from './User';

export enum ReviewStatus {
  PUBLISHED = 'PUBLISHED',
  PENDING_MODERATION = 'PENDING_MODERATION',
  HIDDEN = 'HIDDEN',
}

registerEnumType(ReviewStatus, {
  name: 'ReviewStatus',
  description: 'Whether a review is shown. Only PUBLISHED reviews count in ratings.',
  valuesConfig: {
    PUBLISHED: { description: 'Shown to everyone and counted in the product’s and the shop’s ratings.' },
    PENDING_MODERATION: { description: 'Held for staff OPERATIONS: its text has a blocked word, a phone number or a URL. Only its author and staff see it.' },
    HIDDEN: { description: 'Hidden by staff OPERATIONS, with a reason. Only its author and staff see it.' },
  },
});

export enum ModerationDecision {
  PUBLISH = 'PUBLISH',
  HIDE = 'HIDE',
  FEATURE = 'FEATURE',
  REMOVE_HELD = 'REMOVE_HELD',
}

registerEnumType(ModerationDecision, {
  name: 'ModerationDecision',
  description: 'What staff OPERATIONS decide about a review.',
  valuesConfig: {
    PUBLISH: { description: 'Publish it with its held follow-up and reply (what staff see in the queue) and dismiss its open reports; a featured review stops being featured.' },
    HIDE: { description: 'Hide it: it leaves every public list and the ratings; its open reports are upheld.' },
    FEATURE: { description: 'Publish it as a featured buyer show (優質買家秀), listed by `filter.featured`.' },
    REMOVE_HELD: {
      description:
        'Delete its held follow-up and its held reply (their authors may write them again), leaving the review as it is: for a good review under a bad follow-up, or a shop’s reply that gives a phone number.',
    },
  },
});

export enum ReviewFlag {
  BLOCKED_WORD = 'BLOCKED_WORD',
  PHONE_NUMBER = 'PHONE_NUMBER',
  URL = 'URL',
  REPORTED = 'REPORTED',
}

registerEnumType(ReviewFlag, {
  name: 'ReviewFlag',
  description: 'Why a review waits in the moderation queue.',
  valuesConfig: {
    BLOCKED_WORD: { description: 'Its text (or its follow-up, or the shop’s reply) has a word of the blocked list.' },
    PHONE_NUMBER: { description: 'Its text (or its follow-up, or the shop’s reply) has a phone number.' },
    URL: { description: 'Its text (or its follow-up, or the shop’s reply) has a URL or a web address.' },
    REPORTED: { description: 'Someone reported it since staff last decided.' },
  },
});

/**
 * A buyer's review of one order line (評價), once per line. The row also holds the buyer's one
 * follow-up (追評), the shop's one reply and what moderation decided. A part of it whose text was
 * flagged (a blocked word, a phone number, a URL) is held: the review itself waits in
 * PENDING_MODERATION, a follow-up or reply is kept from the public until staff publish it.
 * `queued` puts the review in the moderation queue (held parts or open reports). The product's
 * and the shop's ratings count PUBLISHED reviews and change only when a review enters or leaves
 * PUBLISHED (services/reviews/ratings.ts).
 */
@ObjectType({ implements: Node, description: 'A buyer’s review of an item they bought (評價, 買家秀).' })
@Entity({ tableName: 'review' })
@Unique({ name: 'review_order_line_unique', properties: ['orderLine'] })
@Check({ name: 'review_rating_check', expression: '"rating" between 1 and 5' })
@Check({
  name: 'review_aspects_check',
  expression:
    '("aspect_description" is null and "aspect_service" is null and "aspect_logistics" is null) or ("aspect_description" between 1 and 5 and "aspect_service" between 1 and 5 and "aspect_logistics" between 1 and 5)',
})
@Check({ name: 'review_counts_check', expression: '"helpful_count" >= 0 and "open_reports" >= 0' })
// The public lists: a product's or a shop's published reviews, newest or most helpful first, optionally with photos or a star rating.
@Index({ name: 'review_product_newest_idx', expression: `create index "review_product_newest_idx" on "review" ("product_id", "id" desc) where "status" = 'PUBLISHED'` })
@Index({ name: 'review_product_helpful_idx', expression: `create index "review_product_helpful_idx" on "review" ("product_id", "helpful_count" desc, "id" desc) where "status" = 'PUBLISHED'` })
@Index({ name: 'review_product_rating_idx', expression: `create index "review_product_rating_idx" on "review" ("product_id", "rating", "id" desc) where "status" = 'PUBLISHED'` })
@Index({ name: 'review_product_photos_idx', expression: `create index "review_product_photos_idx" on "review" ("product_id", "id" desc) where "status" = 'PUBLISHED' and "with_photos"` })
@Index({ name: 'review_product_featured_idx', expression: `create index "review_product_featured_idx" on "review" ("product_id", "id" desc) where "status" = 'PUBLISHED' and "featured"` })
@Index({ name: 'review_shop_helpful_idx', expression: `create index "review_shop_helpful_idx" on "review" ("shop_id", "helpful_count" desc, "id" desc) where "status" = 'PUBLISHED'` })
@Index({ name: 'review_shop_newest_idx', expression: `create index "review_shop_newest_idx" on "review" ("shop_id", "id" desc) where "status" = 'PUBLISHED'` })
@Index({ name: 'review_buyer_idx', properties: ['buyer', 'id'] })
// The moderation queue: reported ones first, then the held ones, oldest first within each.
@Index({ name: 'review_queue_idx', expression: `create index "review_queue_idx" on "review" ((case when "open_reports" > 0 then 0 else 1 end), "id") where "queued"` })
// The scorecards' average rating over the last 30 days, of every shop at once.
@Index({ name: 'review_published_created_idx', expression: `create index "review_published_created_idx" on "review" ("created_at") where "status" = 'PUBLISHED'` })
export class Review extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => OrderLine, { deleteRule: 'restrict' })
  orderLine!: Rel<OrderLine>;

  @ManyToOne(() => Order, { deleteRule: 'restrict', index: 'review_order_idx' })
  order!: Rel<Order>;

  @ManyToOne(() => Product, { deleteRule: 'cascade' })
  product!: Rel<Product>;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  buyer!: Rel<User>;

  @Field({ description: 'The variant bought, as it was titled then, e.g. "Black / L".' })
  @Property({ type: 'text' })
  variantTitle!: string;

  @Field(() => Int, { description: 'Stars, 1 to 5.' })
  @Property({ type: 'smallint' })
  rating!: number;

  @Property({ type: 'smallint', nullable: true })
  aspectDescription?: number | null;

  @Property({ type: 'smallint', nullable: true })
  aspectService?: number | null;

  @Property({ type: 'smallint', nullable: true })
  aspectLogistics?: number | null;

  @Field(() => String, { nullable: true, description: 'What the buyer wrote.' })
  @Property({ type: 'text', nullable: true })
  body?: string | null;

  @Field(() => [String], { description: 'Photos (https URLs), up to 9: the buyer show (買家秀).' })
  @Property({ type: ArrayType, columnType: 'text[]', default: '{}' })
  photoUrls: Opt<string[]> = [];

  /** Generated: the review or its published follow-up has photos (the `withPhotos` filter's index). */
  @Property({ type: 'boolean', generated: '(cardinality("photo_urls") > 0 or (cardinality("follow_up_photo_urls") > 0 and not "follow_up_held")) stored' })
  withPhotos!: Opt<boolean>;

  @Field(() => Boolean, { description: 'The buyer asked to be shown as a masked name (e.g. "王**").' })
  @Property({ type: 'boolean', default: false })
  anonymous: Opt<boolean> = false;

  @Field(() => Boolean, { description: 'Left by the platform when the buyer wrote nothing by the end of the review window (REVIEW_DEFAULT_RATING).' })
  @Property({ type: 'boolean', default: false })
  automatic: Opt<boolean> = false;

  @Field(() => ReviewStatus, { description: 'Whether it is shown.' })
  @Enum({ items: () => ReviewStatus })
  status!: ReviewStatus;

  @Field(() => Boolean, { description: 'Featured by staff as a good buyer show (優質買家秀).' })
  @Property({ type: 'boolean', default: false })
  featured: Opt<boolean> = false;

  /** Why it waits for moderation (held text, reports); emptied by a decision. */
  @Property({ type: ArrayType, columnType: 'text[]', default: '{}' })
  flags: Opt<ReviewFlag[]> = [];

  /** Generated: in the moderation queue — held itself, a held follow-up or reply, or open reports. */
  @Property({ type: 'boolean', generated: `("status" = 'PENDING_MODERATION' or "follow_up_held" or "reply_held" or "open_reports" > 0) stored` })
  queued!: Opt<boolean>;

  /** Reports since the last decision. */
  @Property({ type: 'int', default: 0 })
  openReports: Opt<number> = 0;

  @Field(() => Int, { description: 'How many shoppers found it helpful.' })
  @Property({ type: 'int', default: 0 })
  helpfulCount: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  followUpBody?: string | null;

  @Property({ type: ArrayType, columnType: 'text[]', default: '{}' })
  followUpPhotoUrls: Opt<string[]> = [];

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  followUpAt?: Date | null;

  /** The follow-up waits for moderation. */
  @Property({ type: 'boolean', default: false })
  followUpHeld: Opt<boolean> = false;

  @Property({ type: 'text', nullable: true })
  replyBody?: string | null;

  /** When the shop first replied: it may edit the reply for 24 hours from then. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  repliedAt?: Date | null;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  replyEditedAt?: Date | null;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null', index: 'review_reply_author_idx' })
  replyAuthor?: Rel<User> | null;

  /** The reply waits for moderation. */
  @Property({ type: 'boolean', default: false })
  replyHeld: Opt<boolean> = false;

  @Enum({ items: () => ModerationDecision, nullable: true })
  moderationDecision?: ModerationDecision | null;

  @Property({ type: 'text', nullable: true })
  moderationReason?: string | null;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  moderatedAt?: Date | null;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null', index: 'review_moderator_idx' })
  moderator?: Rel<User> | null;
}

/** A report of a review by a shopper or a shop member, once per person and review. */
@ObjectType({ description: 'A report of a review (舉報).' })
@Entity({ tableName: 'review_report' })
@Unique({ name: 'review_report_unique', properties: ['review', 'reporter'] })
export class ReviewReport {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Review, { deleteRule: 'cascade' })
  review!: Rel<Review>;

  @ManyToOne(() => User, { deleteRule: 'cascade', index: 'review_report_reporter_idx' })
  reporter!: Rel<User>;

  @Field({ description: 'Why.' })
  @Property({ type: 'text' })
  reason!: string;

  @Field(() => Date, { description: 'When.' })
  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;

  /** When staff decided on the review after this report. */
  @Field(() => Date, { nullable: true, description: 'When staff decided on the review after it.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  resolvedAt?: Date | null;
}

/** A shopper found a review helpful (有用), once per shopper and review. */
@Entity({ tableName: 'review_vote' })
export class ReviewVote {
  @ManyToOne(() => Review, { primary: true, deleteRule: 'cascade' })
  review!: Rel<Review>;

  @ManyToOne(() => User, { primary: true, deleteRule: 'cascade', index: 'review_vote_user_idx' })
  user!: Rel<User>;
}

/** A word or phrase that holds a review for moderation, kept by staff OPERATIONS (lower case). */
@ObjectType({ description: 'A blocked word or phrase: a review, follow-up or reply containing it waits for moderation.' })
@Entity({ tableName: 'blocked_word' })
export class BlockedWord {
  @Field({ description: 'The word or phrase, lower case.' })
  @PrimaryKey({ type: 'text' })
  word!: string;

  @Field(() => Date, { description: 'When it was added.' })
  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;
}

/**
 * An invitation to review a delivered line, recorded by `invite-reviews` once per line for a
 * notifier to deliver (`notifiedAt`).
 */
@Entity({ tableName: 'review_invitation' })
@Index({ name: 'review_invitation_pending_idx', expression: 'create index "review_invitation_pending_idx" on "review_invitation" ("order_line_id") where "notified_at" is null' })
export class ReviewInvitation {
  @ManyToOne(() => OrderLine, { primary: true, deleteRule: 'cascade' })
  orderLine!: Rel<OrderLine>;

  @ManyToOne(() => User, { deleteRule: 'cascade', index: 'review_invitation_buyer_idx' })
  buyer!: Rel<User>;

  @Property({ type: 'timestamptz', length: 3 })
  invitedAt!: Date;

  /** The end of the review window. */
  @Property({ type: 'timestamptz', length: 3 })
  dueAt!: Date;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  notifiedAt?: Date | null;
}
