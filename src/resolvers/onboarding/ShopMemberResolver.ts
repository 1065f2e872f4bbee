import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Shop, ShopMember, User } from '../../entities';

@Resolver(() => ShopMember)
export class ShopMemberResolver {
  @FieldResolver(() => User, { description: 'The member.' })
  async user(@Root() member: ShopMember, @Ctx() ctx: Context): Promise<User> {
    return (await ctx.loaders.userById.load(member.user.id))!;
  }

  @FieldResolver(() => Shop, { description: 'The shop.' })
  async shop(@Root() member: ShopMember, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(member.shop.id))!;
  }
}
