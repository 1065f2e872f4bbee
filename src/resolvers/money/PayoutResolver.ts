import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Payout, Settlement, Shop } from '../../entities';
import * as money from '../../services/money';
import { money as moneyOf } from '../../services/shared';
import { CreatePayoutInput, PayoutConnection, PayoutFilter, PayoutPayload } from '../../schema/money/payouts';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class PayoutsArgs extends ConnectionArgs {
  @Field(() => PayoutFilter, { nullable: true, description: 'Filters.' })
  filter?: PayoutFilter | null;
}

const wrap = (payout: Payout) => ({ payout });

@Resolver(() => Payout)
export class PayoutResolver {
  @Query(() => PayoutConnection, {
    description: 'Payouts, newest first: every shop’s for finance staff; a shop’s OWNER and FINANCE members see their own shop’s, named in `filter.shopId` (another shop is NOT_FOUND).',
  })
  payouts(@Args() args: PayoutsArgs, @Ctx() ctx: Context) {
    return connection(money.listPayouts(ctx, { ...args, filter: args.filter && decodeInput(args.filter, { shopId: 'Shop' }) }));
  }

  @Mutation(() => PayoutPayload, {
    description: 'Pay a CLOSED settlement’s payable amount to its shop (staff FINANCE): a PENDING payout, its amount moved from SHOP_PAYABLE to PAYOUTS_IN_TRANSIT, sent to the payout provider, which confirms by webhook.',
  })
  createPayout(@Arg('input', { description: INPUT_DESCRIPTION }) input: CreatePayoutInput, @Ctx() ctx: Context): Promise<PayoutPayload> {
    return payload(() => money.createPayout(ctx, { settlementId: decodeId('Settlement', input.settlementId) }), wrap);
  }

  @Mutation(() => PayoutPayload, { description: 'Send a FAILED payout again as its next attempt (staff FINANCE): PENDING, back in PAYOUTS_IN_TRANSIT.' })
  retryPayout(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<PayoutPayload> {
    return payload(() => money.retryPayout(ctx, decodeId('Payout', input.id)), wrap);
  }

  @FieldResolver(() => Settlement, { description: 'The settlement it pays.' })
  settlement(@Root() payout: Payout, @Ctx() ctx: Context): Promise<Settlement> {
    return money.payoutSettlement(ctx, payout);
  }

  @FieldResolver(() => Shop, { description: 'The shop it pays.' })
  async shop(@Root() payout: Payout, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(payout.shop.id))!;
  }

  @FieldResolver(() => Money, { description: 'What it pays: the settlement’s payable amount.' })
  amount(@Root() payout: Payout, @Ctx() ctx: Context): Money {
    return moneyOf(payout.amount, ctx.deps.config.currency);
  }
}
