import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Checkout, Order, OrderStatus, Payment, PaymentProviderName } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { Multiline } from '../shared/textRule';

/** What a person may do next with an order through the API (the system's own steps are not listed). */
export enum OrderAction {
  ACCEPT = 'ACCEPT',
  SHIP = 'SHIP',
  CONFIRM_DELIVERY = 'CONFIRM_DELIVERY',
  CANCEL = 'CANCEL',
}

registerEnumType(OrderAction, {
  name: 'OrderAction',
  description: 'Something the viewer may do next with an order, by its mutation; payment, expiry, automatic delivery and completion are the platform’s own and never listed.',
  valuesConfig: {
    ACCEPT: { description: '`acceptOrder`: PAID → PROCESSING (a shop OWNER, MANAGER or OPERATOR).' },
    SHIP: { description: '`shipOrder`: PAID | PROCESSING → SHIPPED (a shop OWNER, MANAGER or OPERATOR).' },
    CONFIRM_DELIVERY: { description: '`confirmDelivery`: SHIPPED → DELIVERED (the buyer).' },
    CANCEL: { description: '`cancelOrder`: the buyer before shipping (no reason needed), the shop before shipping with a reason, order staff before completion with a reason.' },
  },
});

@InputType({ description: 'What to check out.' })
export class CheckoutInput {
  @Field(() => ID, { description: 'Delivery address from your address book.' })
  addressId!: string;

  @Field(() => [ID], { nullable: true, description: 'Cart lines to buy; every line of the cart when omitted.' })
  lineIds?: string[] | null;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'A note to the shops (訂單備註), at most 200 characters.' })
  note?: string | null;

  @Field(() => [ID], { nullable: true, description: 'Your coupons to apply (`myCoupons`, `applicableCoupons`): at most one platform coupon and one per shop. Consumed by the checkout; given back when it expires or every order it was used on is cancelled before shipping.' })
  couponIds?: string[] | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Points to redeem (積分抵現): POINTS_PER_YUAN_DISCOUNT points (default 100) take 1.00 off, funded by the platform, up to POINTS_MAX_DISCOUNT_RATE (default 0.5) of the goods after other discounts (`checkoutQuote.maxRedeemablePoints`). More than you hold is INSUFFICIENT_POINTS, more than the cap POINTS_CAP_EXCEEDED: never clamped. Given back when the checkout expires or an order is cancelled before shipping.',
  })
  pointsToRedeem?: number | null;
}

@ObjectType({ description: 'Result of `checkout`.' })
export class CheckoutPayload {
  @Field(() => Checkout, { nullable: true, description: 'The checkout (the first one again for a repeated idempotency key); null when `errors` is not empty.' })
  checkout?: Checkout | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'Pay a checkout.' })
export class PayCheckoutInput {
  @Field(() => ID, { description: 'The checkout.' })
  checkoutId!: string;

  @Field(() => PaymentProviderName, { defaultValue: PaymentProviderName.MOCK, description: 'Payment provider.' })
  provider!: PaymentProviderName;
}

@ObjectType({ description: 'Result of `payCheckout`.' })
export class PayCheckoutPayload {
  @Field(() => Payment, { nullable: true, description: 'The payment; complete it with the provider (for MOCK: the webhook).' })
  payment?: Payment | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'Ship an order.' })
export class ShipOrderInput {
  @Field(() => ID, { description: 'The order.' })
  orderId!: string;

  @Field({ description: 'Carrier, e.g. "SF Express" (順豐).' })
  carrier!: string;

  @Field({ description: 'Tracking (waybill) number.' })
  trackingNumber!: string;
}

@InputType({ description: 'Cancel an order.' })
export class CancelOrderInput {
  @Field(() => ID, { description: 'The order.' })
  orderId!: string;

  @Multiline()
  @Field({ defaultValue: '', description: 'Why; required for the shop and staff (at least 3 characters), optional for the buyer.' })
  reason!: string;
}

@ObjectType({ description: 'Result of an order mutation.' })
export class OrderPayload {
  @Field(() => Order, { nullable: true, description: 'The order; null when `errors` is not empty.' })
  order?: Order | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'Filters of an order list.' })
export class OrderFilter {
  @Field(() => OrderStatus, { nullable: true, description: 'Only this status.' })
  status?: OrderStatus | null;

  @Field(() => Date, { nullable: true, description: 'Placed at or after.' })
  placedAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Placed before.' })
  placedBefore?: Date | null;
}

@InputType({ description: 'Filters of the staff order search.' })
export class StaffOrderFilter extends OrderFilter {
  @Field(() => ID, { nullable: true, description: 'Only this shop.' })
  shopId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only this buyer.' })
  buyerId?: string | null;

  @Field(() => String, { nullable: true, description: 'The order with this number.' })
  number?: string | null;
}

export const { ConnectionType: OrderConnection } = connectionTypes(Order);
