import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Float, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { CouponCampaign, CouponKind, Shop, UserCoupon } from '../../entities';
import * as promotions from '../../services/promotions';
import { money } from '../../services/shared';
import {
  ClaimCouponInput,
  CouponCampaignConnection,
  CouponCampaignFilter,
  CouponCampaignInput,
  CouponCampaignPayload,
  CouponCampaignStatus,
  MyCouponsFilter,
  UserCouponConnection,
  UserCouponPayload,
} from '../../schema/promotions/coupons';
import { PromotionScope } from '../../schema/promotions/promotions';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class CouponCampaignsArgs extends ConnectionArgs {
  @Field(() => CouponCampaignFilter, { nullable: true, description: 'Filters.' })
  filter?: CouponCampaignFilter | null;
}

@ArgsType()
class MyCouponsArgs extends ConnectionArgs {
  @Field(() => MyCouponsFilter, { nullable: true, description: 'Filters.' })
  filter?: MyCouponsFilter | null;
}

const amount = (minor: number | null | undefined, ctx: Context): Money | null => (minor == null ? null : money(minor, ctx.deps.config.currency));
const wrapCampaign = (couponCampaign: CouponCampaign) => ({ couponCampaign });

@Resolver(() => CouponCampaign)
export class CouponCampaignResolver {
  @Query(() => CouponCampaignConnection, {
    description: 'Coupon campaigns, newest first: shoppers see those they can claim now (never code campaigns); a shop’s members every one of their shop (with `filter.shopId`); staff OPERATIONS every one.',
  })
  couponCampaigns(@Args() args: CouponCampaignsArgs, @Ctx() ctx: Context) {
    return connection(promotions.listCouponCampaigns(ctx, { ...args, filter: args.filter && decodeInput(args.filter, { shopId: 'Shop' }) }));
  }

  @Mutation(() => CouponCampaignPayload, {
    description: 'Create a coupon campaign: a shop’s own (OWNER, MANAGER, OPERATOR of an ACTIVE shop) or, without `shopId`, a platform-funded one (staff OPERATIONS).',
  })
  createCouponCampaign(@Arg('input', { description: INPUT_DESCRIPTION }) input: CouponCampaignInput, @Ctx() ctx: Context): Promise<CouponCampaignPayload> {
    const ids = { shopId: 'Shop', scope: { productIds: ['Product'], categoryIds: ['Category'] } } as const;
    return payload(() => promotions.createCouponCampaign(ctx, decodeInput(input, ids)), wrapCampaign);
  }

  @Mutation(() => CouponCampaignPayload, { description: 'Stop claiming from a campaign now (its shop’s OWNER, MANAGER, OPERATOR; staff OPERATIONS). Coupons already claimed stay usable.' })
  endCouponCampaign(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<CouponCampaignPayload> {
    return payload(() => promotions.endCouponCampaign(ctx, decodeId('CouponCampaign', input.id)), wrapCampaign);
  }

  @FieldResolver(() => Shop, { nullable: true, description: 'The shop funding it; null for a platform coupon.' })
  shop(@Root() campaign: CouponCampaign, @Ctx() ctx: Context): Promise<Shop | null> | null {
    return campaign.shop ? ctx.loaders.shopById.load(campaign.shop.id) : null;
  }

  @FieldResolver(() => Money, { nullable: true, description: 'AMOUNT_OFF: taken off.' })
  amountOff(@Root() campaign: CouponCampaign, @Ctx() ctx: Context): Money | null {
    return amount(campaign.amountOff, ctx);
  }

  @FieldResolver(() => Float, { nullable: true, description: 'PERCENT_OFF: percent off (15 is 15% off).' })
  percentOff(@Root() campaign: CouponCampaign): number | null {
    return campaign.percentOffBp == null ? null : campaign.percentOffBp / 100;
  }

  @FieldResolver(() => Money, { nullable: true, description: 'PERCENT_OFF: the most it takes off; null for no cap.' })
  maxDiscount(@Root() campaign: CouponCampaign, @Ctx() ctx: Context): Money | null {
    return amount(campaign.maxDiscount, ctx);
  }

  @FieldResolver(() => Money, { description: 'Spend on the scope the coupon needs (0: none).' })
  minSubtotal(@Root() campaign: CouponCampaign, @Ctx() ctx: Context): Money {
    return money(campaign.minSubtotal, ctx.deps.config.currency);
  }

  @FieldResolver(() => PromotionScope, { description: 'What it covers.' })
  scope(@Root() campaign: CouponCampaign): PromotionScope {
    return { all: campaign.scope.all, data: campaign.scope };
  }

  @FieldResolver(() => Int, { description: 'Coupons left to claim.' })
  remaining(@Root() campaign: CouponCampaign): number {
    return campaign.totalQuantity - campaign.claimed;
  }

  @FieldResolver(() => String, { nullable: true, description: 'The code shoppers type to claim; null without one, and for anyone but its shop’s members and staff.' })
  async code(@Root() campaign: CouponCampaign, @Ctx() ctx: Context): Promise<string | null> {
    return campaign.code && (await promotions.seesPromotionFigures(ctx, campaign.shop?.id ?? null)) ? campaign.code : null;
  }

  @FieldResolver(() => CouponCampaignStatus, { description: 'Where it stands now.' })
  status(@Root() campaign: CouponCampaign, @Ctx() ctx: Context): CouponCampaignStatus {
    return promotions.couponCampaignStatus(campaign, ctx.now());
  }
}

@Resolver(() => UserCoupon)
export class UserCouponResolver {
  @Query(() => UserCouponConnection, { description: 'The coupons you hold, newest claim first.' })
  myCoupons(@Args() args: MyCouponsArgs, @Ctx() ctx: Context) {
    return connection(promotions.myCoupons(ctx, args));
  }

  @Mutation(() => UserCouponPayload, {
    description: 'Claim a coupon (signed in): by a campaign’s ID, or a code campaign by its code. An unknown campaign or code is NOT_FOUND.',
  })
  claimCoupon(@Arg('input', { description: INPUT_DESCRIPTION }) input: ClaimCouponInput, @Ctx() ctx: Context): Promise<UserCouponPayload> {
    return payload(() => promotions.claimCoupon(ctx, decodeInput(input, { campaignId: 'CouponCampaign' })), (userCoupon) => ({ userCoupon }));
  }

  @FieldResolver(() => CouponCampaign, { description: 'The campaign it came from.' })
  async campaign(@Root() coupon: UserCoupon, @Ctx() ctx: Context): Promise<CouponCampaign> {
    return (await ctx.loaders.couponCampaignById.load(coupon.campaign.id))!;
  }

  @FieldResolver(() => String, { description: 'Its campaign’s title.' })
  async title(@Root() coupon: UserCoupon, @Ctx() ctx: Context): Promise<string> {
    return (await this.campaign(coupon, ctx)).title;
  }

  @FieldResolver(() => CouponKind, { description: 'What it takes off.' })
  async kind(@Root() coupon: UserCoupon, @Ctx() ctx: Context): Promise<CouponKind> {
    return (await this.campaign(coupon, ctx)).kind;
  }

  @FieldResolver(() => Shop, { nullable: true, description: 'The shop it is for; null for a platform coupon, usable in any shop.' })
  async shop(@Root() coupon: UserCoupon, @Ctx() ctx: Context): Promise<Shop | null> {
    const { shop } = await this.campaign(coupon, ctx);
    return shop ? ctx.loaders.shopById.load(shop.id) : null;
  }

  @FieldResolver(() => Boolean, { description: 'Whether you can use it now: AVAILABLE and within its validity.' })
  usable(@Root() coupon: UserCoupon, @Ctx() ctx: Context): boolean {
    return promotions.couponUsable(coupon, ctx.now());
  }
}
