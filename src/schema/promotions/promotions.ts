import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Promotion, PromotionKind, PromotionStatus, type ScopeData } from '../../entities';
import { UserError } from '../shared/common';
import { Money } from '../shared/money';
import { connectionTypes } from '../shared/relay';
import { DecimalScalar } from '../shared/scalars';

// ---------- scope (promotions and coupons) ----------

@InputType({ description: 'What a promotion or coupon covers: everything, or 1 to 200 products and categories in total (a category covers its subcategories).' })
export class PromotionScopeInput {
  @Field(() => Boolean, { description: 'true: everything (of the shop, for a shop’s own; of every shop, for the platform’s), listing nothing else.' })
  all!: boolean;

  @Field(() => [ID], { nullable: true, description: 'Products covered; a shop’s own promotion or coupon lists only its own products.' })
  productIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Categories covered, with their subcategories.' })
  categoryIds?: string[] | null;
}

@ObjectType({ description: 'What a promotion or coupon covers.' })
export class PromotionScope {
  @Field(() => Boolean, { description: 'Everything (of its shop, for a shop’s own).' })
  all!: boolean;

  /** The stored scope, for the products and categories field resolvers. */
  data!: ScopeData;
}

// ---------- promotions ----------

@InputType({ description: 'One tier of a promotion. Which fields a tier takes depends on the kind; the others must be absent.' })
export class PromotionTierInput {
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Spend on the scope that unlocks the tier, e.g. "200.00": more than 0 for AMOUNT_OFF_THRESHOLD and GIFT_WITH_PURCHASE, 0 or more for PERCENT_OFF (0 when omitted); not for FIXED_PRICE_BUNDLE. Each tier’s is higher than the one before.',
  })
  threshold?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'AMOUNT_OFF_THRESHOLD: taken off, more than 0 and at most the threshold; each tier’s more than the one before.' })
  amountOff?: string | null;

  @Field(() => Float, { nullable: true, description: 'PERCENT_OFF: percent off, more than 0 and less than 100, at most 2 decimals (15 is 15% off, 8.5折); each tier’s more than the one before.' })
  percentOff?: number | null;

  @Field(() => Int, { nullable: true, description: 'FIXED_PRICE_BUNDLE: units in a bundle, 2 to 99.' })
  quantity?: number | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'FIXED_PRICE_BUNDLE: what a bundle costs, more than 0.' })
  price?: string | null;

  @Field(() => ID, { nullable: true, description: 'GIFT_WITH_PURCHASE: the gift, a variant of one of the shop’s own products.' })
  giftVariantId?: string | null;
}

@InputType({ description: 'A new promotion: a shop’s own (its OWNER, MANAGER and OPERATOR members, an ACTIVE shop) or, without `shopId`, a platform-wide one (staff OPERATIONS).' })
export class PromotionInput {
  @Field(() => ID, { nullable: true, description: 'The shop running it; omit for a platform-wide promotion (staff OPERATIONS), which the platform funds.' })
  shopId?: string | null;

  @Field({ description: 'Title shown to shoppers, 2 to 40 characters.' })
  title!: string;

  @Field(() => PromotionKind, { description: 'How it discounts; `tiers` carry the numbers.' })
  kind!: PromotionKind;

  @Field(() => [PromotionTierInput], { description: '1 to 5 tiers (a bundle exactly one); the best tier met applies.' })
  tiers!: PromotionTierInput[];

  @Field(() => Boolean, { defaultValue: false, description: 'AMOUNT_OFF_THRESHOLD with exactly one tier: it repeats for every full threshold (每滿200減20).' })
  every!: boolean;

  @Field(() => DecimalScalar, { nullable: true, description: 'The most it takes off one order, more than 0: for PERCENT_OFF and `every` promotions only.' })
  maxDiscount?: string | null;

  @Field(() => PromotionScopeInput, { description: 'What it covers.' })
  scope!: PromotionScopeInput;

  @Field(() => Date, { description: 'Start of its window.' })
  startsAt!: Date;

  @Field(() => Date, { description: 'End of its window (exclusive): after `startsAt`, in the future, at most 366 days after the start.' })
  endsAt!: Date;

  @Field(() => Int, { nullable: true, description: 'How many checkouts of one shopper it applies to, 1 to 100; omit for no limit.' })
  perUserLimit?: number | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'The most it may give away in total, more than 0; it ends when spent. Omit for no budget.' })
  budget?: string | null;

  @Field(() => Boolean, { defaultValue: true, description: 'Whether it combines with the other promotions of its funder on the same order.' })
  stackable!: boolean;
}

@ObjectType({ description: 'Result of `createPromotion` and `cancelPromotion`.' })
export class PromotionPayload {
  @Field(() => Promotion, { nullable: true, description: 'The promotion; null when `errors` is not empty.' })
  promotion?: Promotion | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'One tier of a promotion; the fields its kind does not use are null.' })
export class PromotionTier {
  @Field(() => Money, { nullable: true, description: 'Spend on the scope that unlocks the tier; null for a bundle.' })
  threshold!: Money | null;

  @Field(() => Money, { nullable: true, description: 'AMOUNT_OFF_THRESHOLD: taken off.' })
  amountOff!: Money | null;

  @Field(() => Float, { nullable: true, description: 'PERCENT_OFF: percent off (15 is 15% off).' })
  percentOff!: number | null;

  @Field(() => Int, { nullable: true, description: 'FIXED_PRICE_BUNDLE: units in a bundle.' })
  quantity!: number | null;

  @Field(() => Money, { nullable: true, description: 'FIXED_PRICE_BUNDLE: what a bundle costs.' })
  price!: Money | null;

  /** Database key of the gift variant, for the `giftVariant` field resolver. */
  giftVariantKey!: string | null;
}

@InputType({ description: 'Filters of the promotion list.' })
export class PromotionFilter {
  @Field(() => ID, { nullable: true, description: 'Only this shop’s promotions. Its members see every one; anyone else the ACTIVE ones.' })
  shopId?: string | null;

  @Field(() => PromotionStatus, { nullable: true, description: 'Only promotions with this status (shoppers see ACTIVE ones only: another status finds none).' })
  status?: PromotionStatus | null;

  @Field(() => PromotionKind, { nullable: true, description: 'Only promotions of this kind.' })
  kind?: PromotionKind | null;
}

export const { ConnectionType: PromotionConnection } = connectionTypes(Promotion);
