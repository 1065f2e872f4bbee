import { BigIntType, Check, Entity, Enum, Index, ManyToOne, OneToOne, type Opt, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import { CouponCampaign } from './Promotion';
import { User } from './User';

/**
 * Membership (會員): levels by spend, the points ledger, daily check-in, growth tasks and
 * referrals. The rules live in services/membership; these are the tables.
 */

/** A member level (會員等級) staff configure: the spend that reaches it and its benefits. */
@ObjectType({ implements: Node, description: 'A member level (會員等級): the spend over the last LEVEL_WINDOW_DAYS that reaches it, and its benefits.' })
@Entity({ tableName: 'member_level' })
@Check({ name: 'member_level_values_check', expression: '"rank" between 0 and 20 and "min_spend" >= 0 and "points_multiplier_pct" between 0 and 1000 and ("free_shipping_threshold" is null or "free_shipping_threshold" >= 0)' })
export class MemberLevel extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field(() => Int, { description: 'Its place, 0 (every shopper’s, from no spend) to 20; MEMBER_LEVEL coupons name the lowest rank that may claim them.' })
  @Property({ type: 'int', unique: 'member_level_rank_unique' })
  rank!: number;

  @Field({ description: 'Its name, e.g. 黃金會員.' })
  @Property({ type: 'text' })
  name!: string;

  /** Minor units completed and paid over the window that reach this level. */
  @Property({ type: new BigIntType('number') })
  minSpend!: number;

  /** Points multiplier in hundredths (150 = 1.5×). */
  @Property({ type: 'int', default: 100 })
  pointsMultiplierPct: number & Opt = 100;

  @Field(() => Float, { description: 'Points earned on a completed order are multiplied by this (1.5 = half as many again).' })
  get pointsMultiplier(): number {
    return this.pointsMultiplierPct / 100;
  }

  /** Minor units: a shop group whose goods reach this ships free, the platform paying the fee; null: no override. */
  @Property({ type: new BigIntType('number'), nullable: true })
  freeShippingThreshold?: number | null;

  /** A platform coupon campaign that grants members of this level one coupon each calendar month (task grant-member-coupons). */
  @ManyToOne(() => CouponCampaign, { nullable: true, deleteRule: 'set null', index: 'member_level_coupon_idx' })
  monthlyCouponCampaign?: Rel<CouponCampaign> | null;

  @Field(() => [String], { description: 'Other privileges, shown to members as written (提前購, 專屬客服 …).' })
  @Property({ type: 'jsonb', default: '[]' })
  perks: string[] & Opt = [];
}

/**
 * A member's standing: the level held and where the points expiry has got to. A user without a
 * row holds level 0 and has nothing expired. One row per user, apart from `users` so that level
 * changes never queue behind a checkout's lock on the buyer.
 */
@Entity({ tableName: 'member' })
@Index({ name: 'member_level_idx', properties: ['levelRank'] })
export class Member {
  @OneToOne(() => User, { primary: true, deleteRule: 'cascade', owner: true })
  user!: Rel<User>;

  @Property({ type: 'int', default: 0 })
  levelRank: number & Opt = 0;

  @Property({ type: 'timestamptz', length: 3 })
  levelSince!: Date;

  /** The latest expiry instant whose points `expire-points` has taken for this member. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  pointsExpiredThrough?: Date | null;

  /** When `expire-points` last looked at this member: points returned after it may restore expired ones. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  pointsCheckedAt?: Date | null;
}

export enum PointsReason {
  ORDER_EARNED = 'ORDER_EARNED',
  REFUND_REVERSED = 'REFUND_REVERSED',
  REDEEMED = 'REDEEMED',
  REDEEM_RETURNED = 'REDEEM_RETURNED',
  EXPIRED = 'EXPIRED',
  CHECK_IN = 'CHECK_IN',
  GROWTH_TASK = 'GROWTH_TASK',
  REFERRAL = 'REFERRAL',
}

registerEnumType(PointsReason, {
  name: 'PointsReason',
  description: 'Why points moved.',
  valuesConfig: {
    ORDER_EARNED: { description: 'Earned when an order completed: what was paid (less refunds) × POINTS_PER_YUAN × the level’s multiplier.' },
    REFUND_REVERSED: { description: 'Taken back in proportion to a refund of an order that had earned them (never more than you hold).' },
    REDEEMED: { description: 'Spent at checkout on an order.' },
    REDEEM_RETURNED: { description: 'Given back: the checkout expired unpaid, or the order was cancelled before shipping.' },
    EXPIRED: { description: 'Expired: points earned in a year expire at the end of the next year (Asia/Shanghai), oldest first.' },
    CHECK_IN: { description: 'A daily check-in, with any streak bonus.' },
    GROWTH_TASK: { description: 'A growth task’s reward.' },
    REFERRAL: { description: 'A referral reward: your invitee’s first order completed, or you joined with a code.' },
  },
});

/**
 * One movement of a member's points (積分), append-only: the balance is Σ delta, never negative.
 * `key` makes every posting idempotent (one per user and key: "earn:<order>", "redeem:<order>",
 * "checkin:<day>" …). Written only by services/membership/points.ts.
 */
@ObjectType({ implements: Node, description: 'One movement of your points. Your balance is the sum of them all.' })
@Entity({ tableName: 'points_entry' })
@Unique({ name: 'points_entry_key_unique', properties: ['user', 'key'] })
@Index({ name: 'points_entry_user_idx', expression: 'create index "points_entry_user_idx" on "points_entry" ("user_id", "id") include ("delta")' })
@Index({ name: 'points_entry_expiry_idx', expression: 'create index "points_entry_expiry_idx" on "points_entry" ("expires_at", "user_id") where "expires_at" is not null' })
@Index({ name: 'points_entry_returned_idx', expression: `create index "points_entry_returned_idx" on "points_entry" ("at", "user_id") where "reason" = 'REDEEM_RETURNED'` })
@Index({ name: 'points_entry_order_idx', expression: 'create index "points_entry_order_idx" on "points_entry" ("order_id") where "order_id" is not null' })
@Check({ name: 'points_entry_delta_check', expression: '"delta" <> 0' })
export class PointsEntry extends Node {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: Rel<User>;

  @Field(() => Int, { description: 'Points added (positive) or taken (negative).' })
  @Property({ type: 'int' })
  delta!: number;

  @Field(() => PointsReason, { description: 'Why.' })
  @Enum({ items: () => PointsReason })
  reason!: PointsReason;

  /** The order it concerns (earned, reversed, redeemed, returned). */
  @Property({ type: 'bigint', nullable: true })
  orderId?: string | null;

  /** Idempotency: one entry per user and key. */
  @Property({ type: 'text' })
  key!: string;

  @Field(() => Date, { nullable: true, description: 'When points earned here expire (the end of the next calendar year, Asia/Shanghai); null for spending and for returns, which restore what was spent.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  expiresAt?: Date | null;

  /** The money concerned, minor units: what the order paid less refunds (earned), the discount (redeemed, returned), the refund (reversed). */
  @Property({ type: new BigIntType('number'), nullable: true })
  amount?: number | null;

  @Field(() => String, { nullable: true, description: 'Details, e.g. the order number or the task.' })
  @Property({ type: 'text', nullable: true })
  note?: string | null;

  @Field(() => Date, { description: 'When.' })
  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;
}

/** A daily check-in (簽到): one per user and calendar day in Asia/Shanghai. */
@ObjectType({ description: 'A daily check-in.' })
@Entity({ tableName: 'check_in' })
@Unique({ name: 'check_in_user_day_unique', properties: ['user', 'day'] })
@Check({ name: 'check_in_values_check', expression: '"streak" >= 1 and "points" >= 0' })
export class CheckIn {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: Rel<User>;

  @Field({ description: 'The calendar day (Asia/Shanghai), YYYY-MM-DD.' })
  @Property({ type: 'date' })
  day!: string;

  @Field(() => Int, { description: 'Consecutive days checked in, this one included.' })
  @Property({ type: 'int' })
  streak!: number;

  @Field(() => Int, { description: 'Points it earned, streak bonus included.' })
  @Property({ type: 'int' })
  points!: number;

  @Field(() => Date, { description: 'When.' })
  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;
}

export enum GrowthTaskKind {
  COMPLETE_PROFILE = 'COMPLETE_PROFILE',
  FIRST_ORDER = 'FIRST_ORDER',
  FIRST_REVIEW = 'FIRST_REVIEW',
  INVITE_FRIEND = 'INVITE_FRIEND',
  CHECK_IN_STREAK = 'CHECK_IN_STREAK',
}

registerEnumType(GrowthTaskKind, {
  name: 'GrowthTaskKind',
  description: 'What a growth task (成長任務) asks of a member; its `target` counts the thing.',
  valuesConfig: {
    COMPLETE_PROFILE: { description: 'Complete the profile (完善資料): a shipping address saved. Target 1.' },
    FIRST_ORDER: { description: 'Orders completed: target 1 is the first order.' },
    FIRST_REVIEW: { description: 'Reviews written: target 1 is the first review.' },
    INVITE_FRIEND: { description: 'Friends invited whose first order completed (邀請好友).' },
    CHECK_IN_STREAK: { description: 'Consecutive days checked in, up to today or yesterday.' },
  },
});

/** A growth task staff configure: a goal and its points, rewarded once per member when claimed. */
@ObjectType({ implements: Node, description: 'A growth task (成長任務): reach its target, then claim its points, once.' })
@Entity({ tableName: 'growth_task' })
@Index({ name: 'growth_task_open_idx', properties: ['endsAt', 'id'] })
@Check({ name: 'growth_task_values_check', expression: '"target" >= 1 and "reward_points" >= 1 and ("ends_at" is null or "ends_at" >= "starts_at")' })
export class GrowthTask extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field(() => GrowthTaskKind, { description: 'What it asks.' })
  @Enum({ items: () => GrowthTaskKind })
  kind!: GrowthTaskKind;

  @Field({ description: 'Title shown to members.' })
  @Property({ type: 'text' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Longer explanation.' })
  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Field(() => Int, { description: 'How many of the thing it asks for (1 for firsts).' })
  @Property({ type: 'int', default: 1 })
  target: number & Opt = 1;

  @Field(() => Int, { description: 'Points it rewards, once.' })
  @Property({ type: 'int' })
  rewardPoints!: number;

  @Field(() => Date, { description: 'From when it can be claimed.' })
  @Property({ type: 'timestamptz', length: 3 })
  startsAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Until when it can be claimed; null: no end.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  endsAt?: Date | null;

  @ManyToOne(() => User, { deleteRule: 'restrict', index: 'growth_task_created_by_idx' })
  createdBy!: Rel<User>;
}

/** A growth task rewarded to a member: one per task and user. */
@Entity({ tableName: 'growth_task_reward' })
@Unique({ name: 'growth_task_reward_unique', properties: ['user', 'task'] })
export class GrowthTaskReward {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => GrowthTask, { deleteRule: 'cascade', index: 'growth_task_reward_task_idx' })
  task!: Rel<GrowthTask>;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: Rel<User>;

  @Property({ type: 'int' })
  points!: number;

  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;
}

/** A referral (推薦): who brought whom. One referrer per invitee; rewarded once, when the invitee's first order completes. */
@ObjectType({ description: 'Someone who joined with your referral code, and what it earned you.' })
@Entity({ tableName: 'referral' })
@Index({ name: 'referral_referrer_idx', properties: ['referrer', 'id'] })
@Check({ name: 'referral_self_check', expression: '"referrer_id" <> "invitee_id"' })
export class Referral {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  referrer!: Rel<User>;

  @OneToOne(() => User, { deleteRule: 'cascade', owner: true, unique: 'referral_invitee_unique' })
  invitee!: Rel<User>;

  @Field(() => Date, { description: 'When they joined you.' })
  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When their first order completed and you were both rewarded; null until then.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  rewardedAt?: Date | null;

  /** The invitee's order whose completion rewarded it. */
  @Property({ type: 'bigint', nullable: true })
  rewardOrderId?: string | null;

  @Field(() => Int, { description: 'Points you got for it (0 until rewarded).' })
  @Property({ type: 'int', default: 0 })
  referrerPoints: number & Opt = 0;
}
