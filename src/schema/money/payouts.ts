import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Payout, PayoutStatus } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';

@InputType({ description: 'Pay a closed settlement to its shop.' })
export class CreatePayoutInput {
  @Field(() => ID, { description: 'The settlement: CLOSED, with a positive payable amount and no payout yet.' })
  settlementId!: string;
}

@ObjectType({ description: 'Result of `createPayout` and `retryPayout`.' })
export class PayoutPayload {
  @Field(() => Payout, { nullable: true, description: 'The payout, PENDING (its `providerReference` is null until the provider has accepted it; `send-payouts` resends it after a failed call); null when `errors` is not empty.' })
  payout?: Payout | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'Filters of the payout list.' })
export class PayoutFilter {
  @Field(() => ID, { nullable: true, description: 'Only this shop’s payouts. Required for shop members (OWNER, FINANCE), who see only their own shop’s.' })
  shopId?: string | null;

  @Field(() => PayoutStatus, { nullable: true, description: 'Only payouts with this status.' })
  status?: PayoutStatus | null;
}

export const { ConnectionType: PayoutConnection } = connectionTypes(Payout);
