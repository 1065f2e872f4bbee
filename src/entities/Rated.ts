import { ArrayType, type Opt, Property } from '@mikro-orm/core';
import { ObjectType } from 'type-graphql';
import { TimestampedNode } from './Node';

/**
 * The rating columns of what is reviewed (products and shops): the published reviews' count, Σ
 * stars, per-star counts and aspect sums. Kept on write by services/reviews/ratings.ts, in the
 * transaction that publishes or hides a review; never recounted per read. Read through
 * `ratingOf`, exposed as `rating`.
 */
@ObjectType()
export abstract class RatedNode extends TimestampedNode {
  /** Published reviews counted in the rating. */
  @Property({ type: 'int', default: 0 })
  ratingCount: Opt<number> = 0;

  /** Σ stars of the published reviews. */
  @Property({ type: 'int', default: 0 })
  ratingSum: Opt<number> = 0;

  /** Published reviews per star: [1★, 2★, 3★, 4★, 5★]. */
  @Property({ type: new ArrayType((i) => Number(i)), columnType: 'int[]', default: '{0,0,0,0,0}' })
  ratingDistribution: Opt<number[]> = [0, 0, 0, 0, 0];

  /** Published reviews that rated the aspects, and the Σ of each aspect over them. */
  @Property({ type: 'int', default: 0 })
  aspectCount: Opt<number> = 0;

  @Property({ type: 'int', default: 0 })
  aspectDescriptionSum: Opt<number> = 0;

  @Property({ type: 'int', default: 0 })
  aspectServiceSum: Opt<number> = 0;

  @Property({ type: 'int', default: 0 })
  aspectLogisticsSum: Opt<number> = 0;
}
