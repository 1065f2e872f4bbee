import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { RiskLevel, RiskRule, RiskRuleKind } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { DecimalScalar } from '../shared/scalars';
import { Multiline } from '../shared/textRule';

@InputType({ description: 'A risk rule to add (no `id`) or replace (every value given again).' })
export class UpsertRiskRuleInput {
  @Field(() => ID, { nullable: true, description: 'The rule to change; omit to add one.' })
  id?: string | null;

  @Field({ description: 'A unique name, 1 to 100 characters.' })
  name!: string;

  @Field(() => RiskRuleKind, { description: 'What it looks at: each kind needs exactly the parameters its description names.' })
  kind!: RiskRuleKind;

  @Field(() => Int, { description: 'Points it adds to the score of an order it hits, 1 to 1000.' })
  weight!: number;

  @Field(() => Boolean, { defaultValue: true, description: 'Disabled rules are kept but not evaluated.' })
  enabled!: boolean;

  @Field(() => DecimalScalar, { nullable: true, description: 'ORDER_AMOUNT and NEW_ACCOUNT_AMOUNT: the order total at which it hits, more than 0.' })
  amount?: string | null;

  @Field(() => Int, { nullable: true, description: 'Velocity and history kinds: the count at which it hits, 1 to 10000.' })
  count?: number | null;

  @Field(() => Int, { nullable: true, description: 'Velocity and history kinds: the window counted, in hours back from the checkout, 1 to 8760.' })
  windowHours?: number | null;

  @Field(() => Int, { nullable: true, description: 'NEW_ACCOUNT_AMOUNT: accounts younger than this many hours, 1 to 87600.' })
  accountAgeHours?: number | null;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'Staff notes, at most 500 characters.' })
  description?: string | null;
}

@ObjectType({ description: 'Result of `upsertRiskRule`.' })
export class RiskRulePayload {
  @Field(() => RiskRule, { nullable: true, description: 'The rule as saved; null when `errors` is not empty.' })
  riskRule?: RiskRule | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

export const { ConnectionType: RiskRuleConnection } = connectionTypes(RiskRule);

@InputType({ description: 'Release an order risk control holds.' })
export class ReleaseOrderHoldInput {
  @Field(() => ID, { description: 'The held order (PAID or PROCESSING).' })
  orderId!: string;

  @Multiline()
  @Field({ description: 'Why it may ship, at least 3 characters (in its timeline and the audit log).' })
  reason!: string;
}

@ObjectType({ description: 'A risk rule an order’s checkout hit, as scored then (later changes to the rule do not change it).' })
export class RiskReason {
  @Field(() => ID, { description: 'Global ID of the rule.' })
  ruleId!: string;

  @Field({ description: 'The rule’s name then.' })
  name!: string;

  @Field(() => RiskRuleKind, { description: 'Its kind.' })
  kind!: RiskRuleKind;

  @Field(() => Int, { description: 'The points it added.' })
  weight!: number;

  @Field({ description: 'What was measured, e.g. "5 or more checkouts to this address within 24 h".' })
  detail!: string;
}

@ObjectType({
  description:
    'An order’s risk from its checkout’s score (風險評估): for its shop’s members and staff, who see the level and the hold; the score and the reasons only for staff RISK. The buyer never sees it (`Order.risk` is null for them).',
})
export class OrderRisk {
  @Field(() => RiskLevel, { description: 'LOW, MEDIUM (RISK_REVIEW_SCORE or more) or HIGH (RISK_HOLD_SCORE or more).' })
  level!: RiskLevel;

  @Field(() => Int, { nullable: true, description: 'The sum of the weights of the rules that hit; null unless you are staff RISK.' })
  score?: number | null;

  @Field(() => [RiskReason], { nullable: true, description: 'The rules that hit, heaviest first; null unless you are staff RISK.' })
  reasons?: RiskReason[] | null;

  @Field({ description: 'Held by risk control while PAID or PROCESSING: it cannot ship (ORDER_ON_HOLD) until staff RISK release it or cancel it.' })
  onHold!: boolean;

  @Field(() => Date, { nullable: true, description: 'When staff RISK released its hold; null if never held or not released.' })
  holdReleasedAt?: Date | null;
}
