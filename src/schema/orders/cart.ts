import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Address, CartLine, Shop } from '../../entities';
import { Node } from '../../entities/Node';
import { UserError } from '../shared/common';

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
