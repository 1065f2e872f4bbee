import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { LedgerAccount, LedgerEntry } from '../../entities';
import { Money } from '../shared/money';
import { connectionTypes } from '../shared/relay';

@InputType({ description: 'Which ledger entries to list: one account’s, optionally of one shop, one order or a time range.' })
export class LedgerFilter {
  @Field(() => LedgerAccount, { description: 'The account.' })
  account!: LedgerAccount;

  @Field(() => ID, { nullable: true, description: 'Only entries naming this shop.' })
  shopId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only entries of this order.' })
  orderId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only entries posted at or after this instant.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only entries posted before this instant.' })
  to?: Date | null;
}

export const { ConnectionType: LedgerEntryConnection } = connectionTypes(LedgerEntry);

@ObjectType({ description: 'One ledger account’s totals. Every account’s balances together sum to zero.' })
export class LedgerBalance {
  @Field(() => LedgerAccount, { description: 'The account.' })
  account!: LedgerAccount;

  @Field(() => Money, { description: 'Sum of its debits (≥ 0).' })
  debits!: Money;

  @Field(() => Money, { description: 'Sum of its credits (≥ 0).' })
  credits!: Money;

  @Field(() => Money, { description: 'debits − credits: positive for a debit balance, negative for a credit balance (SHOP_PAYABLE, PLATFORM_COMMISSION …).' })
  balance!: Money;
}
