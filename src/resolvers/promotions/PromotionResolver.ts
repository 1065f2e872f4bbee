import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Category, Product, ProductVariant, Promotion, PromotionKind, PromotionStatus, Shop } from '../../entities';
import * as catalog from '../../services/catalog';
import * as promotions from '../../services/promotions';
import { money } from '../../services/shared';
import { PromotionConnection, PromotionFilter, PromotionInput, PromotionPayload, PromotionScope, PromotionTier } from '../../schema/promotions/promotions';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class PromotionsArgs extends ConnectionArgs {
  @Field(() => PromotionFilter, { nullable: true, description: 'Filters.' })
  filter?: PromotionFilter | null;
}

const wrap = (promotion: Promotion) => ({ promotion });
const amount = (minor: number | null | undefined, ctx: Context): Money | null => (minor == null ? null : money(minor, ctx.deps.config.currency));

@Resolver(() => Promotion)
export class PromotionResolver {
  @Query(() => PromotionConnection, {
    description: 'Promotions, newest first: shoppers see the ACTIVE ones; a shop’s members every one of their shop (with `filter.shopId`); staff OPERATIONS every one.',
  })
  promotions(@Args() args: PromotionsArgs, @Ctx() ctx: Context) {
    return connection(promotions.listPromotions(ctx, { ...args, filter: args.filter && decodeInput(args.filter, { shopId: 'Shop' }) }));
  }

  @Mutation(() => PromotionPayload, {
    description: 'Create a promotion: a shop’s own (OWNER, MANAGER, OPERATOR of an ACTIVE shop) or, without `shopId`, a platform-wide one (staff OPERATIONS). SCHEDULED until its window starts.',
  })
  createPromotion(@Arg('input', { description: INPUT_DESCRIPTION }) input: PromotionInput, @Ctx() ctx: Context): Promise<PromotionPayload> {
    const ids = { shopId: 'Shop', tiers: { giftVariantId: 'ProductVariant' }, scope: { productIds: ['Product'], categoryIds: ['Category'] } } as const;
    return payload(() => promotions.createPromotion(ctx, decodeInput(input, ids)), wrap);
  }

  @Mutation(() => PromotionPayload, { description: 'Cancel a SCHEDULED or ACTIVE promotion (its shop’s OWNER, MANAGER, OPERATOR; staff OPERATIONS).' })
  cancelPromotion(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<PromotionPayload> {
    return payload(() => promotions.cancelPromotion(ctx, decodeId('Promotion', input.id)), wrap);
  }

  @FieldResolver(() => Shop, { nullable: true, description: 'The shop running it; null for a platform-wide promotion.' })
  shop(@Root() promotion: Promotion, @Ctx() ctx: Context): Promise<Shop | null> | null {
    return promotion.shop ? ctx.loaders.shopById.load(promotion.shop.id) : null;
  }

  @FieldResolver(() => PromotionStatus, { description: 'Where it stands now: from its window, budget and cancellation.' })
  status(@Root() promotion: Promotion, @Ctx() ctx: Context): PromotionStatus {
    return promotions.promotionStatus(promotion, ctx.now());
  }

  @FieldResolver(() => [PromotionTier], { description: 'Its tiers, lowest threshold first.' })
  tiers(@Root() promotion: Promotion, @Ctx() ctx: Context): PromotionTier[] {
    return promotion.tiers.map((t) => ({
      threshold: promotion.kind === PromotionKind.FIXED_PRICE_BUNDLE ? null : amount(t.threshold, ctx),
      amountOff: amount(t.amountOff, ctx),
      percentOff: t.percentOffBp == null ? null : t.percentOffBp / 100,
      quantity: t.quantity ?? null,
      price: amount(t.price, ctx),
      giftVariantKey: t.giftVariantId ?? null,
    }));
  }

  @FieldResolver(() => Money, { nullable: true, description: 'The most it takes off one order; null for no cap.' })
  maxDiscount(@Root() promotion: Promotion, @Ctx() ctx: Context): Money | null {
    return amount(promotion.maxDiscount, ctx);
  }

  @FieldResolver(() => PromotionScope, { description: 'What it covers.' })
  scope(@Root() promotion: Promotion): PromotionScope {
    return { all: promotion.scope.all, data: promotion.scope };
  }

  @FieldResolver(() => Money, { nullable: true, description: 'The most it may give away; null for no budget, and for anyone but its shop’s members and staff.' })
  async budget(@Root() promotion: Promotion, @Ctx() ctx: Context): Promise<Money | null> {
    return (await promotions.seesPromotionFigures(ctx, promotion.shop?.id ?? null)) ? amount(promotion.budget, ctx) : null;
  }

  @FieldResolver(() => Money, { nullable: true, description: 'What it has given away on orders not cancelled (kept for promotions with a budget); null for anyone but its shop’s members and staff.' })
  async spent(@Root() promotion: Promotion, @Ctx() ctx: Context): Promise<Money | null> {
    return (await promotions.seesPromotionFigures(ctx, promotion.shop?.id ?? null)) ? amount(promotion.spent, ctx) : null;
  }

  @FieldResolver(() => String, { description: 'A short label from its tiers, e.g. "滿200減20", "每滿200減20", "9折", "任選3件99元", "滿300贈品".' })
  badge(@Root() promotion: Promotion, @Ctx() ctx: Context): string {
    return promotions.promotionBadge(promotion, ctx.deps.config.currency);
  }
}

@Resolver(() => PromotionTier)
export class PromotionTierResolver {
  @FieldResolver(() => ProductVariant, { nullable: true, description: 'GIFT_WITH_PURCHASE: the gift; null when its variant has been removed since, or its product is not for your eyes (not on sale, and you are not of its shop or staff).' })
  async giftVariant(@Root() tier: PromotionTier, @Ctx() ctx: Context): Promise<ProductVariant | null> {
    const variant = tier.giftVariantKey ? await ctx.loaders.variantById.load(tier.giftVariantKey) : null;
    if (!variant || variant.archived) return null;
    return (await catalog.visibleProduct(ctx, variant.product.id)) ? variant : null;
  }
}

@Resolver(() => PromotionScope)
export class PromotionScopeResolver {
  @FieldResolver(() => [Product], { description: 'The products it lists that you may see.' })
  products(@Root() scope: PromotionScope, @Ctx() ctx: Context): Promise<Product[]> {
    return promotions.scopeProducts(ctx, scope.data);
  }

  @FieldResolver(() => [Category], { description: 'The categories it lists (with their subcategories).' })
  categories(@Root() scope: PromotionScope, @Ctx() ctx: Context): Promise<Category[]> {
    return promotions.scopeCategories(ctx, scope.data);
  }
}
