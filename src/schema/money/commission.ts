import { Field, ID, InputType } from 'type-graphql';
import { DecimalScalar } from '../shared/scalars';

@InputType({ description: 'A shop’s own commission rate, set by finance staff.' })
export class SetShopCommissionRateInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'The rate, 0–1 with at most 4 decimals (e.g. "0.08"); null clears it, so the category rates (else DEFAULT_COMMISSION_RATE) apply. Orders checked out afterwards use it; earlier orders keep theirs.' })
  commissionRate?: string | null;
}
