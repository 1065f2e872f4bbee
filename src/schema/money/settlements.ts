import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { PostingKind, Settlement, SettlementStatus } from '../../entities';
import { UserError } from '../shared/common';
import { Money } from '../shared/money';
import { connectionTypes } from '../shared/relay';
import { DecimalScalar } from '../shared/scalars';

@InputType({ description: 'Filters of the settlement list.' })
export class SettlementFilter {
  @Field(() => ID, { nullable: true, description: 'Only this shop’s; without it, every shop’s you may see.' })
  shopId?: string | null;

  @Field(() => SettlementStatus, { nullable: true, description: 'Only this status.' })
  status?: SettlementStatus | null;

  @Field(() => Date, { nullable: true, description: 'Only periods starting at or after this instant.' })
  periodFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only periods starting before this instant.' })
  periodTo?: Date | null;
}

export const { ConnectionType: SettlementConnection } = connectionTypes(Settlement);

/** One line of a settlement: a posting's entries for one order (or an adjustment), in minor units. */
@ObjectType({ description: 'A line of a settlement: one money event (a payment, a refund, an adjustment) of one order, with what it adds to each figure of the settlement.' })
export class SettlementLine {
  @Field(() => PostingKind, { description: 'What happened: PAYMENT, REFUND or ADJUSTMENT.' })
  kind!: PostingKind;

  @Field(() => Date, { description: 'When it was posted, by the business clock.' })
  at!: Date;

  @Field(() => String, { nullable: true, description: 'The refund’s or adjustment’s reason.' })
  memo!: string | null;

  /** Database key of the order; null for an adjustment. */
  orderId!: string | null;
  gross!: number;
  shopDiscount!: number;
  platformDiscount!: number;
  commission!: number;
  refund!: number;
  adjustment!: number;
  net!: number;
}

export const { ConnectionType: SettlementLineConnection } = connectionTypes(SettlementLine);

@ObjectType({ description: 'What the platform holds for a shop, positive when owed to the shop.' })
export class ShopBalance {
  @Field(() => Money, { description: 'Settled (in closed settlements) and not yet paid out; negative when a settlement closed negative and nothing has covered it yet.' })
  available!: Money;

  @Field(() => Money, { description: 'Sales, refunds and adjustments not yet in a closed settlement (including orders still in their after-sales window).' })
  pending!: Money;

  @Field(() => Money, { description: 'Payouts sent to the payout provider and not yet confirmed paid.' })
  inTransit!: Money;
}

@InputType({ description: 'An adjustment of a shop’s money by finance staff, settled in its OPEN settlement.' })
export class AdjustSettlementInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field(() => DecimalScalar, { description: 'Signed amount in the currency, e.g. "25.00" owed to the shop (compensation) or "-25.00" charged to it (a fee); not zero, at most the currency’s decimals.' })
  amount!: string;

  @Field({ description: 'Why, one line of 1–500 characters; shown on the settlement’s line and kept in the audit log.' })
  reason!: string;
}

@ObjectType({ description: 'Result of `adjustSettlement`.' })
export class SettlementPayload {
  @Field(() => Settlement, { nullable: true, description: 'The shop’s OPEN settlement the adjustment lands in; null when `errors` is not empty.' })
  settlement?: Settlement | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
