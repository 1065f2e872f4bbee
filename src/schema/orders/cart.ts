import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Address, CartLine, Shop } from '../../entities';
import { Node } from '../../entities/Node';
import { UserError } from '../shared/common';
import { Money } from '../shared/money';
import { ApplicableCoupon, Discount, Gift } from '../promotions/discounts';

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

@ObjectType({ description: 'The lines of one shop in your cart (one order at checkout), with their subtotal, shipping fee, discounts and total (each shop ships and charges separately).' })
export class CartShopGroup {
  @Field(() => Shop, { description: 'The shop selling these lines.' })
  shop!: Shop;

  @Field(() => [CartLine], { description: 'The shop’s lines, including lines with a problem.' })
  lines!: CartLine[];

  @Field(() => Money, { description: 'Sum of the shop’s lines without a problem.' })
  subtotal!: Money;

  @Field(() => Money, { description: 'Shipping fee of the shop’s lines without a problem, by the shop’s templates (運費模板); 0 when free.' })
  shippingFee!: Money;

  @Field(() => [Discount], { description: 'The discounts on this shop’s lines: its promotions and coupon, and its part of platform ones.' })
  discounts!: Discount[];

  @Field(() => Money, { description: 'Sum of `discounts`.' })
  discountTotal!: Money;

  @Field(() => Money, { description: 'subtotal + shippingFee − discountTotal: what this shop’s order would cost.' })
  total!: Money;

  @Field(() => [Gift], { description: 'Gifts with purchase this shop adds at 0.' })
  gifts!: Gift[];
}

/** Your server-side cart. Its global ID is `Cart:<userId>`. */
@ObjectType({ implements: Node, description: 'Your cart: lines grouped by shop, priced by the same engine as checkout (promotions applied; choose coupons in `checkoutQuote` and `checkout`). Lines with a `problem` count in no amount.' })
export class Cart extends Node {
  /** The owner's user id: the cart's database key. */
  id!: string;

  @Field(() => [CartLine], { description: 'Every line, most recently added first, including lines with a problem.' })
  lines!: CartLine[];

  @Field(() => [CartShopGroup], { description: 'Lines by shop, in the order of their first line.' })
  groups!: CartShopGroup[];

  @Field(() => Address, { nullable: true, description: 'Your default address, which shipping fees are quoted for; null when you have none (fees then use each template’s default rule).' })
  shippingAddress!: Address | null;

  @Field(() => [Discount], { description: 'Every promotion applied, over the whole cart (a platform one summed over its shops).' })
  discounts!: Discount[];

  @Field(() => Money, { description: 'Sum of the lines without a problem.' })
  subtotal!: Money;

  @Field(() => Money, { description: 'Sum of the shop groups’ shipping fees.' })
  shippingTotal!: Money;

  @Field(() => Money, { description: 'Sum of the discounts.' })
  discountTotal!: Money;

  @Field(() => Money, { description: 'subtotal + shippingTotal − discountTotal: what checking out every line without a problem, with no coupon, would cost.' })
  total!: Money;

  @Field(() => [ApplicableCoupon], { description: 'Your coupons that would take something off this cart, most first (apply them in `checkoutQuote` and `checkout`).' })
  applicableCoupons!: ApplicableCoupon[];
}

@InputType({ description: 'What to quote: the same as `checkout` takes.' })
export class CheckoutQuoteInput {
  @Field(() => ID, { nullable: true, description: 'Delivery address from your address book; your default address when omitted (fees use each template’s default rule when you have none).' })
  addressId?: string | null;

  @Field(() => [ID], { nullable: true, description: 'Cart lines to buy; every line of the cart when omitted.' })
  lineIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Your coupons to apply (`myCoupons`): at most one platform coupon and one per shop.' })
  couponIds?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'Points to redeem, as `checkout` takes them (refused the same way).' })
  pointsToRedeem?: number | null;
}

/** What a checkout of these lines, this address and these coupons would charge now. */
@ObjectType({ description: 'What `checkout` with the same lines, address and coupons would charge now: the same pricing engine as the cart and checkout.' })
export class CheckoutQuote {
  @Field(() => [CartShopGroup], { description: 'One group per shop (one order each), with its lines, discounts and total.' })
  groups!: CartShopGroup[];

  @Field(() => Address, { nullable: true, description: 'The address quoted for.' })
  shippingAddress!: Address | null;

  @Field(() => [Discount], { description: 'Every discount over the whole checkout (a platform one summed over its shops).' })
  discounts!: Discount[];

  @Field(() => Money, { description: 'Sum of the lines.' })
  subtotal!: Money;

  @Field(() => Money, { description: 'Sum of the shipping fees.' })
  shippingTotal!: Money;

  @Field(() => Money, { description: 'Sum of the discounts.' })
  discountTotal!: Money;

  @Field(() => Money, { description: 'subtotal + shippingTotal − discountTotal: what checkout would charge.' })
  total!: Money;

  @Field(() => [ApplicableCoupon], { description: 'Your other coupons that would take something off, most first.' })
  applicableCoupons!: ApplicableCoupon[];

  @Field(() => Int, { description: 'Your points balance now.' })
  pointsBalance!: number;

  @Field(() => Int, { description: 'The most points this checkout could redeem: your balance, or what POINTS_MAX_DISCOUNT_RATE of the goods after other discounts allows, whichever is less.' })
  maxRedeemablePoints!: number;

  @Field(() => Int, { description: 'The points this quote redeems (`pointsToRedeem`, 0 without).' })
  pointsRedeemed!: number;
}

@ObjectType({ description: 'Result of a cart mutation.' })
export class CartPayload {
  @Field(() => Cart, { nullable: true, description: 'Your whole cart after the change; null when `errors` is not empty.' })
  cart?: Cart | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
