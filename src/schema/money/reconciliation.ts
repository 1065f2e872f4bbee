import { Field, Int, ObjectType } from 'type-graphql';
import { ProviderRecordKind } from '../../entities';
import { Money } from '../shared/money';
import { CalendarDateScalar } from '../shared/scalars';

@ObjectType({ description: 'One money movement in a reconciliation: the provider’s record of it, our ledger’s, or both.' })
export class ReconciliationItem {
  @Field(() => ProviderRecordKind, { description: 'What moved: a charge, a refund or a payout.' })
  kind!: ProviderRecordKind;

  @Field(() => String, { nullable: true, description: 'The provider’s reference; null for a posting of ours whose payment, refund or payout never got one.' })
  reference!: string | null;

  @Field(() => Money, { nullable: true, description: 'What the provider says moved; null when it has no completed record of it.' })
  providerAmount!: Money | null;

  @Field(() => Money, { nullable: true, description: 'What our ledger moved through BUYER_PAYMENTS for it; null when the ledger has no posting for it.' })
  ledgerAmount!: Money | null;

  @Field(() => Date, { description: 'When it happened: the provider’s time, else our posting’s.' })
  at!: Date;
}

@ObjectType({ description: 'A reconciliation’s figures for one kind of movement.' })
export class ReconciliationTotal {
  @Field(() => ProviderRecordKind, { description: 'The kind of movement.' })
  kind!: ProviderRecordKind;

  @Field(() => Money, { description: 'Σ of the provider amounts of this kind in the report.' })
  providerAmount!: Money;

  @Field(() => Money, { description: 'Σ of the ledger amounts of this kind in the report.' })
  ledgerAmount!: Money;

  @Field(() => Int, { description: 'Items matched, amounts equal.' })
  matched!: number;

  @Field(() => Int, { description: 'Provider records with no posting in the ledger.' })
  missingInLedger!: number;

  @Field(() => Int, { description: 'Postings with no completed provider record.' })
  missingAtProvider!: number;

  @Field(() => Int, { description: 'Items on both sides whose amounts differ.' })
  amountMismatches!: number;
}

@ObjectType({
  description:
    'The providers’ records of one business day (Asia/Shanghai) held against the ledger, matched by provider reference: charges with their payments’ PAYMENT postings, refunds with their REFUND_SENT postings, payouts with their PAYOUT_PAID postings. A pair appears on the day of the provider’s record; a posting of the day with no completed provider record is missing at the provider.',
})
export class ReconciliationReport {
  @Field(() => CalendarDateScalar, { description: 'The business day reconciled.' })
  date!: string;

  @Field(() => [ReconciliationItem], { description: 'On both sides with equal amounts.' })
  matched!: ReconciliationItem[];

  @Field(() => [ReconciliationItem], { description: 'Completed at the provider that day, with no posting in the ledger.' })
  missingInLedger!: ReconciliationItem[];

  @Field(() => [ReconciliationItem], { description: 'Posted in the ledger that day, with no completed record at the provider.' })
  missingAtProvider!: ReconciliationItem[];

  @Field(() => [ReconciliationItem], { description: 'On both sides, with different amounts.' })
  amountMismatches!: ReconciliationItem[];

  @Field(() => [ReconciliationTotal], { description: 'Figures per kind of movement (CHARGE, REFUND, PAYOUT), each listed even when nothing moved.' })
  totals!: ReconciliationTotal[];
}
