import type { EntityManager } from '@mikro-orm/postgresql';
import type { Product, Review, Shop } from '../../entities';

/**
 * The product's and the shop's ratings count PUBLISHED reviews. They are kept on write: a review
 * entering PUBLISHED adds its stars, leaving it takes them away, both in the transaction that moves
 * the review (whose row is locked), with one statement for the product and the shop together.
 * Nothing ever recounts them per read; `tests/reviews/ratings.test.ts` checks them against a full
 * recount after random sequences of writes.
 */

/** What a review adds to (+1) or takes from (−1) a rating. */
interface Contribution {
  productId: string;
  shopId: string;
  rating: number;
  /** The three aspects, or null when the buyer rated none. */
  aspects: [number, number, number] | null;
}

export function contributionOf(review: Review): Contribution {
  const aspects = review.aspectDescription != null ? ([review.aspectDescription, review.aspectService!, review.aspectLogistics!] as [number, number, number]) : null;
  return { productId: review.product.id, shopId: review.shop.id, rating: review.rating, aspects };
}

const SET = `rating_count = rating_count + ?, rating_sum = rating_sum + ?,
  rating_distribution[?] = rating_distribution[?] + ?,
  aspect_count = aspect_count + ?, aspect_description_sum = aspect_description_sum + ?,
  aspect_service_sum = aspect_service_sum + ?, aspect_logistics_sum = aspect_logistics_sum + ?`;

/** Adds (`sign` 1) or removes (−1) one review's stars to its product's and shop's ratings: one statement. */
export async function applyRating(em: EntityManager, c: Contribution, sign: 1 | -1): Promise<void> {
  const [d, s, l] = c.aspects ?? [0, 0, 0];
  const params = [sign, sign * c.rating, c.rating, c.rating, sign, c.aspects ? sign : 0, sign * d, sign * s, sign * l];
  await em.execute(`with p as (update product set ${SET} where id = ? returning 1) update shop set ${SET} where id = ?`, [...params, c.productId, ...params, c.shopId]);
}

/** The rating a product or shop shows: published reviews only. */
export interface RatingView {
  average: number | null;
  count: number;
  distribution: number[];
  aspects: { description: number; service: number; logistics: number; count: number } | null;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Reads the kept columns of a product or shop into its rating (no query). */
export function ratingOf(row: Product | Shop): RatingView {
  return {
    average: row.ratingCount > 0 ? round2(row.ratingSum / row.ratingCount) : null,
    count: row.ratingCount,
    distribution: [...row.ratingDistribution],
    aspects:
      row.aspectCount > 0
        ? {
            description: round2(row.aspectDescriptionSum / row.aspectCount),
            service: round2(row.aspectServiceSum / row.aspectCount),
            logistics: round2(row.aspectLogisticsSum / row.aspectCount),
            count: row.aspectCount,
          }
        : null,
  };
}
