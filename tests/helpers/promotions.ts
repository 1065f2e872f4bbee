import type { CouponKind, PromotionKind, PromotionTierData } from '../../src/entities';
import type { TestApp } from './app';
import { idOf } from './kit';

/**
 * Promotions and coupons straight in the database, for tests of the pricing engine's users (cart,
 * quote, checkout, refunds, settlement); the mutations that create them are tested in
 * tests/promotions/{promotions,coupons}.test.ts. Amounts in minor units; times default to a window
 * around the test clock's now (`at`).
 */

const DAY = 86_400_000;

export interface PromotionSpec {
  /** Database key of the shop; null for a platform-wide promotion. */
  shopKey: string | null;
  kind: PromotionKind | `${PromotionKind}`;
  tiers: PromotionTierData[];
  title?: string;
  every?: boolean;
  maxDiscount?: number | null;
  scope?: { all?: boolean; productIds?: string[]; categoryIds?: string[] };
  startsAt?: Date;
  endsAt?: Date;
  perUserLimit?: number | null;
  budget?: number | null;
  stackable?: boolean;
  /** The clock's now: the window defaults to a day either side. */
  at?: Date;
}

/** Inserts a promotion; returns its database key. */
export async function insertPromotion(t: TestApp, spec: PromotionSpec): Promise<string> {
  const at = spec.at ?? new Date();
  const scope = { all: spec.scope?.all ?? !(spec.scope?.productIds || spec.scope?.categoryIds), productIds: spec.scope?.productIds ?? [], categoryIds: spec.scope?.categoryIds ?? [] };
  const [row] = await t.sql(
    `insert into promotion (shop_id, title, kind, tiers, every, max_discount, scope, starts_at, ends_at, per_user_limit, budget, stackable, created_by_id)
     values (?, ?, ?, ?::jsonb, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, (select id from users order by id limit 1)) returning id`,
    [
      spec.shopKey,
      spec.title ?? `${spec.kind} ${spec.tiers.map((x) => x.threshold).join('/')}`,
      spec.kind,
      JSON.stringify(spec.tiers),
      spec.every ?? false,
      spec.maxDiscount ?? null,
      JSON.stringify(scope),
      spec.startsAt ?? new Date(at.getTime() - DAY),
      spec.endsAt ?? new Date(at.getTime() + DAY),
      spec.perUserLimit ?? null,
      spec.budget ?? null,
      spec.stackable ?? true,
    ],
  );
  return String(row.id);
}

export interface CouponSpec {
  /** Database key of the shop; null for a platform coupon. */
  shopKey: string | null;
  kind: CouponKind | `${CouponKind}`;
  amountOff?: number | null;
  percentOffBp?: number | null;
  maxDiscount?: number | null;
  minSubtotal?: number;
  scope?: { all?: boolean; productIds?: string[]; categoryIds?: string[] };
  title?: string;
  validFrom?: Date;
  validUntil?: Date;
  at?: Date;
}

/** Inserts a campaign and one coupon of it held by `userKey`; returns the coupon's global ID and keys. */
export async function grantCoupon(t: TestApp, userKey: string, spec: CouponSpec): Promise<{ id: string; key: string; campaignKey: string }> {
  const at = spec.at ?? new Date();
  const scope = { all: spec.scope?.all ?? !(spec.scope?.productIds || spec.scope?.categoryIds), productIds: spec.scope?.productIds ?? [], categoryIds: spec.scope?.categoryIds ?? [] };
  const validFrom = spec.validFrom ?? new Date(at.getTime() - DAY);
  const validUntil = spec.validUntil ?? new Date(at.getTime() + 7 * DAY);
  const [campaign] = await t.sql(
    `insert into coupon_campaign (shop_id, title, kind, amount_off, percent_off_bp, max_discount, min_subtotal, scope, total_quantity, claimed, per_user_limit,
                                  claim_starts_at, claim_ends_at, valid_until, audience, created_by_id)
     values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, 1000, 1, 10, ?, ?, ?, 'ALL', (select id from users order by id limit 1)) returning id`,
    [
      spec.shopKey,
      spec.title ?? `${spec.kind} coupon`,
      spec.kind,
      spec.amountOff ?? null,
      spec.percentOffBp ?? null,
      spec.maxDiscount ?? null,
      spec.minSubtotal ?? 0,
      JSON.stringify(scope),
      new Date(at.getTime() - 2 * DAY),
      new Date(at.getTime() + 2 * DAY),
      validUntil,
    ],
  );
  const [coupon] = await t.sql(
    `insert into user_coupon (campaign_id, user_id, status, claimed_at, valid_from, valid_until) values (?, ?, 'AVAILABLE', ?, ?, ?) returning id`,
    [campaign.id, userKey, validFrom, validFrom, validUntil],
  );
  return { id: idOf('UserCoupon', String(coupon.id)), key: String(coupon.id), campaignKey: String(campaign.id) };
}

/** The fields of a priced cart, quote or order group worth comparing. */
export const PRICED_GROUP = `shop { id } subtotal { amountMinor } shippingFee { amountMinor } discountTotal { amountMinor } total { amountMinor }
  discounts { source title fundedBy amount { amountMinor } shippingAmount { amountMinor } } gifts { quantity variant { id } }`;
export const PRICED = `groups { ${PRICED_GROUP} } subtotal { amountMinor } shippingTotal { amountMinor } discountTotal { amountMinor } total { amountMinor }
  discounts { source title fundedBy amount { amountMinor } } applicableCoupons { coupon { id } discount { amountMinor } }`;
export const CART = `query { cart { ${PRICED} } }`;
export const QUOTE = `query($input: CheckoutQuoteInput!) { checkoutQuote(input: $input) { ${PRICED} } }`;
export const CHECKOUT_PRICED = `mutation($input: CheckoutInput!, $key: String!) { checkout(input: $input, idempotencyKey: $key) {
  checkout { id status total { amountMinor } orders { id number status subtotal { amountMinor } shippingFee { amountMinor } discountTotal { amountMinor } total { amountMinor }
    shop { id } discounts { source title fundedBy amount { amountMinor } shippingAmount { amountMinor } }
    lines { id sku quantity gift unitPrice { amountMinor } lineTotal { amountMinor } discount { amountMinor } } } }
  errors { code field message } } }`;
