import { Args, ArgsType, Ctx, Field, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { LedgerEntry, LedgerPosting, Order, Settlement, Shop } from '../../entities';
import * as finance from '../../services/money';
import { money } from '../../services/shared';
import { LedgerBalance, LedgerEntryConnection, LedgerFilter } from '../../schema/money/ledger';
import { decodeInput } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { connection, ConnectionArgs } from '../../schema/shared/relay';

@ArgsType()
class LedgerEntriesArgs extends ConnectionArgs {
  @Field(() => LedgerFilter, { description: 'Which entries: an account, optionally of a shop, an order or a time range.' })
  filter!: LedgerFilter;
}

@Resolver(() => LedgerEntry)
export class LedgerResolver {
  @Query(() => LedgerEntryConnection, { description: 'One ledger account’s entries, newest first (staff FINANCE).' })
  ledgerEntries(@Args() args: LedgerEntriesArgs, @Ctx() ctx: Context) {
    return connection(finance.listLedgerEntries(ctx, { ...args, filter: decodeInput(args.filter, { shopId: 'Shop', orderId: 'Order' }) }));
  }

  @Query(() => [LedgerBalance], { description: 'Every ledger account’s debits, credits and balance (staff FINANCE); the balances sum to zero.' })
  async ledgerBalances(@Ctx() ctx: Context): Promise<LedgerBalance[]> {
    const { currency } = ctx.deps.config;
    return (await finance.ledgerBalances(ctx)).map((b) => ({ account: b.account, debits: money(b.debits, currency), credits: money(b.credits, currency), balance: money(b.balance, currency) }));
  }

  @FieldResolver(() => Money, { description: 'The amount: positive for a debit, negative for a credit.' })
  amount(@Root() entry: LedgerEntry, @Ctx() ctx: Context): Money {
    return money(entry.amount, ctx.deps.config.currency);
  }

  @FieldResolver(() => LedgerPosting, { description: 'The posting it belongs to: the money event, with its other entries’ kind, time and note.' })
  posting(@Root() entry: LedgerEntry, @Ctx() ctx: Context): Promise<LedgerPosting> {
    return finance.postingOf(ctx, entry);
  }

  @FieldResolver(() => Shop, { nullable: true, description: 'The shop whose account it is, or whose sale it belongs to.' })
  shop(@Root() entry: LedgerEntry, @Ctx() ctx: Context): Promise<Shop | null> | null {
    return entry.shop ? ctx.loaders.shopById.load(entry.shop.id) : null;
  }

  @FieldResolver(() => Order, { nullable: true, description: 'The order it belongs to.' })
  order(@Root() entry: LedgerEntry, @Ctx() ctx: Context): Promise<Order | null> | null {
    return entry.order ? ctx.loaders.orderById.load(entry.order.id) : null;
  }

  @FieldResolver(() => Settlement, { nullable: true, description: 'The settlement it was settled in, once closed.' })
  settlement(@Root() entry: LedgerEntry, @Ctx() ctx: Context): Promise<Settlement | null> {
    return finance.settlementOfEntry(ctx, entry);
  }
}
