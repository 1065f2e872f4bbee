import { Field, Int, ObjectType } from 'type-graphql';
import { DiscountSource, Funder } from '../../entities/Promotion';
import { Money } from '../shared/money';

/** A discount on a cart, a quote or an order. */
@ObjectType({ description: 'A discount, with where it came from and who funds it.' })
export class Discount {
  @Field(() => DiscountSource, { description: 'A promotion or a coupon.' })
  source!: DiscountSource;

  @Field({ description: 'The promotion’s or coupon’s title, e.g. "滿200減20".' })
  title!: string;

  @Field(() => Funder, { description: 'Who pays for it: the shop (it lowers the shop’s sales) or the platform (it pays the shop on top).' })
  fundedBy!: Funder;

  @Field(() => Money, { description: 'Taken off (lines and shipping).' })
  amount!: Money;

  @Field(() => Money, { description: 'The part of `amount` taken off the shipping fee (a free-shipping coupon).' })
  shippingAmount!: Money;

  /** Database key of the promotion, for a PROMOTION. */
  promotionId!: string | null;
  /** Database key of the user coupon, for a COUPON. */
  couponId!: string | null;
}

/** A gift with purchase the cart or quote earns. */
@ObjectType({ description: 'A gift with purchase (買贈) added at 0 to a shop’s parcel.' })
export class Gift {
  @Field(() => Int, { description: 'Units.' })
  quantity!: number;

  /** Database keys. */
  variantId!: string;
  promotionId!: string;
}

/** One of the buyer's coupons that would take something off. */
@ObjectType({ description: 'A coupon of yours that applies to this cart, with what it would take off now.' })
export class ApplicableCoupon {
  /** Database key of the user coupon. */
  couponId!: string;

  @Field(() => Money, { description: 'What it would take off, on top of the promotions, if chosen.' })
  discount!: Money;
}

