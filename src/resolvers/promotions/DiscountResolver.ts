import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { ProductVariant, Promotion, UserCoupon } from '../../entities';
import { ApplicableCoupon, Discount, Gift } from '../../schema/promotions/discounts';

@Resolver(() => Discount)
export class DiscountResolver {
  @FieldResolver(() => Promotion, { nullable: true, description: 'The promotion, for a PROMOTION discount.' })
  promotion(@Root() d: Discount, @Ctx() ctx: Context): Promise<Promotion | null> | null {
    return d.promotionId ? ctx.loaders.promotionById.load(d.promotionId) : null;
  }

  @FieldResolver(() => UserCoupon, { nullable: true, description: 'The coupon, for a COUPON discount; null for anyone but the coupon’s holder.' })
  async coupon(@Root() d: Discount, @Ctx() ctx: Context): Promise<UserCoupon | null> {
    return d.couponId ? ownCoupon(ctx, d.couponId) : null;
  }
}

@Resolver(() => Gift)
export class GiftResolver {
  @FieldResolver(() => ProductVariant, { description: 'The gift variant.' })
  async variant(@Root() g: Gift, @Ctx() ctx: Context): Promise<ProductVariant> {
    return (await ctx.loaders.variantById.load(g.variantId))!;
  }

  @FieldResolver(() => Promotion, { description: 'The promotion giving it.' })
  async promotion(@Root() g: Gift, @Ctx() ctx: Context): Promise<Promotion> {
    return (await ctx.loaders.promotionById.load(g.promotionId))!;
  }
}

@Resolver(() => ApplicableCoupon)
export class ApplicableCouponResolver {
  @FieldResolver(() => UserCoupon, { description: 'The coupon.' })
  async coupon(@Root() a: ApplicableCoupon, @Ctx() ctx: Context): Promise<UserCoupon> {
    return (await ownCoupon(ctx, a.couponId))!;
  }
}

/** A user coupon by key when the viewer holds it. */
async function ownCoupon(ctx: Context, key: string): Promise<UserCoupon | null> {
  const coupon = await ctx.loaders.userCouponById.load(key);
  return coupon && coupon.user.id === ctx.viewer.userId ? coupon : null;
}
