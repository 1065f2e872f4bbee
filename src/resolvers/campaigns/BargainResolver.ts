import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Bargain, BargainCampaign, BargainStatus, ProductVariant, Shop } from '../../entities';
import * as campaigns from '../../services/campaigns';
import * as catalog from '../../services/catalog';
import { money } from '../../services/shared';
import {
  BargainCampaignConnection,
  BargainCampaignFilter,
  BargainCampaignInput,
  BargainCampaignPayload,
  BargainCampaignStatus,
  BargainConnection,
  BargainHelpView,
  BargainPayload,
  BuyBargainInput,
  StartBargainInput,
} from '../../schema/campaigns/bargains';
import { CheckoutPayload } from '../../schema/orders/orders';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class BargainCampaignsArgs extends ConnectionArgs {
  @Field(() => BargainCampaignFilter, { nullable: true, description: 'Filters.' })
  filter?: BargainCampaignFilter | null;
}

const wrapCampaign = (bargainCampaign: BargainCampaign) => ({ bargainCampaign });
const wrapBargain = (bargain: Bargain) => ({ bargain });
const amount = (minor: number, ctx: Context): Money => money(minor, ctx.deps.config.currency);

@Resolver(() => BargainCampaign)
export class BargainCampaignResolver {
  @Query(() => BargainCampaignConnection, {
    description: 'Bargain campaigns (砍價), newest first: shoppers see those not ended of products on sale; a shop’s members every one of their shop (with `filter.shopId`); staff OPERATIONS every one.',
  })
  bargainCampaigns(@Args() args: BargainCampaignsArgs, @Ctx() ctx: Context) {
    return connection(campaigns.listBargainCampaigns(ctx, { ...args, filter: args.filter && decodeInput(args.filter, { shopId: 'Shop' }) }));
  }

  @Mutation(() => BargainCampaignPayload, { description: 'Offer a variant of your shop for bargaining (OWNER, MANAGER, OPERATOR of an ACTIVE shop).' })
  createBargainCampaign(@Arg('input', { description: INPUT_DESCRIPTION }) input: BargainCampaignInput, @Ctx() ctx: Context): Promise<BargainCampaignPayload> {
    return payload(() => campaigns.createBargainCampaign(ctx, decodeInput(input, { variantId: 'ProductVariant' })), wrapCampaign);
  }

  @Mutation(() => BargainCampaignPayload, { description: 'Stop new bargains of a campaign (its shop’s OWNER, MANAGER, OPERATOR; staff OPERATIONS). Bargains started run on until they expire.' })
  endBargainCampaign(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<BargainCampaignPayload> {
    return payload(() => campaigns.endBargainCampaign(ctx, decodeId('BargainCampaign', input.id)), wrapCampaign);
  }

  @FieldResolver(() => Shop, { description: 'The shop running it.' })
  async shop(@Root() campaign: BargainCampaign, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(campaign.shop.id))!;
  }

  @FieldResolver(() => ProductVariant, { nullable: true, description: 'The variant bargained for; null when its product is not for your eyes (not on sale, and you are not of its shop or staff) or the variant was removed.' })
  async variant(@Root() campaign: BargainCampaign, @Ctx() ctx: Context): Promise<ProductVariant | null> {
    const variant = await ctx.loaders.variantById.load(campaign.variant.id);
    if (!variant || variant.archived) return null;
    return (await catalog.visibleProduct(ctx, variant.product.id)) ? variant : null;
  }

  @FieldResolver(() => Money, { description: 'The price the last needed helper reaches.' })
  floorPrice(@Root() campaign: BargainCampaign, @Ctx() ctx: Context): Money {
    return amount(campaign.floorPrice, ctx);
  }

  @FieldResolver(() => BargainCampaignStatus, { description: 'Where it stands now.' })
  status(@Root() campaign: BargainCampaign): BargainCampaignStatus {
    return campaigns.bargainCampaignStatus(campaign);
  }
}

@Resolver(() => Bargain)
export class BargainResolver {
  @Query(() => Bargain, { nullable: true, description: 'A bargain, for anyone with its ID (a share link): its price’s progress, not who started or helped it.' })
  bargain(@Arg('id', () => ID, { description: 'Global ID.' }) id: string, @Ctx() ctx: Context): Promise<Bargain | null> {
    return campaigns.visibleBargain(ctx, decodeId('Bargain', id));
  }

  @Query(() => BargainConnection, { description: 'The bargains you started, newest first.' })
  myBargains(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(campaigns.myBargains(ctx, args));
  }

  @Mutation(() => BargainPayload, { description: 'Start a bargain of a campaign (signed in): at the variant’s price now, until `hoursToFinish` hours from now. Share it for friends to help.' })
  startBargain(@Arg('input', { description: INPUT_DESCRIPTION }) input: StartBargainInput, @Ctx() ctx: Context): Promise<BargainPayload> {
    return payload(() => campaigns.startBargain(ctx, decodeInput(input, { campaignId: 'BargainCampaign' })), wrapBargain);
  }

  @Mutation(() => BargainPayload, { description: 'Help someone else’s bargain, once (signed in): its price drops by the next cut. BARGAIN_HELP_REFUSED for your own, a repeat, one over or at its floor.' })
  helpBargain(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<BargainPayload> {
    return payload(() => campaigns.helpBargain(ctx, decodeId('Bargain', input.id)), wrapBargain);
  }

  @Mutation(() => CheckoutPayload, { description: 'Buy your bargain at the price it reached, before it expires: one order of one unit, paid with `payCheckout`.' })
  buyBargain(@Arg('input', { description: INPUT_DESCRIPTION }) input: BuyBargainInput, @Ctx() ctx: Context): Promise<CheckoutPayload> {
    return payload(() => campaigns.buyBargain(ctx, decodeInput(input, { bargainId: 'Bargain', addressId: 'Address' })), (checkout) => ({ checkout }));
  }

  @FieldResolver(() => BargainCampaign, { description: 'Its campaign.' })
  async campaign(@Root() bargain: Bargain, @Ctx() ctx: Context): Promise<BargainCampaign> {
    return (await ctx.loaders.bargainCampaignById.load(bargain.campaign.id))!;
  }

  @FieldResolver(() => Money, { description: 'The variant’s price when it started.' })
  startPrice(@Root() bargain: Bargain, @Ctx() ctx: Context): Money {
    return amount(bargain.startPrice, ctx);
  }

  @FieldResolver(() => Money, { description: 'The price now, what its starter would pay.' })
  currentPrice(@Root() bargain: Bargain, @Ctx() ctx: Context): Money {
    return amount(bargain.currentPrice, ctx);
  }

  @FieldResolver(() => Money, { description: 'The price the last needed helper reaches.' })
  floorPrice(@Root() bargain: Bargain, @Ctx() ctx: Context): Money {
    return amount(bargain.floorPrice, ctx);
  }

  @FieldResolver(() => Int, { description: 'Helpers it needs to reach the floor price.' })
  helpersNeeded(@Root() bargain: Bargain): number {
    return bargain.cuts.length;
  }

  @FieldResolver(() => BargainStatus, { description: 'Where it stands now: an ACTIVE bargain past `expiresAt` is EXPIRED.' })
  status(@Root() bargain: Bargain, @Ctx() ctx: Context): BargainStatus {
    return campaigns.bargainStatus(bargain, ctx.now());
  }

  @FieldResolver(() => [BargainHelpView], { description: 'Its helps, oldest first: what each took off, and when.' })
  async helps(@Root() bargain: Bargain, @Ctx() ctx: Context): Promise<BargainHelpView[]> {
    const helps = await ctx.loaders.bargainHelpsByBargainId.load(bargain.id);
    return helps.map((h) => ({ amount: amount(h.amount, ctx), at: h.at }));
  }
}
