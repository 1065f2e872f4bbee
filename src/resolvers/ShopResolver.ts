import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Shop, ShopMember } from '../entities';

@Resolver(() => Shop)
export class ShopResolver {
  @FieldResolver(() => [ShopMember], { description: "The shop's team with their roles. Visible to the shop's members and to staff." })
  members(@Root() shop: Shop, @Ctx() ctx: Context): Promise<ShopMember[]> {
    return ctx.loaders.membersByShopId.load(shop.id);
  }
}
