import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { type Checkout, Group, GroupBuy, Product, ProductVariant, Shop, User } from '../../entities';
import * as campaigns from '../../services/campaigns';
import { money } from '../../services/shared';
import {
  GroupBuyConnection,
  GroupBuyFilter,
  GroupBuyInput,
  GroupBuyPayload,
  GroupBuyStatus,
  GroupBuyVariantPrice,
  GroupConnection,
  GroupMemberInfo,
  GroupPayload,
  JoinGroupInput,
  StartGroupInput,
} from '../../schema/campaigns/groups';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class GroupBuysArgs extends ConnectionArgs {
  @Field(() => GroupBuyFilter, { nullable: true, description: 'Filters.' })
  filter?: GroupBuyFilter | null;
}

const ORDER_IDS = { variantId: 'ProductVariant', addressId: 'Address' } as const;
const wrapGroup = ({ group, checkout }: { group: Group; checkout: Checkout }) => ({ group, checkout });

@Resolver(() => GroupBuy)
export class GroupBuyResolver {
  @Query(() => GroupBuyConnection, {
    description: 'Group-buy offers (拼團), newest first: shoppers see the LIVE ones of products on sale; a shop’s members every one of their shop (with `filter.shopId`); staff OPERATIONS every one.',
  })
  groupBuys(@Args() args: GroupBuysArgs, @Ctx() ctx: Context) {
    return connection(campaigns.listGroupBuys(ctx, { ...args, filter: args.filter && decodeInput(args.filter, { shopId: 'Shop', productId: 'Product' }) }));
  }

  @Query(() => GroupBuy, { nullable: true, description: 'One group-buy offer: anyone while its product is on sale; its shop’s members and staff OPERATIONS always; null otherwise.' })
  groupBuy(@Arg('id', () => ID, { description: 'Global ID.' }) id: string, @Ctx() ctx: Context): Promise<GroupBuy | null> {
    return campaigns.visibleGroupBuy(ctx, decodeId('GroupBuy', id));
  }

  @Mutation(() => GroupBuyPayload, { description: 'Offer a product of your shop in groups (拼團) at group prices per variant (OWNER, MANAGER, OPERATOR of an ACTIVE shop).' })
  createGroupBuy(@Arg('input', { description: INPUT_DESCRIPTION }) input: GroupBuyInput, @Ctx() ctx: Context): Promise<GroupBuyPayload> {
    const ids = { productId: 'Product', variantPrices: { variantId: 'ProductVariant' } } as const;
    return payload(() => campaigns.createGroupBuy(ctx, decodeInput(input, ids)), (groupBuy) => ({ groupBuy }));
  }

  @FieldResolver(() => Shop, { description: 'The shop offering it.' })
  async shop(@Root() offer: GroupBuy, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(offer.shop.id))!;
  }

  @FieldResolver(() => Product, { description: 'The product offered.' })
  async product(@Root() offer: GroupBuy, @Ctx() ctx: Context): Promise<Product> {
    return (await ctx.loaders.productById.load(offer.product.id))!;
  }

  @FieldResolver(() => [GroupBuyVariantPrice], { description: 'The variants offered, with their group prices.' })
  variantPrices(@Root() offer: GroupBuy, @Ctx() ctx: Context): GroupBuyVariantPrice[] {
    return offer.variantPrices.map((p) => ({ groupPrice: money(p.groupPrice, ctx.deps.config.currency), variantKey: p.variantId }));
  }

  @FieldResolver(() => GroupBuyStatus, { description: 'Where it stands now, from its window.' })
  status(@Root() offer: GroupBuy, @Ctx() ctx: Context): GroupBuyStatus {
    return campaigns.groupBuyStatus(offer, ctx.now());
  }

  @FieldResolver(() => GroupConnection, { description: 'Its groups you can still join (FORMING, not expired), newest first.' })
  groups(@Root() offer: GroupBuy, @Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(campaigns.joinableGroups(ctx, offer, args));
  }
}

@Resolver(() => Group)
export class GroupResolver {
  @Query(() => Group, { nullable: true, description: 'One group: anyone who may see its group buy (to join it), and its members; null otherwise.' })
  group(@Arg('id', () => ID, { description: 'Global ID.' }) id: string, @Ctx() ctx: Context): Promise<Group | null> {
    return campaigns.visibleGroup(ctx, decodeId('Group', id));
  }

  @Query(() => GroupConnection, { description: 'The groups you started or joined, newest first.' })
  myGroups(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(campaigns.myGroups(ctx, args));
  }

  @Mutation(() => GroupPayload, { description: 'Start a group of a LIVE group buy (signed in): you lead it, and your order at the group price is placed. Pay `checkout` with `payCheckout`.' })
  startGroup(@Arg('input', { description: INPUT_DESCRIPTION }) input: StartGroupInput, @Ctx() ctx: Context): Promise<GroupPayload> {
    return payload(() => campaigns.startGroup(ctx, decodeInput(input, { groupBuyId: 'GroupBuy', ...ORDER_IDS })), wrapGroup);
  }

  @Mutation(() => GroupPayload, { description: 'Join a FORMING group with a seat left (signed in, once): your order at the group price is placed. Pay `checkout` with `payCheckout`.' })
  joinGroup(@Arg('input', { description: INPUT_DESCRIPTION }) input: JoinGroupInput, @Ctx() ctx: Context): Promise<GroupPayload> {
    return payload(() => campaigns.joinGroup(ctx, decodeInput(input, { groupId: 'Group', ...ORDER_IDS })), wrapGroup);
  }

  @FieldResolver(() => GroupBuy, { description: 'The offer it belongs to.' })
  async groupBuy(@Root() group: Group, @Ctx() ctx: Context): Promise<GroupBuy> {
    return (await ctx.loaders.groupBuyById.load(group.groupBuy.id))!;
  }

  @FieldResolver(() => User, { description: 'Who started it (what anyone may see of a user: their ID and display name).' })
  async leader(@Root() group: Group, @Ctx() ctx: Context): Promise<User> {
    return (await ctx.loaders.userById.load(group.leader.id))!;
  }

  @FieldResolver(() => [GroupMemberInfo], { description: 'Its members, earliest first: those whose order is not cancelled (of a FAILED group, those in it when it failed).' })
  async members(@Root() group: Group, @Ctx() ctx: Context): Promise<GroupMemberInfo[]> {
    return (await ctx.loaders.groupMembersByGroupId.load(group.id)).map((m) => ({ joinedAt: m.joinedAt, paid: m.paid, userKey: m.userId }));
  }

  @FieldResolver(() => Int, { description: 'Paid members it still needs: `size` less its paid members; 0 once FORMED (of a FAILED group: what it lacked).' })
  async needed(@Root() group: Group, @Ctx() ctx: Context): Promise<number> {
    return campaigns.membersNeeded(group, await ctx.loaders.groupMembersByGroupId.load(group.id));
  }
}

@Resolver(() => GroupBuyVariantPrice)
export class GroupBuyVariantPriceResolver {
  @FieldResolver(() => ProductVariant, { description: 'The variant.' })
  async variant(@Root() price: GroupBuyVariantPrice, @Ctx() ctx: Context): Promise<ProductVariant> {
    return (await ctx.loaders.variantById.load(price.variantKey))!;
  }
}

@Resolver(() => GroupMemberInfo)
export class GroupMemberResolver {
  @FieldResolver(() => User, { description: 'The member (what anyone may see of a user: their ID and display name).' })
  async user(@Root() member: GroupMemberInfo, @Ctx() ctx: Context): Promise<User> {
    return (await ctx.loaders.userById.load(member.userKey))!;
  }
}
