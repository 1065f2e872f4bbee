import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CouponAudience, CouponCampaign, CouponKind, UserCoupon } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { DecimalScalar } from '../shared/scalars';
import { PromotionScopeInput } from './promotions';

/** Where a coupon campaign stands, derived from the clock and its counts (`couponCampaignStatus`). */
export enum CouponCampaignStatus {
  UPCOMING = 'UPCOMING',
  CLAIMABLE = 'CLAIMABLE',
  SOLD_OUT = 'SOLD_OUT',
  ENDED = 'ENDED',
}

registerEnumType(CouponCampaignStatus, {
  name: 'CouponCampaignStatus',
  description: 'Where a coupon campaign stands now.',
  valuesConfig: {
    UPCOMING: { description: 'Its claim window has not started.' },
    CLAIMABLE: { description: 'Open for claiming, with coupons left.' },
    SOLD_OUT: { description: 'Open, but every coupon is claimed.' },
    ENDED: { description: 'Its claim window is over, its coupons’ validity has passed, or it was ended.' },
  },
});

@InputType({ description: 'A new coupon campaign: a shop’s own (its OWNER, MANAGER and OPERATOR members, an ACTIVE shop) or, without `shopId`, a platform-funded one (staff OPERATIONS).' })
export class CouponCampaignInput {
  @Field(() => ID, { nullable: true, description: 'The shop funding it; omit for a platform coupon (staff OPERATIONS).' })
  shopId?: string | null;

  @Field({ description: 'Title, 2 to 40 characters, e.g. "新人券 10 元".' })
  title!: string;

  @Field(() => CouponKind, { description: 'What it takes off.' })
  kind!: CouponKind;

  @Field(() => DecimalScalar, { nullable: true, description: 'AMOUNT_OFF (required there, only there): taken off, more than 0 and at most `minSubtotal` when that is set.' })
  amountOff?: string | null;

  @Field(() => Float, { nullable: true, description: 'PERCENT_OFF (required there, only there): percent off, more than 0 and less than 100, at most 2 decimals.' })
  percentOff?: number | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'PERCENT_OFF only: the most it takes off, more than 0.' })
  maxDiscount?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Spend on the scope the coupon needs (0 when omitted).' })
  minSubtotal?: string | null;

  @Field(() => PromotionScopeInput, { description: 'What it covers.' })
  scope!: PromotionScopeInput;

  @Field(() => Int, { description: 'Coupons in the campaign, 1 to 1,000,000.' })
  totalQuantity!: number;

  @Field(() => Int, { defaultValue: 1, description: 'Coupons one shopper may claim, 1 to 100.' })
  perUserLimit!: number;

  @Field(() => Date, { description: 'Claiming opens.' })
  claimStartsAt!: Date;

  @Field(() => Date, { description: 'Claiming closes (exclusive): after `claimStartsAt`, in the future.' })
  claimEndsAt!: Date;

  @Field(() => Int, { nullable: true, description: 'A claimed coupon is valid this many days, 1 to 365. Give this or `validUntil`.' })
  validDays?: number | null;

  @Field(() => Date, { nullable: true, description: 'Every coupon is valid until then: after `claimStartsAt`, in the future. Give this or `validDays`.' })
  validUntil?: Date | null;

  @Field(() => CouponAudience, { defaultValue: CouponAudience.ALL, description: 'Who may claim.' })
  audience!: CouponAudience;

  @Field(() => Int, { nullable: true, description: 'MEMBER_LEVEL (required there, only there): the lowest level that may claim, 1 to 20.' })
  memberLevel?: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'A code shoppers type to claim: 4 to 32 letters, digits and dashes, any case (stored upper-case), unique. A code campaign is never listed to shoppers and is claimed by its code only.',
  })
  code?: string | null;

  @Field(() => Boolean, { defaultValue: false, description: 'NEW_USERS only: grant a coupon to every shopper who registers while claiming is open.' })
  autoGrant!: boolean;
}

@InputType({ description: 'Claim a coupon: by the campaign, or by a code.' })
export class ClaimCouponInput {
  @Field(() => ID, { nullable: true, description: 'A campaign without a code (as `couponCampaigns` lists them).' })
  campaignId?: string | null;

  @Field(() => String, { nullable: true, description: 'A code campaign’s code, any case.' })
  code?: string | null;
}

@ObjectType({ description: 'Result of `createCouponCampaign` and `endCouponCampaign`.' })
export class CouponCampaignPayload {
  @Field(() => CouponCampaign, { nullable: true, description: 'The campaign; null when `errors` is not empty.' })
  couponCampaign?: CouponCampaign | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `claimCoupon`.' })
export class UserCouponPayload {
  @Field(() => UserCoupon, { nullable: true, description: 'The coupon you now hold; null when `errors` is not empty.' })
  userCoupon?: UserCoupon | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'Filters of the coupon campaign list.' })
export class CouponCampaignFilter {
  @Field(() => ID, { nullable: true, description: 'Only this shop’s campaigns. Its members see every one; anyone else the claimable ones without a code.' })
  shopId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only CLAIMABLE campaigns; false: only the others (shoppers see claimable ones only: false finds none).' })
  claimable?: boolean | null;
}

@InputType({ description: 'Filters of your coupons.' })
export class MyCouponsFilter {
  @Field(() => Boolean, { nullable: true, description: 'true: coupons you can use now (AVAILABLE and valid); false: the others (used, expired, not yet valid).' })
  usable?: boolean | null;
}

export const { ConnectionType: CouponCampaignConnection } = connectionTypes(CouponCampaign);
export const { ConnectionType: UserCouponConnection } = connectionTypes(UserCoupon);
