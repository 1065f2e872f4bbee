import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ShippingTemplate } from '../../entities';
import { UserError } from '../shared/common';
import { Money } from '../shared/money';
import { DecimalScalar } from '../shared/scalars';

@InputType({ description: 'Fees of a shipping rule: `firstFee` covers up to `firstUnits` units, every further (started) block of `additionalUnits` units adds `additionalFee`.' })
export class ShippingRuleInput {
  @Field(() => Int, { description: 'Units the first fee covers, 1–9999.' })
  firstUnits!: number;

  @Field(() => DecimalScalar, { description: 'Fee for the first units, e.g. "10.00".' })
  firstFee!: string;

  @Field(() => Int, { description: 'Units per additional block, 1–9999.' })
  additionalUnits!: number;

  @Field(() => DecimalScalar, { description: 'Fee per additional block, e.g. "5.00".' })
  additionalFee!: string;
}

@InputType({ description: 'A shipping rule for some provinces.' })
export class ShippingRegionRuleInput extends ShippingRuleInput {
  @Field(() => [String], { description: 'Provinces (省) it applies to, 1–50, matched exactly (trimmed) against the address province.' })
  regions!: string[];
}

@InputType({ description: 'A new shipping-fee template of a shop (OWNER, MANAGER, OPERATOR).' })
export class ShippingTemplateInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field({ description: 'Name, 1–40 characters, e.g. "Standard courier".' })
  name!: string;

  @Field(() => Boolean, { nullable: true, description: 'Make it the shop’s default template. A shop’s first template is the default whatever this says.' })
  isDefault?: boolean | null;

  @Field(() => [ShippingRegionRuleInput], { defaultValue: [], description: 'Rules by province, at most 50; the first rule listing the address province applies.' })
  rules!: ShippingRegionRuleInput[];

  @Field(() => ShippingRuleInput, { description: 'The rule for provinces no rule lists (and for carts without an address).' })
  defaultRule!: ShippingRuleInput;

  @Field(() => DecimalScalar, { nullable: true, description: 'Shipping is free when the shop group’s subtotal reaches this amount; omit for never.' })
  freeShippingThreshold?: string | null;
}

@InputType({ description: 'Changes to a shipping-fee template (OWNER, MANAGER, OPERATOR); omitted fields stay as they are.' })
export class UpdateShippingTemplateInput {
  @Field(() => ID, { description: 'The template.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Name.' })
  name?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true makes it the shop’s default (the previous default stops being one). false on the default is refused: make another template the default instead.',
  })
  isDefault?: boolean | null;

  @Field(() => [ShippingRegionRuleInput], { nullable: true, description: 'Rules by province (replaces the list).' })
  rules?: ShippingRegionRuleInput[] | null;

  @Field(() => ShippingRuleInput, { nullable: true, description: 'The rule for every other province.' })
  defaultRule?: ShippingRuleInput | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Free-shipping threshold; an explicit null removes it.' })
  freeShippingThreshold?: string | null;
}

@ObjectType({ description: 'Fees of a shipping rule: `firstFee` covers up to `firstUnits` units, every further (started) block of `additionalUnits` units adds `additionalFee`.' })
export class ShippingRule {
  @Field(() => Int, { description: 'Units the first fee covers.' })
  firstUnits!: number;

  @Field(() => Money, { description: 'Fee for the first units.' })
  firstFee!: Money;

  @Field(() => Int, { description: 'Units per additional block.' })
  additionalUnits!: number;

  @Field(() => Money, { description: 'Fee per additional block.' })
  additionalFee!: Money;
}

@ObjectType({ description: 'A shipping rule for some provinces.' })
export class ShippingRegionRule extends ShippingRule {
  @Field(() => [String], { description: 'Provinces (省) it applies to, matched exactly against the address province.' })
  regions!: string[];
}

@ObjectType({ description: 'Result of a shipping-template mutation.' })
export class ShippingTemplatePayload {
  @Field(() => ShippingTemplate, { nullable: true, description: 'The template; null when `errors` is not empty.' })
  shippingTemplate?: ShippingTemplate | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
