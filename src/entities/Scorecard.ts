import { BigIntType, Check, Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Shop } from './Shop';

export enum ScorecardLevel {
  EXCELLENT = 'EXCELLENT',
  GOOD = 'GOOD',
  NEEDS_IMPROVEMENT = 'NEEDS_IMPROVEMENT',
  AT_RISK = 'AT_RISK',
  NOT_RATED = 'NOT_RATED',
}

registerEnumType(ScorecardLevel, {
  name: 'ScorecardLevel',
  description: 'A shop’s service level from its scorecard score (our own bands).',
  valuesConfig: {
    EXCELLENT: { description: 'Score 90 or more.' },
    GOOD: { description: 'Score 75 to 89.' },
    NEEDS_IMPROVEMENT: { description: 'Score 60 to 74.' },
    AT_RISK: { description: 'Score below 60: recorded for the owner and the RISK team when the shop drops to it.' },
    NOT_RATED: { description: 'No paid order in the last 30 days: nothing to score.' },
  },
});

/**
 * A shop's performance scorecard (商家績效) over the 30 days before `computedAt`, one row per shop,
 * rewritten for every shop at once by `compute-scorecards` (services/reviews/scorecards.ts). Rates
 * are 0–1; a figure without a denominator (no order due to ship, no review, no ticket) is null and
 * left out of the score, whose other weights are scaled up to 100.
 */
@ObjectType({ description: 'A shop’s performance over the last 30 days (商家績效): service rates, rating, response time, a 0–100 score and a level.' })
@Entity({ tableName: 'shop_scorecard' })
@Index({ name: 'shop_scorecard_score_idx', properties: ['score', 'shop'] })
@Index({ name: 'shop_scorecard_level_idx', properties: ['level', 'score', 'shop'] })
@Check({ name: 'shop_scorecard_score_check', expression: '"score" between 0 and 100' })
export class ShopScorecard {
  @ManyToOne(() => Shop, { primary: true, deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Field(() => Date, { description: 'When it was computed; it covers the 30 days before.' })
  @Property({ type: 'timestamptz', length: 3 })
  computedAt!: Date;

  @Field(() => Date, { description: 'Start of the 30 days covered.' })
  @Property({ type: 'timestamptz', length: 3 })
  windowStart!: Date;

  @Field(() => Int, { description: 'Orders paid in the 30 days: the denominator of the cancellation, after-sale, refund and dispute rates.' })
  @Property({ type: 'int' })
  paidOrders!: number;

  @Field(() => Float, { nullable: true, description: 'Of the orders paid in the 30 days that were due to ship (shipped; cancelled by the shop; still open, or cancelled unshipped by anyone, SHIP_WITHIN_HOURS after payment — not those the buyer, staff or the platform cancelled within it), the share shipped within SHIP_WITHIN_HOURS of payment.' })
  @Property({ type: 'double', nullable: true })
  shipOnTimeRate?: number | null;

  @Field(() => Float, { nullable: true, description: 'Orders paid in the 30 days that the shop cancelled, per paid order.' })
  @Property({ type: 'double', nullable: true })
  cancellationRate?: number | null;

  @Field(() => Float, { nullable: true, description: 'After-sale cases opened in the 30 days, per paid order.' })
  @Property({ type: 'double', nullable: true })
  afterSaleRate?: number | null;

  @Field(() => Float, { nullable: true, description: 'After-sale cases that closed REFUNDED in the 30 days, per paid order.' })
  @Property({ type: 'double', nullable: true })
  refundRate?: number | null;

  @Field(() => Float, { nullable: true, description: 'Arbitrations ruled FOR_BUYER (against the shop) in the 30 days, per paid order.' })
  @Property({ type: 'double', nullable: true })
  disputeRate?: number | null;

  @Field(() => Float, { nullable: true, description: 'Average stars of the reviews written in the 30 days and published, the platform’s automatic ones left out; null without any.' })
  @Property({ type: 'double', nullable: true })
  averageRating?: number | null;

  @Field(() => Int, { description: 'Reviews behind `averageRating`.' })
  @Property({ type: 'int', default: 0 })
  reviewCount: Opt<number> = 0;

  @Field(() => Float, {
    nullable: true,
    description: 'Median minutes to the first answer of the tickets naming the shop and of its after-sale cases opened in the 30 days (one still unanswered counts the minutes so far); null without any.',
  })
  @Property({ type: 'double', nullable: true })
  firstResponseMinutesP50?: number | null;

  @Field(() => Int, { nullable: true, description: '0–100, the weighted sum of the figures (see README “Merchant scorecard”); null when NOT_RATED.' })
  @Property({ type: 'smallint', nullable: true })
  score?: number | null;

  @Field(() => ScorecardLevel, { description: 'The band of the score.' })
  @Enum({ items: () => ScorecardLevel })
  level!: ScorecardLevel;

  @Field(() => Date, { description: 'Since when the shop has been at this level.' })
  @Property({ type: 'timestamptz', length: 3 })
  levelSince!: Date;
}

/**
 * A change of a shop's scorecard level, recorded by `compute-scorecards` in the same statement as
 * the scorecard. A drop to AT_RISK is what the owner and the RISK team are told about; a notifier
 * delivers the pending ones (`notifiedAt`).
 */
@ObjectType({ description: 'A change of a shop’s scorecard level.' })
@Entity({ tableName: 'scorecard_level_change' })
@Index({ name: 'scorecard_level_change_shop_idx', properties: ['shop', 'id'] })
@Index({ name: 'scorecard_level_change_level_idx', properties: ['toLevel', 'id'] })
@Index({ name: 'scorecard_level_change_pending_idx', expression: 'create index "scorecard_level_change_pending_idx" on "scorecard_level_change" ("id") where "notified_at" is null' })
export class ScorecardLevelChange {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Field(() => ScorecardLevel, { nullable: true, description: 'The level before (null for the shop’s first scorecard).' })
  @Enum({ items: () => ScorecardLevel, nullable: true })
  fromLevel?: ScorecardLevel | null;

  @Field(() => ScorecardLevel, { description: 'The level after.' })
  @Enum({ items: () => ScorecardLevel })
  toLevel!: ScorecardLevel;

  @Field(() => Int, { nullable: true, description: 'The score after.' })
  @Property({ type: 'smallint', nullable: true })
  score?: number | null;

  @Field(() => Date, { description: 'When it was computed.' })
  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  notifiedAt?: Date | null;
}
