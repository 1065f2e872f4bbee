import { Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { PointsEntry } from '../../entities';
import { myPoints } from '../../services/membership';
import { money } from '../../services/shared';
import { Money } from '../../schema/shared/money';
import { PointsEntryConnection } from '../../schema/membership/points';
import { toGlobalId } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';

@Resolver(() => PointsEntry)
export class PointsResolver {
  @Query(() => PointsEntryConnection, { description: 'Your points entries (積分明細), newest first. Your balance (`User.membership.points`) is their sum.' })
  myPoints(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(myPoints(ctx, args));
  }

  @FieldResolver(() => Money, { nullable: true, description: 'The money it concerns: what the order paid less refunds (earned), the discount (redeemed, returned), the refund (reversed); null for the others.' })
  amount(@Root() entry: PointsEntry, @Ctx() ctx: Context): Money | null {
    return entry.amount == null ? null : money(entry.amount, ctx.deps.config.currency);
  }

  @FieldResolver(() => ID, { nullable: true, description: 'The order it concerns (earned, reversed, redeemed, returned); null for the others.' })
  orderId(@Root() entry: PointsEntry): string | null {
    return entry.orderId ? toGlobalId('Order', entry.orderId) : null;
  }
}
