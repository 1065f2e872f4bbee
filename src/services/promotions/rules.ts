import type { EntityManager } from '@mikro-orm/postgresql';
import { columnsOf, mapAliased, rowShape, selectRows } from '../../db/rows';
import { CouponCampaign, PromotionKind, type PromotionTierData, type ScopeData, UserCoupon, UserCouponStatus } from '../../entities';
import type { CouponRule, GiftVariant, PromotionRule } from './pricing';

/**
 * What the pricing engine needs from the database, in a fixed number of statements whatever the
 * cart: the promotions live now for the cart's shops and the platform (with this buyer's uses left
 * and each budget's rest), the gift variants they offer, and the buyer's coupons (usable ones for
 * `applicableCoupons`, and the chosen ones whatever their state, to say why one cannot be used).
 */

/** A shopper's wallet is priced newest-expiry first and at most this many coupons deep. */
const WALLET_LIMIT = 100;

const PROMOTION_ROW = rowShape({
  id: 'key',
  shop_id: 'key?',
  title: 'text',
  kind: 'text',
  tiers: 'json',
  every: 'bool',
  max_discount: 'number?',
  scope: 'json',
  stackable: 'bool',
  budget_left: 'number?',
  uses_left: 'int?',
});

const GIFT_ROW = rowShape({ variant_id: 'key', product_id: 'key', shop_id: 'key', available: 'number', price: 'number', sku: 'text', title: 'text', product_title: 'text' });

/** The SQL condition "promotion `p` is live at the first parameter" (and the second, the same time). */
export const LIVE_PROMOTION_SQL = 'p.cancelled_at is null and p.starts_at <= ? and p.ends_at > ? and (p.budget is null or p.spent < p.budget)';

export interface PricingRules {
  promotions: PromotionRule[];
  gifts: Map<string, GiftVariant>;
  /** The buyer's usable coupons. */
  wallet: CouponRule[];
  /** The chosen coupons found among the buyer's, by key (whatever their state). */
  chosen: Map<string, CouponRule>;
  /** The coupons read, as entities with their campaigns (for the loaders: `applicableCoupons { coupon }` costs nothing more). */
  coupons: UserCoupon[];
}

/**
 * Loads the rules for pricing a cart of `shopIds` for `buyerId` at `now`. Uses count the buyer's
 * checkouts with an order, not cancelled, that the promotion discounted.
 */
export async function loadPricingRules(em: EntityManager, q: { buyerId: string; shopIds: string[]; chosenIds: string[]; now: Date }): Promise<PricingRules> {
  const promotionRows = await selectRows(
    em,
    PROMOTION_ROW,
    `select p.id, p.shop_id, p.title, p.kind, p.tiers, p.every, p.max_discount, p.scope, p.stackable,
            p.budget - p.spent as budget_left,
            -- Counted only for a promotion with a limit, through the buyer's own orders (offset 0 keeps
            -- the planner from scanning every use of the promotion instead).
            case when p.per_user_limit is null then null else p.per_user_limit - (
              select count(distinct o.checkout_id) from orders o
              where o.buyer_id = ? and o.status <> 'CANCELLED'
                and exists (select 1 from order_discount d where d.order_id = o.id and d.promotion_id = p.id offset 0)
            ) end as uses_left
     from promotion p
     where ${LIVE_PROMOTION_SQL} and (p.shop_id is null ${q.shopIds.length ? 'or p.shop_id in (?)' : ''})
     order by p.id`,
    [q.buyerId, q.now, q.now, ...(q.shopIds.length ? [q.shopIds] : [])],
  );
  const promotions: PromotionRule[] = promotionRows.map((r) => ({
    id: r.id,
    shopId: r.shop_id,
    title: r.title,
    kind: r.kind as PromotionKind,
    tiers: r.tiers as PromotionTierData[],
    every: r.every,
    maxDiscount: r.max_discount,
    scope: r.scope as ScopeData,
    stackable: r.stackable,
    budgetLeft: r.budget_left,
    usesLeft: r.uses_left,
  }));

  const giftIds = [...new Set(promotions.flatMap((p) => (p.kind === PromotionKind.GIFT_WITH_PURCHASE ? p.tiers.map((t) => t.giftVariantId!) : [])))];
  const couponSql = `select ${columnsOf(em, UserCoupon, 'uc', true)}, ${columnsOf(em, CouponCampaign, 'c', true)}
     from user_coupon uc join coupon_campaign c on c.id = uc.campaign_id`;
  // One after the other: inside checkout's transaction both would go to the same connection, where
  // pg queues a second query sent before the first answered (and pg 9 refuses it).
  const couponRows = await em.execute<Record<string, unknown>[]>(
    `(${couponSql} where uc.user_id = ? and uc.status = 'AVAILABLE' and uc.valid_from <= ? and uc.valid_until > ? order by uc.valid_until, uc.id limit ${WALLET_LIMIT})
     ${q.chosenIds.length ? `union (${couponSql} where uc.user_id = ? and uc.id in (?))` : ''}`,
    [q.buyerId, q.now, q.now, ...(q.chosenIds.length ? [q.buyerId, q.chosenIds] : [])],
  );
  const giftRows = giftIds.length
    ? await selectRows(
        em,
        GIFT_ROW,
        `select v.id as variant_id, v.product_id, p.shop_id, case when p.visible and not v.archived then greatest(v.on_hand - v.reserved, 0) else 0 end as available, v.price, v.sku, v.title, p.title as product_title
         from product_variant v join product p on p.id = v.product_id where v.id in (?)`,
        [giftIds],
      )
    : [];
  const entities = couponRows.map((row) => {
    mapAliased(em, CouponCampaign, row, 'c');
    return mapAliased(em, UserCoupon, row, 'uc');
  });
  const toRule = (uc: UserCoupon): CouponRule => {
    const c = uc.campaign;
    return {
      id: uc.id,
      shopId: c.shop?.id ?? null,
      title: c.title,
      kind: c.kind,
      amountOff: c.amountOff ?? null,
      percentOffBp: c.percentOffBp ?? null,
      maxDiscount: c.maxDiscount ?? null,
      minSubtotal: c.minSubtotal,
      scope: c.scope,
      status: uc.status,
      validFrom: uc.validFrom,
      validUntil: uc.validUntil,
    };
  };
  const coupons = entities.map(toRule);
  const chosenSet = new Set(q.chosenIds);
  const gifts = new Map(
    giftRows
      .map((g) => ({ variantId: g.variant_id, productId: g.product_id, shopId: g.shop_id, available: g.available, price: g.price, sku: g.sku, title: g.title, productTitle: g.product_title }))
      // A gift ships with the shop's parcel: only a variant of the promotion's own shop.
      .filter((g) => promotions.some((p) => p.shopId === g.shopId && p.tiers.some((t) => t.giftVariantId === g.variantId)))
      .map((g) => [g.variantId, g]),
  );
  return {
    promotions,
    gifts,
    wallet: coupons.filter((c) => c.status === UserCouponStatus.AVAILABLE && c.validFrom <= q.now && q.now < c.validUntil),
    chosen: new Map(coupons.filter((c) => chosenSet.has(c.id)).map((c) => [c.id, c])),
    coupons: entities,
  };
}
