import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { FlashSale, FlashSaleItem, Product, ProductVariant, Shop } from '../../entities';
import * as campaigns from '../../services/campaigns';
import * as catalog from '../../services/catalog';
import { money } from '../../services/shared';
import {
  FlashSaleConnection,
  FlashSaleFilter,
  FlashSaleInput,
  FlashSaleItemInput,
  FlashSaleItemPayload,
  FlashSalePayload,
  FlashSaleStatus,
  ReviewFlashSaleItemInput,
} from '../../schema/campaigns/flashSales';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class FlashSalesArgs extends ConnectionArgs {
  @Field(() => FlashSaleFilter, { nullable: true, description: 'Filters.' })
  filter?: FlashSaleFilter | null;
}

const wrapItem = (flashSaleItem: FlashSaleItem) => ({ flashSaleItem });

@Resolver(() => FlashSale)
export class FlashSaleResolver {
  @Query(() => FlashSaleConnection, { description: 'Flash sales: UPCOMING and LIVE ones the soonest start first, ENDED ones (and all, unfiltered) the latest start first.' })
  flashSales(@Args() args: FlashSalesArgs, @Ctx() ctx: Context) {
    return connection(campaigns.listFlashSales(ctx, args));
  }

  @Query(() => FlashSale, { nullable: true, description: 'One flash sale; null when it does not exist.' })
  flashSale(@Arg('id', () => ID, { description: 'Global ID of the flash sale.' }) id: string, @Ctx() ctx: Context): Promise<FlashSale | null> {
    return campaigns.visibleFlashSale(ctx, decodeId('FlashSale', id));
  }

  @Mutation(() => FlashSalePayload, {
    description: 'Create a flash sale (staff OPERATIONS), with items staff place themselves (approved at once, their quantities set aside from stock); shops nominate theirs with `nominateFlashSaleItem`.',
  })
  createFlashSale(@Arg('input', { description: INPUT_DESCRIPTION }) input: FlashSaleInput, @Ctx() ctx: Context): Promise<FlashSalePayload> {
    return payload(() => campaigns.createFlashSale(ctx, decodeInput(input, { items: { variantId: 'ProductVariant' } })), (flashSale) => ({ flashSale }));
  }

  @Mutation(() => FlashSaleItemPayload, {
    description: 'Nominate a variant of your ACTIVE shop for a flash sale that has not started (OWNER, MANAGER, OPERATOR); it waits, NOMINATED, for staff.',
  })
  nominateFlashSaleItem(@Arg('input', { description: INPUT_DESCRIPTION }) input: FlashSaleItemInput, @Ctx() ctx: Context): Promise<FlashSaleItemPayload> {
    return payload(() => campaigns.nominateFlashSaleItem(ctx, decodeInput(input, { flashSaleId: 'FlashSale', variantId: 'ProductVariant' })), wrapItem);
  }

  @Mutation(() => FlashSaleItemPayload, { description: 'Approve or reject a NOMINATED flash-sale item before its sale ends (staff OPERATIONS). Approval sets its quantity aside from stock.' })
  reviewFlashSaleItem(@Arg('input', { description: INPUT_DESCRIPTION }) input: ReviewFlashSaleItemInput, @Ctx() ctx: Context): Promise<FlashSaleItemPayload> {
    return payload(() => campaigns.reviewFlashSaleItem(ctx, decodeInput(input, { itemId: 'FlashSaleItem' })), wrapItem);
  }

  @FieldResolver(() => FlashSaleStatus, { description: 'Where it stands now, from its window.' })
  status(@Root() sale: FlashSale, @Ctx() ctx: Context): FlashSaleStatus {
    return campaigns.flashSaleStatus(sale, ctx.now());
  }

  @FieldResolver(() => [FlashSaleItem], { description: 'Its items, oldest first: the APPROVED ones; a shop’s members also see their shop’s nominations and rejections, staff OPERATIONS every item.' })
  items(@Root() sale: FlashSale, @Ctx() ctx: Context): Promise<FlashSaleItem[]> {
    return campaigns.visibleFlashSaleItems(ctx, sale.id);
  }
}

@Resolver(() => FlashSaleItem)
export class FlashSaleItemResolver {
  @FieldResolver(() => FlashSale, { description: 'The flash sale.' })
  async flashSale(@Root() item: FlashSaleItem, @Ctx() ctx: Context): Promise<FlashSale> {
    return (await ctx.loaders.flashSaleById.load(item.flashSale.id))!;
  }

  @FieldResolver(() => Shop, { description: 'The shop selling it.' })
  async shop(@Root() item: FlashSaleItem, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(item.shop.id))!;
  }

  @FieldResolver(() => ProductVariant, { description: 'The variant offered.' })
  async variant(@Root() item: FlashSaleItem, @Ctx() ctx: Context): Promise<ProductVariant> {
    return (await ctx.loaders.variantById.load(item.variant.id))!;
  }

  @FieldResolver(() => Product, { nullable: true, description: 'The variant’s product; null when it is not for your eyes (not on sale, and you are not of its shop or staff).' })
  async product(@Root() item: FlashSaleItem, @Ctx() ctx: Context): Promise<Product | null> {
    const variant = await this.variant(item, ctx);
    return catalog.visibleProduct(ctx, variant.product.id);
  }

  @FieldResolver(() => Money, { description: 'The sale price.' })
  salePrice(@Root() item: FlashSaleItem, @Ctx() ctx: Context): Money {
    return money(item.salePrice, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'The variant’s price now, outside the sale.' })
  async originalPrice(@Root() item: FlashSaleItem, @Ctx() ctx: Context): Promise<Money> {
    return money((await this.variant(item, ctx)).price, ctx.deps.config.currency);
  }

  @FieldResolver(() => Int, { description: 'Units left to buy: 0 until it is approved and once its sale is settled.' })
  async remaining(@Root() item: FlashSaleItem, @Ctx() ctx: Context): Promise<number> {
    return (await ctx.loaders.flashUnitsByItemId.load(item.id)).remaining;
  }

  @FieldResolver(() => Int, { description: 'Units in orders: taken (paid or not) while the sale runs, in orders not cancelled once it is settled.' })
  async sold(@Root() item: FlashSaleItem, @Ctx() ctx: Context): Promise<number> {
    return (await ctx.loaders.flashUnitsByItemId.load(item.id)).sold;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Why staff rejected it; null for anyone but its shop’s members and staff OPERATIONS.' })
  async reason(@Root() item: FlashSaleItem, @Ctx() ctx: Context): Promise<string | null> {
    return item.reason && (await campaigns.isFlashItemInsider(ctx, item)) ? item.reason : null;
  }
}
