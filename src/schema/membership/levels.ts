import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { MemberLevel } from '../../entities';
import { UserError } from '../shared/common';
import { Money } from '../shared/money';
import { DecimalScalar } from '../shared/scalars';

@InputType({ description: 'One level of the ladder `setMemberLevels` writes.' })
export class MemberLevelInput {
  @Field(() => Int, { description: 'Its place, 0 to 20, unique in the ladder; rank 0 (every shopper’s level) is required. An existing rank keeps its ID.' })
  rank!: number;

  @Field({ description: 'Its name, 1 to 40 characters, unique in the ladder (case-insensitive), e.g. 黃金會員.' })
  name!: string;

  @Field(() => DecimalScalar, { description: 'Spend over the last LEVEL_WINDOW_DAYS (completed orders, less refunds) that reaches it: 0 for rank 0, and more than the rank below for every other.' })
  minSpend!: string;

  @Field(() => Float, { defaultValue: 1, description: 'Points earned on a completed order are multiplied by this: 0 to 10, at most 2 decimals (1.5 = half as many again).' })
  pointsMultiplier!: number;

  @Field(() => DecimalScalar, { nullable: true, description: 'A shop group whose goods reach this ships free, the platform paying the fee; 0 or more. Omit for no override.' })
  freeShippingThreshold?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'A platform coupon campaign for MEMBER_LEVEL, open to this rank (its `memberLevel` at most this rank), that grants each member of this level one coupon every calendar month.',
  })
  monthlyCouponCampaignId?: string | null;

  @Field(() => [String], { defaultValue: [], description: 'Other privileges shown to members, at most 10, each 1 to 60 characters.' })
  perks!: string[];
}

@InputType({ description: 'The whole ladder of member levels: it replaces the one there.' })
export class SetMemberLevelsInput {
  @Field(() => [MemberLevelInput], { description: '1 to 21 levels, in any order. Ranks not given are removed; their members move to the highest rank left below theirs.' })
  levels!: MemberLevelInput[];
}

@ObjectType({ description: 'Result of `setMemberLevels`.' })
export class MemberLevelsPayload {
  @Field(() => [MemberLevel], { nullable: true, description: 'The ladder now, lowest rank first; null when `errors` is not empty.' })
  levels?: MemberLevel[] | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'A member’s level, points and progress (會員). Seen by the member and by staff OPERATIONS and CUSTOMER_SERVICE.' })
export class Membership {
  /** Database key of the user, for the other fields' resolvers. */
  userId!: string;

  @Field(() => MemberLevel, { description: 'The level held. Levels go up as soon as an order completes, and down only at the periodic review (task `recompute-levels`).' })
  level!: MemberLevel;

  @Field(() => Int, { description: 'The points balance: the sum of every entry of `myPoints`.' })
  points!: number;

  @Field(() => Money, { description: 'What completed orders of the last LEVEL_WINDOW_DAYS paid, less refunds: the spend levels are decided by.' })
  spendInWindow!: Money;

  @Field(() => MemberLevel, { nullable: true, description: 'The next level up; null at the top.' })
  nextLevel?: MemberLevel | null;

  @Field(() => Money, { nullable: true, description: 'Spend still needed in the window to reach `nextLevel` (0 once reached); null at the top.' })
  amountToNextLevel?: Money | null;

  @Field(() => Date, { nullable: true, description: 'When the level held was reached; null for a member always at rank 0 without a record of it (a rank-0 member whose points expired has one: since joining).' })
  levelSince?: Date | null;
}
