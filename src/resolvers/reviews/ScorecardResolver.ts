import { Arg, Args, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { ScorecardLevelChange, Shop, ShopScorecard } from '../../entities';
import * as reviews from '../../services/reviews';
import { ScorecardLevelChangeConnection, ScorecardLevelChangesArgs, ShopScorecardConnection, ShopScorecardsArgs } from '../../schema/reviews/scorecards';
import { decodeId } from '../../schema/shared/globalId';
import { connection } from '../../schema/shared/relay';

@Resolver(() => ShopScorecard)
export class ScorecardResolver {
  @Query(() => ShopScorecardConnection, {
    description: 'Shops’ scorecards (商家績效) by score, worst first unless `sort` says otherwise (staff RISK, OPERATIONS, ANALYST). Without `level`, the shops with a score.',
  })
  shopScorecards(@Args() args: ShopScorecardsArgs, @Ctx() ctx: Context) {
    return connection(reviews.listScorecards(ctx, args));
  }

  @Query(() => ScorecardLevelChangeConnection, {
    description: 'Changes of shops’ scorecard levels, newest first (staff RISK, OPERATIONS, ANALYST): `toLevel: AT_RISK` lists the shops that dropped to AT_RISK.',
  })
  scorecardLevelChanges(@Args() args: ScorecardLevelChangesArgs, @Ctx() ctx: Context) {
    return connection(reviews.levelChanges(ctx, { ...args, shopId: args.shopId ? decodeId('Shop', args.shopId) : null }));
  }

  @FieldResolver(() => Shop, { description: 'The shop scored.' })
  async shop(@Root() scorecard: ShopScorecard, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(scorecard.shop.id))!;
  }

  @FieldResolver(() => [ScorecardLevelChange], { description: 'The shop’s newest level changes, newest first: a drop to AT_RISK is here for its owner.' })
  levelChanges(
    @Root() scorecard: ShopScorecard,
    @Arg('first', () => Int, { defaultValue: 10, description: 'How many, 0 to 100.' }) first: number,
    @Ctx() ctx: Context,
  ): Promise<ScorecardLevelChange[]> {
    return reviews.recentLevelChanges(ctx, scorecard.shop.id, first);
  }
}

@Resolver(() => ScorecardLevelChange)
export class ScorecardLevelChangeResolver {
  @FieldResolver(() => Shop, { description: 'The shop whose level changed.' })
  async shop(@Root() change: ScorecardLevelChange, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(change.shop.id))!;
  }
}

@Resolver(() => Shop)
export class ShopScorecardResolver {
  @FieldResolver(() => ShopScorecard, {
    nullable: true,
    description: 'The shop’s performance scorecard over the last 30 days (its members and staff); null until `compute-scorecards` first ran after the shop became ACTIVE.',
  })
  scorecard(@Root() shop: Shop, @Ctx() ctx: Context): Promise<ShopScorecard | null> {
    return reviews.shopScorecard(ctx, shop.id);
  }
}
