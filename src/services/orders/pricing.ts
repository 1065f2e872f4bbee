import type { EntityManager } from '@mikro-orm/postgresql';
import { UserErrorCode } from '../../errors';
import { type CouponProblem, type PointsRedemption, type PriceLine, priceCart, type Pricing } from '../promotions/pricing';
import { memberShippingOf } from '../membership/standing';
import { loadPricingRules, type PricingRules } from '../promotions/rules';
import { loadShippingTemplates, shippingFees } from './shipping';

/** A cart line as the pricing engine and the shipping-fee function see it. */
export interface CartPriceLine extends PriceLine {
  templateId: string | null;
}

export interface PricedCart {
  pricing: Pricing;
  rules: PricingRules;
  /** Why chosen coupons cannot be used, by their index in `couponIds`; empty when all apply. */
  problems: CouponProblem[];
}

/**
 * Prices the buyable lines of a cart — the one path the cart, `checkoutQuote` and `checkout` take,
 * so all three show and charge the same amounts for the same lines, address, coupons and points.
 * Costs the rule queries of `loadPricingRules`, one query for the shops' shipping templates and one
 * for the buyer's member level's free shipping.
 * Shipping fees are quoted on the lines' subtotal before discounts (a free-shipping threshold
 * counts what the goods cost, not what a coupon leaves of it); gifts ship free in the shop's parcel.
 */
export async function priceCartLines(
  em: EntityManager,
  q: { buyerId: string; lines: CartPriceLine[]; province: string | null; couponIds: string[]; now: Date; points?: PointsRedemption | null },
): Promise<PricedCart> {
  const shopIds = [...new Set(q.lines.map((l) => l.shopId))];
  const rulesOf = () => loadPricingRules(em, { buyerId: q.buyerId, shopIds, chosenIds: q.couponIds, now: q.now });
  const templatesOf = () => loadShippingTemplates(em, shopIds);
  const memberOf = () => memberShippingOf(em, q.buyerId);
  // Outside a transaction they go to pooled connections at once; inside checkout's they share one
  // connection, where pg queues a query sent before the last answered (pg 9 refuses it).
  const [rules, templates, memberShipping] = em.isInTransaction()
    ? [await rulesOf(), await templatesOf(), await memberOf()]
    : await Promise.all([rulesOf(), templatesOf(), memberOf()]);
  const fees = shippingFees(
    templates,
    shopIds.map((shopId) => {
      const own = q.lines.filter((l) => l.shopId === shopId);
      return { shopId, subtotal: own.reduce((s, l) => s + l.unitPrice * l.quantity, 0), lines: own.map((l) => ({ templateId: l.templateId, quantity: l.quantity })) };
    }),
    q.province,
  );
  // Coupons not among the buyer's are refused here; the engine judges the others.
  const found = q.couponIds.map((id, index) => ({ index, rule: rules.chosen.get(id) }));
  const problems: CouponProblem[] = found
    .filter((f) => !f.rule)
    .map((f) => ({ index: f.index, code: UserErrorCode.COUPON_NOT_APPLICABLE, message: 'No such coupon among yours' }));
  const known = found.filter((f) => f.rule);
  const pricing = priceCart({
    lines: q.lines,
    promotions: rules.promotions,
    gifts: rules.gifts,
    chosen: known.map((f) => f.rule!),
    wallet: rules.wallet,
    shippingFees: fees,
    now: q.now,
    memberShipping,
    points: q.points,
  });
  for (const p of pricing.problems) problems.push({ ...p, index: known[p.index].index });
  problems.sort((a, b) => a.index - b.index);
  return { pricing, rules, problems };
}
