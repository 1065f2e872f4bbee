import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Checkout, Order, OrderEvent, OrderLine, Payment, Refund, Shipment, ShippingAddress, Shop, User } from '../../entities';
import { money } from '../../services/shared';
import * as orders from '../../services/orders';
import * as payments from '../../services/payments';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeIds, toGlobalId } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { Discount } from '../../schema/promotions/discounts';
import { DecimalScalar } from '../../schema/shared/scalars';
import {
  CancelOrderInput,
  CheckoutInput,
  CheckoutPayload,
  OrderAction,
  OrderConnection,
  OrderFilter,
  OrderPayload,
  PayCheckoutInput,
  PayCheckoutPayload,
  ShipOrderInput,
  StaffOrderFilter,
} from '../../schema/orders/orders';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';
import { OrderRisk } from '../../schema/risk/orders';
import { orderRiskFor, orderShippingAddress, type ShippingAddressView, visibleOrderEvents } from '../../services/risk';

@ArgsType()
class OrdersArgs extends ConnectionArgs {
  @Field(() => OrderFilter, { nullable: true, description: 'Filters.' })
  filter?: OrderFilter | null;
}

@ArgsType()
class StaffOrdersArgs extends ConnectionArgs {
  @Field(() => StaffOrderFilter, { nullable: true, description: 'Filters.' })
  filter?: StaffOrderFilter | null;
}

const wrap = (order: Order) => ({ order });

/** The staff search's filter with its shop and buyer IDs as database keys. */
function staffFilter(filter: StaffOrderFilter | null | undefined): StaffOrderFilter | null | undefined {
  if (!filter) return filter;
  return { ...filter, shopId: filter.shopId ? decodeId('Shop', filter.shopId) : filter.shopId, buyerId: filter.buyerId ? decodeId('User', filter.buyerId) : filter.buyerId };
}

@Resolver(() => Order)
export class OrderResolver {
  @Query(() => OrderConnection, { description: 'Your orders, newest first.' })
  myOrders(@Args() args: OrdersArgs, @Ctx() ctx: Context) {
    return connection(orders.myOrders(ctx, args));
  }

  @Query(() => Order, { nullable: true, description: 'One order: for its buyer, its shop’s members and order staff (and staff RISK when risk control scored it MEDIUM or HIGH); null for anyone else.' })
  order(@Arg('id', () => ID, { description: 'Global ID.' }) id: string, @Ctx() ctx: Context): Promise<Order | null> {
    return orders.visibleOrder(ctx, decodeId('Order', id));
  }

  @Query(() => OrderConnection, { description: 'Every order, newest first, searchable (CUSTOMER_SERVICE, OPERATIONS).' })
  orders(@Args() args: StaffOrdersArgs, @Ctx() ctx: Context) {
    return connection(orders.allOrders(ctx, { ...args, filter: staffFilter(args.filter) }));
  }

  @Query(() => Checkout, { nullable: true, description: 'One of your checkouts.' })
  checkout(@Arg('id', () => ID, { description: 'Global ID.' }) id: string, @Ctx() ctx: Context): Promise<Checkout | null> {
    return orders.visibleCheckout(ctx, decodeId('Checkout', id));
  }

  @Mutation(() => CheckoutPayload, { name: 'checkout', description: 'Check out the cart: one order per shop, stock reserved until paid or expired. The same idempotencyKey returns the first result.' })
  placeCheckout(
    @Arg('input', { description: INPUT_DESCRIPTION }) input: CheckoutInput,
    @Arg('idempotencyKey', { description: 'A fresh key per checkout attempt (a UUID); retries with the same key return the first result.' }) idempotencyKey: string,
    @Ctx() ctx: Context,
  ): Promise<CheckoutPayload> {
    return payload(
      () => orders.checkout(ctx, { ...input, addressId: decodeId('Address', input.addressId), lineIds: input.lineIds && decodeIds('CartLine', input.lineIds), couponIds: input.couponIds && decodeIds('UserCoupon', input.couponIds) }, idempotencyKey),
      (checkout) => ({ checkout }),
      { fieldIds: { lines: 'CartLine' } },
    );
  }

  @Mutation(() => PayCheckoutPayload, { description: 'Open a payment for a checkout’s total (its buyer).' })
  payCheckout(@Arg('input', { description: INPUT_DESCRIPTION }) input: PayCheckoutInput, @Ctx() ctx: Context): Promise<PayCheckoutPayload> {
    return payload(() => payments.payCheckout(ctx, { ...input, checkoutId: decodeId('Checkout', input.checkoutId) }), (payment) => ({ payment }));
  }

  @Mutation(() => OrderPayload, { description: 'Accept a paid order: PAID → PROCESSING (shop OWNER, MANAGER, OPERATOR).' })
  acceptOrder(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<OrderPayload> {
    return payload(() => orders.acceptOrder(ctx, decodeId('Order', input.id)), wrap);
  }

  @Mutation(() => OrderPayload, { description: 'Ship an order with a carrier and tracking number: PAID | PROCESSING → SHIPPED (shop OWNER, MANAGER, OPERATOR). ORDER_ON_HOLD while risk control holds it.' })
  shipOrder(@Arg('input', { description: INPUT_DESCRIPTION }) input: ShipOrderInput, @Ctx() ctx: Context): Promise<OrderPayload> {
    return payload(() => orders.shipOrder(ctx, { ...input, orderId: decodeId('Order', input.orderId) }), wrap);
  }

  @Mutation(() => OrderPayload, { description: 'Confirm receipt (確認收貨): SHIPPED → DELIVERED (the buyer).' })
  confirmDelivery(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<OrderPayload> {
    return payload(() => orders.confirmDelivery(ctx, decodeId('Order', input.id)), wrap);
  }

  @Mutation(() => OrderPayload, { description: 'Cancel an order: the buyer or the shop before shipping, staff before completion (staff RISK: an order risk control holds). Stock returns; a paid order is refunded.' })
  cancelOrder(@Arg('input', { description: INPUT_DESCRIPTION }) input: CancelOrderInput, @Ctx() ctx: Context): Promise<OrderPayload> {
    return payload(() => orders.cancelOrder(ctx, { ...input, orderId: decodeId('Order', input.orderId) }), wrap);
  }

  @FieldResolver(() => Shop, { description: 'The shop fulfilling it.' })
  async shop(@Root() order: Order, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(order.shop.id))!;
  }

  @FieldResolver(() => User, { description: 'The buyer.' })
  async buyer(@Root() order: Order, @Ctx() ctx: Context): Promise<User> {
    return (await ctx.loaders.userById.load(order.buyer.id))!;
  }

  @FieldResolver(() => [OrderLine], { description: 'What was bought.' })
  lines(@Root() order: Order, @Ctx() ctx: Context): Promise<OrderLine[]> {
    return ctx.loaders.orderLinesByOrderId.load(order.id);
  }

  @FieldResolver(() => Money, { description: 'Sum of the lines.' })
  subtotal(@Root() order: Order, @Ctx() ctx: Context): Money {
    return money(order.subtotal, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'Shipping fee of this shop’s part.' })
  shippingFee(@Root() order: Order, @Ctx() ctx: Context): Money {
    return money(order.shippingFee, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'Σ of `discounts`: the lines’ discounts plus any taken off shipping.' })
  discountTotal(@Root() order: Order, @Ctx() ctx: Context): Money {
    return money(order.discountTotal, ctx.deps.config.currency);
  }

  @FieldResolver(() => [Discount], { description: 'The discounts applied at checkout, with their source and funder (a platform discount: this order’s part of it).' })
  async discounts(@Root() order: Order, @Ctx() ctx: Context): Promise<Discount[]> {
    const rows = await ctx.loaders.discountsByOrderId.load(order.id);
    return orders.toDiscounts(
      rows.map((d) => ({ ...d, promotionId: d.promotion?.id ?? null, couponId: d.userCoupon?.id ?? null })),
      ctx.deps.config.currency,
    );
  }

  @FieldResolver(() => Money, { description: 'subtotal + shippingFee − discountTotal.' })
  total(@Root() order: Order, @Ctx() ctx: Context): Money {
    return money(order.total, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, {
    nullable: true,
    description: 'The platform’s commission on the order: the sum of its lines’, snapshotted at checkout. For the shop’s OWNER and FINANCE members and FINANCE staff; null with a FORBIDDEN error for anyone else.',
  })
  commission(@Root() order: Order, @Ctx() ctx: Context): Money {
    return money(order.commission, ctx.deps.config.currency);
  }

  /** The address masked by role (services/risk/privacy.ts); the field and its description are the entity's. */
  @FieldResolver(() => ShippingAddress)
  shippingAddress(@Root() order: Order, @Ctx() ctx: Context): Promise<ShippingAddressView> {
    return orderShippingAddress(ctx, order);
  }

  @FieldResolver(() => [Shipment], { description: 'Parcels handed to carriers.' })
  shipments(@Root() order: Order, @Ctx() ctx: Context): Promise<Shipment[]> {
    return ctx.loaders.shipmentsByOrderId.load(order.id);
  }

  @FieldResolver(() => [OrderEvent], { description: 'The timeline: every transition and tracking update, oldest first (risk control’s HELD and HOLD_RELEASED only for the shop’s members and staff).' })
  async events(@Root() order: Order, @Ctx() ctx: Context): Promise<OrderEvent[]> {
    return visibleOrderEvents(ctx, order, await ctx.loaders.orderEventsByOrderId.load(order.id));
  }

  @FieldResolver(() => [Refund], { description: 'Refunds of this order.' })
  refunds(@Root() order: Order, @Ctx() ctx: Context): Promise<Refund[]> {
    return ctx.loaders.refundsByOrderId.load(order.id);
  }

  @FieldResolver(() => [OrderAction], {
    description:
      'What you may do next with this order, from its status and how you relate to it (the same rules the mutations apply): a shop OWNER, MANAGER or OPERATOR sees ACCEPT when it is PAID, SHIP when PAID or PROCESSING and CANCEL (with a reason) before shipping; the buyer sees CANCEL before shipping and CONFIRM_DELIVERY once SHIPPED; CUSTOMER_SERVICE and OPERATIONS staff see CANCEL (with a reason) until COMPLETED. An order of a group buy whose group has not formed offers no ACCEPT or SHIP (GROUP_NOT_FORMED); one risk control holds offers no SHIP (ORDER_ON_HOLD), and staff RISK see CANCEL on it. Someone with several relations sees the actions of each. Empty for other shop roles and once nothing is left to do.',
  })
  nextActions(@Root() order: Order, @Ctx() ctx: Context): Promise<OrderAction[]> {
    return orders.nextOrderActions(ctx, order);
  }

  @FieldResolver(() => OrderRisk, {
    nullable: true,
    description: 'Its risk from its checkout’s score, for its shop’s members and staff (the score and reasons for staff RISK alone); null for the buyer, who is never told.',
  })
  async risk(@Root() order: Order, @Ctx() ctx: Context): Promise<OrderRisk | null> {
    const view = await orderRiskFor(ctx, order);
    return view && { ...view, reasons: view.reasons && view.reasons.map((r) => ({ ...r, ruleId: toGlobalId('RiskRule', r.ruleId) })) };
  }
}

@Resolver(() => OrderLine)
export class OrderLineResolver {
  @FieldResolver(() => ID, { description: 'Opaque ID of the line: names it in `requestAfterSale`.' })
  id(@Root() line: OrderLine): string {
    return toGlobalId('OrderLine', line.id);
  }

  @FieldResolver(() => Money, { description: 'Price of one unit when ordered.' })
  unitPrice(@Root() line: OrderLine, @Ctx() ctx: Context): Money {
    return money(line.unitPrice, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'unitPrice × quantity.' })
  lineTotal(@Root() line: OrderLine, @Ctx() ctx: Context): Money {
    return money(line.lineTotal, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { description: 'The order’s discounts allocated to this line (largest remainder, in minor units): the buyer paid lineTotal − discount, which is what a refund of its units returns.' })
  discount(@Root() line: OrderLine, @Ctx() ctx: Context): Money {
    return money(line.discount, ctx.deps.config.currency);
  }

  @FieldResolver(() => DecimalScalar, {
    nullable: true,
    description: 'The commission rate that applied at checkout (the shop’s own, else the category’s, else the default). For the shop’s OWNER and FINANCE members and FINANCE staff; null with a FORBIDDEN error for anyone else.',
  })
  commissionRate(@Root() line: OrderLine): string {
    return line.commissionRate;
  }

  @FieldResolver(() => Money, {
    nullable: true,
    description: 'round_half_even(lineTotal × commissionRate), snapshotted at checkout and never recomputed. For the shop’s OWNER and FINANCE members and FINANCE staff; null with a FORBIDDEN error for anyone else.',
  })
  commission(@Root() line: OrderLine, @Ctx() ctx: Context): Money {
    return money(line.commission, ctx.deps.config.currency);
  }
}

@Resolver(() => Checkout)
export class CheckoutResolver {
  @FieldResolver(() => [Order], { description: 'One order per shop.' })
  orders(@Root() checkout: Checkout, @Ctx() ctx: Context): Promise<Order[]> {
    return ctx.loaders.ordersByCheckoutId.load(checkout.id);
  }

  @FieldResolver(() => Money, { description: 'What to pay: the sum of the orders still open.' })
  total(@Root() checkout: Checkout, @Ctx() ctx: Context): Money {
    return money(checkout.total, ctx.deps.config.currency);
  }

  @FieldResolver(() => [Payment], { description: 'Payments opened for it.' })
  payments(@Root() checkout: Checkout, @Ctx() ctx: Context): Promise<Payment[]> {
    return ctx.loaders.paymentsByCheckoutId.load(checkout.id);
  }
}

@Resolver(() => Payment)
export class PaymentResolver {
  @FieldResolver(() => Money, { description: 'Amount.' })
  amount(@Root() payment: Payment, @Ctx() ctx: Context): Money {
    return money(payment.amount, ctx.deps.config.currency);
  }
}

@Resolver(() => Refund)
export class RefundResolver {
  @FieldResolver(() => Money, { description: 'Amount.' })
  amount(@Root() refund: Refund, @Ctx() ctx: Context): Money {
    return money(refund.amount, ctx.deps.config.currency);
  }
}

@Resolver(() => Shop)
export class ShopOrdersResolver {
  @FieldResolver(() => OrderConnection, { description: 'The shop’s orders, newest first (its members and staff).' })
  orders(@Root() shop: Shop, @Args() args: OrdersArgs, @Ctx() ctx: Context) {
    return connection(orders.shopOrders(ctx, shop, args));
  }
}
