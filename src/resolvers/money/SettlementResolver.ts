import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Order, Payout, Settlement, Shop } from '../../entities';
import * as finance from '../../services/money';
import { money } from '../../services/shared';
import {
  AdjustSettlementInput,
  SettlementConnection,
  SettlementFilter,
  SettlementLine,
  SettlementLineConnection,
  SettlementPayload,
  ShopBalance,
} from '../../schema/money/settlements';
import { OrderConnection } from '../../schema/orders/orders';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class SettlementsArgs extends ConnectionArgs {
  @Field(() => SettlementFilter, { nullable: true, description: 'Filters.' })
  filter?: SettlementFilter | null;
}

@Resolver(() => Settlement)
export class SettlementResolver {
  @Query(() => SettlementConnection, { description: 'Settlements, newest period first: every shop’s for staff FINANCE; your shops’ for their OWNER and FINANCE members.' })
  settlements(@Args() args: SettlementsArgs, @Ctx() ctx: Context) {
    return connection(finance.listSettlements(ctx, { ...args, filter: args.filter && decodeInput(args.filter, { shopId: 'Shop' }) }));
  }

  @Query(() => ShopBalance, { description: 'What the platform holds for a shop (its OWNER and FINANCE members, staff FINANCE).' })
  async shopBalance(@Arg('shopId', () => ID, { description: 'The shop.' }) shopId: string, @Ctx() ctx: Context): Promise<ShopBalance> {
    const b = await finance.shopBalance(ctx, decodeId('Shop', shopId));
    const { currency } = ctx.deps.config;
    return { available: money(b.available, currency), pending: money(b.pending, currency), inTransit: money(b.inTransit, currency) };
  }

  @Mutation(() => SettlementPayload, { description: 'Adjust a shop’s money (staff FINANCE): posted now and settled in its OPEN settlement. Audited.' })
  adjustSettlement(@Arg('input', { description: INPUT_DESCRIPTION }) input: AdjustSettlementInput, @Ctx() ctx: Context): Promise<SettlementPayload> {
    return payload(() => finance.adjustSettlement(ctx, decodeInput(input, { shopId: 'Shop' })), (settlement) => ({ settlement }));
  }

  @FieldResolver(() => Shop, { description: 'The shop settled.' })
  async shop(@Root() s: Settlement, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(s.shop.id))!;
  }

  @FieldResolver(() => Money, { description: 'Sales: what buyers paid for the orders plus the discounts the platform funds.' })
  async gross(@Root() s: Settlement, @Ctx() ctx: Context): Promise<Money> {
    return money((await finance.figuresOf(ctx, s)).gross, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'The platform’s commission on the sales, less the commission returned with refunds.' })
  async commission(@Root() s: Settlement, @Ctx() ctx: Context): Promise<Money> {
    return money((await finance.figuresOf(ctx, s)).commission, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'Refunds of the orders, the commission returned with them included.' })
  async refunds(@Root() s: Settlement, @Ctx() ctx: Context): Promise<Money> {
    return money((await finance.figuresOf(ctx, s)).refunds, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'Adjustments by finance staff: positive owed to the shop, negative charged to it.' })
  async adjustments(@Root() s: Settlement, @Ctx() ctx: Context): Promise<Money> {
    return money((await finance.figuresOf(ctx, s)).adjustments, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'gross − commission − refunds + adjustments: the shop’s SHOP_PAYABLE movement of the period (may be negative).' })
  async net(@Root() s: Settlement, @Ctx() ctx: Context): Promise<Money> {
    return money((await finance.figuresOf(ctx, s)).net, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'A negative payable of the shop’s previous settlement carried into this one (zero or negative).' })
  async carriedOver(@Root() s: Settlement, @Ctx() ctx: Context): Promise<Money> {
    return money((await finance.figuresOf(ctx, s)).carriedOver, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'net + carriedOver: what a payout of this settlement pays (nothing when zero or less).' })
  async payable(@Root() s: Settlement, @Ctx() ctx: Context): Promise<Money> {
    return money((await finance.figuresOf(ctx, s)).payable, ctx.deps.config.currency);
  }

  @FieldResolver(() => Int, { description: 'Orders in the settlement (for an OPEN one, those that would close now).' })
  async orderCount(@Root() s: Settlement, @Ctx() ctx: Context): Promise<number> {
    return (await finance.figuresOf(ctx, s)).orderCount;
  }

  @FieldResolver(() => Payout, { nullable: true, description: 'Its payout, once finance staff created one.' })
  payout(@Root() s: Settlement, @Ctx() ctx: Context): Promise<Payout | null> {
    return finance.payoutOf(ctx, s);
  }

  @FieldResolver(() => OrderConnection, { description: 'The orders with money in this settlement, newest first.' })
  orders(@Root() s: Settlement, @Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(finance.settlementOrders(ctx, s, args));
  }

  @FieldResolver(() => SettlementLineConnection, { description: 'Its lines, oldest first: each payment, refund and adjustment with what it adds to each figure.' })
  lines(@Root() s: Settlement, @Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(finance.settlementLines(ctx, s, args));
  }
}

@Resolver(() => SettlementLine)
export class SettlementLineResolver {
  @FieldResolver(() => Order, { nullable: true, description: 'The order; null for an adjustment.' })
  order(@Root() line: SettlementLine, @Ctx() ctx: Context): Promise<Order | null> | null {
    return line.orderId ? ctx.loaders.orderById.load(line.orderId) : null;
  }

  @FieldResolver(() => Money, { description: 'Sales of the line (a payment’s order total plus platform-funded discount).' })
  gross(@Root() line: SettlementLine, @Ctx() ctx: Context): Money {
    return money(line.gross, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'Discounts the shop funded on the order (a payment line): already off what the buyer paid, so not in `gross`.' })
  shopDiscount(@Root() line: SettlementLine, @Ctx() ctx: Context): Money {
    return money(line.shopDiscount, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'Discounts the platform funds (charged to PLATFORM_PROMOTIONS): paid to the shop within `gross`; negative on a refund, which takes back its share.' })
  platformDiscount(@Root() line: SettlementLine, @Ctx() ctx: Context): Money {
    return money(line.platformDiscount, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'Commission charged (a payment) or returned (a refund, negative).' })
  commission(@Root() line: SettlementLine, @Ctx() ctx: Context): Money {
    return money(line.commission, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'Refunded, commission included.' })
  refund(@Root() line: SettlementLine, @Ctx() ctx: Context): Money {
    return money(line.refund, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'Adjusted by finance staff (signed).' })
  adjustment(@Root() line: SettlementLine, @Ctx() ctx: Context): Money {
    return money(line.adjustment, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'gross − commission − refund + adjustment: what the line adds to the shop’s net.' })
  net(@Root() line: SettlementLine, @Ctx() ctx: Context): Money {
    return money(line.net, ctx.deps.config.currency);
  }
}
