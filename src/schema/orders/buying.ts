import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Address, CartLine, ShippingTemplate, Shop } from '../../entities';
import { Node } from '../../entities/Node';
import { UserError } from '../shared/common';
import { Money } from '../shared/money';
import { DecimalScalar } from '../shared/scalars';

// ---------- address book ----------

@InputType({ description: 'A new delivery address.' })
export class AddressInput {
  @Field({ description: 'Who receives the parcel, 1–40 characters.' })
  recipientName!: string;

  @Field({ description: 'Recipient phone: a mainland mobile number (11 digits, optionally +86) or an E.164 number. Spaces and dashes are ignored.' })
  phone!: string;

  @Field({ description: 'Province (省), 1–40 characters, e.g. 浙江省. Shipping-fee rules match it exactly.' })
  province!: string;

  @Field({ description: 'City (市), 1–40 characters.' })
  city!: string;

  @Field({ description: 'District (區/縣), 1–40 characters.' })
  district!: string;

  @Field({ description: 'Street address, 1–200 characters.' })
  line1!: string;

  @Field(() => String, { nullable: true, description: 'Postal code: 6 digits.' })
  postalCode?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Make it the default address. Your first address is the default whatever this says.' })
  isDefault?: boolean | null;
}

@InputType({ description: 'Changes to one of your addresses; omitted fields stay as they are.' })
export class UpdateAddressInput {
  @Field(() => ID, { description: 'The address.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Who receives the parcel.' })
  recipientName?: string | null;

  @Field(() => String, { nullable: true, description: 'Recipient phone.' })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'Province (省).' })
  province?: string | null;

  @Field(() => String, { nullable: true, description: 'City (市).' })
  city?: string | null;

  @Field(() => String, { nullable: true, description: 'District (區/縣).' })
  district?: string | null;

  @Field(() => String, { nullable: true, description: 'Street address.' })
  line1?: string | null;

  @Field(() => String, { nullable: true, description: 'Postal code (6 digits); an explicit null removes it.' })
  postalCode?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true makes it the default (the previous default stops being one). false on the default is refused: make another address the default instead.',
  })
  isDefault?: boolean | null;
}

@ObjectType({ description: 'Result of an address mutation.' })
export class AddressPayload {
  @Field(() => Address, { nullable: true, description: 'The address; null when `errors` is not empty.' })
  address?: Address | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `deleteAddress`.' })
export class DeleteAddressPayload {
  @Field(() => ID, { nullable: true, description: 'Global ID of the deleted address; null when `errors` is not empty.' })
  deletedAddressId?: string | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

// ---------- shipping templates ----------

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

// ---------- cart ----------

@InputType({ description: 'Units of a variant to add to your cart.' })
export class AddToCartInput {
  @Field(() => ID, { description: 'The variant (SKU).' })
  variantId!: string;

  @Field(() => Int, { description: 'Units to add, 1–999.' })
  quantity!: number;
}

@InputType({ description: 'A new quantity for one of your cart lines.' })
export class UpdateCartLineInput {
  @Field(() => ID, { description: 'The cart line.' })
  lineId!: string;

  @Field(() => Int, { description: 'Units, 0–999; 0 removes the line.' })
  quantity!: number;
}

export enum CartLineProblem {
  UNAVAILABLE = 'UNAVAILABLE',
  INSUFFICIENT_STOCK = 'INSUFFICIENT_STOCK',
}

registerEnumType(CartLineProblem, {
  name: 'CartLineProblem',
  description: 'Why a cart line cannot be bought as it is. Such lines stay in the cart but count in no subtotal or total.',
  valuesConfig: {
    UNAVAILABLE: { description: 'The product is no longer on sale (delisted, banned, its shop inactive) or the variant was removed.' },
    INSUFFICIENT_STOCK: { description: 'The quantity is more than the units available now; lower it to check out.' },
  },
});

@ObjectType({ description: 'The lines of one shop in your cart, with their subtotal and shipping fee (each shop ships and charges separately).' })
export class CartShopGroup {
  @Field(() => Shop, { description: 'The shop selling these lines.' })
  shop!: Shop;

  @Field(() => [CartLine], { description: 'The shop’s lines, including lines with a problem.' })
  lines!: CartLine[];

  /** Sum of the group's buyable lines, minor units. */
  subtotalMinor!: number;
  /** Shipping fee of the buyable lines, minor units. */
  shippingFeeMinor!: number;
}

/** Your server-side cart. Its global ID is `Cart:<userId>`. */
@ObjectType({ implements: Node, description: 'Your cart: lines grouped by shop, with subtotals, shipping fees and the total. Lines with a `problem` count in no amount.' })
export class Cart extends Node {
  /** The owner's user id: the cart's database key. */
  id!: string;

  @Field(() => [CartLine], { description: 'Every line, most recently added first, including lines with a problem.' })
  lines!: CartLine[];

  @Field(() => [CartShopGroup], { description: 'Lines by shop, in the order of their first line.' })
  groups!: CartShopGroup[];

  @Field(() => Address, { nullable: true, description: 'Your default address, which shipping fees are quoted for; null when you have none (fees then use each template’s default rule).' })
  shippingAddress!: Address | null;

  subtotalMinor!: number;
  shippingTotalMinor!: number;
}

@ObjectType({ description: 'Result of a cart mutation.' })
export class CartPayload {
  @Field(() => Cart, { nullable: true, description: 'Your whole cart after the change; null when `errors` is not empty.' })
  cart?: Cart | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
