import { BigIntType, Check, Entity, Enum, type Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';

export enum RiskLevel {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
}

registerEnumType(RiskLevel, {
  name: 'RiskLevel',
  description: 'An order’s risk level from its checkout’s score.',
  valuesConfig: {
    LOW: { description: 'Under RISK_REVIEW_SCORE.' },
    MEDIUM: { description: 'RISK_REVIEW_SCORE or more, under RISK_HOLD_SCORE: worth a look, not held.' },
    HIGH: { description: 'RISK_HOLD_SCORE or more: held once paid until staff RISK release or cancel it.' },
  },
});

/** What a risk rule looks at; each kind takes the parameters its description names. */
export enum RiskRuleKind {
  ORDER_AMOUNT = 'ORDER_AMOUNT',
  NEW_ACCOUNT_AMOUNT = 'NEW_ACCOUNT_AMOUNT',
  ADDRESS_VELOCITY = 'ADDRESS_VELOCITY',
  PHONE_VELOCITY = 'PHONE_VELOCITY',
  DEVICE_VELOCITY = 'DEVICE_VELOCITY',
  IP_VELOCITY = 'IP_VELOCITY',
  DEVICE_SHARED = 'DEVICE_SHARED',
  REFUND_HISTORY = 'REFUND_HISTORY',
  FAILED_PAYMENTS = 'FAILED_PAYMENTS',
  NEW_SHIPPING_REGION = 'NEW_SHIPPING_REGION',
  WATCHLISTED = 'WATCHLISTED',
}

registerEnumType(RiskRuleKind, {
  name: 'RiskRuleKind',
  description: 'What a risk rule looks at. Each kind takes the parameters its description names and no others; velocity and history windows end at the checkout.',
  valuesConfig: {
    ORDER_AMOUNT: { description: 'The order’s total is `amount` or more (each order of a checkout on its own).' },
    NEW_ACCOUNT_AMOUNT: { description: 'The buyer’s account is younger than `accountAgeHours` and the order’s total is `amount` or more.' },
    ADDRESS_VELOCITY: { description: '`count` or more checkouts (this one included, any buyer) to the same delivery address within `windowHours`.' },
    PHONE_VELOCITY: { description: '`count` or more checkouts (this one included, any buyer) to the same delivery phone within `windowHours`.' },
    DEVICE_VELOCITY: { description: '`count` or more checkouts (this one included, any buyer) from the same device (X-Device-Id) within `windowHours`; never hits without a device id.' },
    IP_VELOCITY: { description: '`count` or more checkouts (this one included, any buyer) from the same IP address within `windowHours`.' },
    DEVICE_SHARED: { description: '`count` or more different buyers checked out from this device within `windowHours` (this buyer included).' },
    REFUND_HISTORY: { description: '`count` or more of the buyer’s orders (placed within `windowHours` or the 90 days before) got a refund, not failed, within `windowHours`.' },
    FAILED_PAYMENTS: { description: '`count` or more of the buyer’s payments opened within `windowHours` failed.' },
    NEW_SHIPPING_REGION: { description: 'The buyer has paid orders, none of them to the delivery province. No parameters.' },
    WATCHLISTED: { description: 'The delivery phone or address, the device, the IP address or the buyer’s email domain is on a REVIEW blacklist entry that has not expired. No parameters.' },
  },
});

/** One rule that hit an order, as stored on the order (`orders.risk_reasons`). */
export interface RiskReasonRow {
  ruleId: string;
  name: string;
  kind: RiskRuleKind;
  weight: number;
  /** What was measured, e.g. "4 checkouts to this address in 24 h". */
  detail: string;
}

/**
 * A risk rule (風控規則), data that staff RISK maintain: a kind with its parameters and a weight.
 * Every checkout is scored by all enabled rules in one statement (services/risk/scoring.ts).
 */
@ObjectType({ implements: Node, description: 'A checkout risk rule: a condition with a weight; an order’s score is the sum of the weights of the rules it hits.' })
@Entity({ tableName: 'risk_rule' })
@Check({ name: 'risk_rule_values_check', expression: '"weight" between 1 and 1000 and ("amount" is null or "amount" > 0) and ("count" is null or "count" between 1 and 10000) and ("window_hours" is null or "window_hours" between 1 and 8760) and ("account_age_hours" is null or "account_age_hours" between 1 and 87600)' })
export class RiskRule extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field({ description: 'A unique name.' })
  @Property({ type: 'text', unique: 'risk_rule_name_unique' })
  name!: string;

  @Field(() => RiskRuleKind, { description: 'What it looks at; its parameters are the fields the kind names.' })
  @Enum({ items: () => RiskRuleKind })
  kind!: RiskRuleKind;

  @Field(() => Int, { description: 'Points added to the score when the rule hits (1–1000).' })
  @Property({ type: 'int' })
  weight!: number;

  @Field(() => Boolean, { description: 'Disabled rules are kept but not evaluated.' })
  @Property({ type: 'boolean', default: true })
  enabled: Opt<boolean> = true;

  /** Minor units: ORDER_AMOUNT and NEW_ACCOUNT_AMOUNT. */
  @Property({ type: new BigIntType('number'), nullable: true })
  amount?: number | null;

  @Field(() => Int, { nullable: true, description: 'The count at which a velocity or history rule hits.' })
  @Property({ type: 'int', nullable: true })
  count?: number | null;

  @Field(() => Int, { nullable: true, description: 'The window a velocity or history rule counts over, in hours.' })
  @Property({ type: 'int', nullable: true })
  windowHours?: number | null;

  @Field(() => Int, { nullable: true, description: 'NEW_ACCOUNT_AMOUNT: accounts younger than this many hours.' })
  @Property({ type: 'int', nullable: true })
  accountAgeHours?: number | null;

  @Field(() => String, { nullable: true, description: 'Staff notes.' })
  @Property({ type: 'text', nullable: true })
  description?: string | null;
}
