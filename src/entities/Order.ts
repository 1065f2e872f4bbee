import { BigIntType, Check, Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import type { FlashSaleItem } from './Campaign';
import type { ProductVariant } from './Product';
import { Shop } from './Shop';
import { User } from './User';
import { RiskLevel, type RiskReasonRow } from './Risk';

export enum CheckoutStatus {
  PENDING_PAYMENT = 'PENDING_PAYMENT',
  PAID = 'PAID',
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
}

registerEnumType(CheckoutStatus, {
  name: 'CheckoutStatus',
  description: 'Where a checkout stands.',
  valuesConfig: {
    PENDING_PAYMENT: { description: 'Orders placed and stock reserved, waiting for payment until `expiresAt`.' },
    PAID: { description: 'Paid: every order of the checkout is PAID.' },
    EXPIRED: { description: 'Not paid in time: its orders were cancelled and their stock released.' },
    CANCELLED: { description: 'Every order of the checkout was cancelled before payment.' },
  },
});

export enum OrderStatus {
  PENDING_PAYMENT = 'PENDING_PAYMENT',
  PAID = 'PAID',
  PROCESSING = 'PROCESSING',
  SHIPPED = 'SHIPPED',
  DELIVERED = 'DELIVERED',
  COMPLETED = 'COMPLETED',
  CANCELLED = 'CANCELLED',
}

registerEnumType(OrderStatus, {
  name: 'OrderStatus',
  description: 'Where an order stands in its life cycle.',
  valuesConfig: {
    PENDING_PAYMENT: { description: 'Placed; stock reserved; waiting for the checkout to be paid.' },
    PAID: { description: 'Paid; waiting for the shop to accept it.' },
    PROCESSING: { description: 'Accepted by the shop; being packed.' },
    SHIPPED: { description: 'Handed to a carrier; see `shipments`.' },
    DELIVERED: { description: 'Received by the buyer (confirmed, or automatically after AUTO_CONFIRM_DAYS).' },
    COMPLETED: { description: 'The after-sales window (AFTER_SALES_DAYS) has passed.' },
    CANCELLED: { description: 'Cancelled; stock returned, and a paid order refunded.' },
  },
});

export enum OrderCanceller {
  BUYER = 'BUYER',
  SHOP = 'SHOP',
  STAFF = 'STAFF',
  PLATFORM = 'PLATFORM',
}

registerEnumType(OrderCanceller, {
  name: 'OrderCanceller',
  description: 'Who cancelled an order.',
  valuesConfig: {
    BUYER: { description: 'The buyer.' },
    SHOP: { description: 'The shop (counted in its scorecard’s cancellation rate).' },
    STAFF: { description: 'Platform staff.' },
    PLATFORM: { description: 'The platform: an unpaid checkout expired, a group buy failed, or a full refund before shipping.' },
  },
});

/** One checkout: the orders (one per shop) a shopper placed together and pays together. */
@ObjectType({ implements: Node, description: 'A checkout: one order per shop, paid together.' })
@Entity({ tableName: 'checkout' })
@Unique({ name: 'checkout_buyer_key_unique', properties: ['buyer', 'idempotencyKey'] })
@Check({ name: 'checkout_total_check', expression: '"total" >= 0' })
@Index({ name: 'checkout_ip_idx', properties: ['ip', 'createdAt'] })
@Index({ name: 'checkout_device_idx', properties: ['deviceId', 'createdAt'] })
@Index({ name: 'checkout_phone_idx', properties: ['phoneKey', 'createdAt'] })
@Index({ name: 'checkout_address_idx', properties: ['addressKey', 'createdAt'] })
// A buyer's recent checkouts, ids included: the FAILED_PAYMENTS risk rule reads their payments.
@Index({ name: 'checkout_buyer_created_idx', expression: `create index "checkout_buyer_created_idx" on "checkout" ("buyer_id", "created_at") include ("id")` })
@Index({ name: 'checkout_expiry_idx', expression: `create index "checkout_expiry_idx" on "checkout" ("expires_at") where "status" = 'PENDING_PAYMENT'` })
export class Checkout extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  buyer!: Rel<User>;

  /** The client's key: the same key from the same buyer returns this checkout again. */
  @Property({ type: 'text' })
  idempotencyKey!: string;

  @Field(() => CheckoutStatus, { description: 'Status.' })
  @Enum({ items: () => CheckoutStatus })
  status: Opt<CheckoutStatus> = CheckoutStatus.PENDING_PAYMENT;

  /** Sum of the orders' totals, in minor units. */
  @Property({ type: new BigIntType('number') })
  total!: number;

  @Field(() => Date, { description: 'When an unpaid checkout expires and its stock is released.' })
  @Property({ type: 'timestamptz', length: 3 })
  expiresAt!: Date;

  /** Risk signals of the request that placed it (services/risk): the client IP, device id, and the delivery phone and address as blacklist keys. */
  @Property({ type: 'text', nullable: true })
  ip?: string | null;

  @Property({ type: 'text', nullable: true })
  deviceId?: string | null;

  @Property({ type: 'text', nullable: true })
  phoneKey?: string | null;

  @Property({ type: 'text', nullable: true })
  addressKey?: string | null;
}

/** A shipping address as it was when the order was placed. */
@ObjectType({ description: 'The delivery address of an order, as given at checkout.' })
export class ShippingAddress {
  @Field({ description: 'Recipient.' })
  recipientName!: string;

  @Field({ description: 'Phone.' })
  phone!: string;

  @Field({ description: 'Province.' })
  province!: string;

  @Field({ description: 'City.' })
  city!: string;

  @Field({ description: 'District.' })
  district!: string;

  @Field({ description: 'Street address.' })
  line1!: string;

  @Field(() => String, { nullable: true, description: 'Postal code.' })
  postalCode?: string | null;
}

/** One shop's part of a checkout (子訂單): the shop ships it and the buyer tracks it. */
@ObjectType({ implements: Node, description: 'An order of one shop.' })
@Entity({ tableName: 'orders' })
@Check({ name: 'orders_amounts_check', expression: '"subtotal" >= 0 and "shipping_fee" >= 0 and "discount_total" >= 0 and "total" = "subtotal" + "shipping_fee" - "discount_total" and "total" >= 0' })
@Check({ name: 'orders_money_check', expression: '"commission" >= 0 and "platform_discount" >= 0 and "platform_discount" <= "discount_total" and "shipping_discount" between 0 and least("shipping_fee", "discount_total")' })
@Index({ name: 'orders_shop_idx', properties: ['shop', 'placedAt', 'id'] })
@Index({ name: 'orders_shop_status_idx', properties: ['shop', 'status', 'placedAt', 'id'] })
@Index({ name: 'orders_buyer_idx', properties: ['buyer', 'placedAt', 'id'] })
@Index({ name: 'orders_placed_idx', properties: ['placedAt', 'id'] })
@Index({ name: 'orders_status_idx', properties: ['status', 'placedAt', 'id'] })
@Index({ name: 'orders_checkout_idx', properties: ['checkout'] })
@Index({ name: 'orders_shipped_idx', expression: `create index "orders_shipped_idx" on "orders" ("shipped_at") where "status" = 'SHIPPED'` })
// The review window's tasks: lines delivered in a span of days, whatever the order's status since.
@Index({ name: 'orders_delivered_at_idx', expression: `create index "orders_delivered_at_idx" on "orders" ("delivered_at") where "delivered_at" is not null` })
@Index({ name: 'orders_buyer_completed_idx', expression: `create index "orders_buyer_completed_idx" on "orders" ("buyer_id", "completed_at") include ("total") where "status" = 'COMPLETED'` })
@Index({ name: 'orders_delivered_idx', expression: `create index "orders_delivered_idx" on "orders" ("delivered_at") where "status" = 'DELIVERED'` })
// Analytics (services/analytics): orders paid or cancelled in a day, and each buyer's paid orders in time (first order, cohorts).
@Index({ name: 'orders_paid_at_idx', expression: `create index "orders_paid_at_idx" on "orders" ("paid_at") where "paid_at" is not null` })
@Index({ name: 'orders_cancelled_at_idx', expression: `create index "orders_cancelled_at_idx" on "orders" ("cancelled_at") where "cancelled_at" is not null` })
@Index({ name: 'orders_buyer_paid_idx', expression: `create index "orders_buyer_paid_idx" on "orders" ("buyer_id", "paid_at") include ("shop_id") where "paid_at" is not null` })
// The NEW_SHIPPING_REGION risk rule: has the buyer a paid order to this province (services/risk/scoring.ts).
@Index({ name: 'orders_buyer_province_idx', expression: `create index "orders_buyer_province_idx" on "orders" ("buyer_id", ("shipping_address"->>'province')) where "paid_at" is not null` })
// Staff RISK's queue: held orders by payment time.
@Index({ name: 'orders_held_idx', expression: `create index "orders_held_idx" on "orders" ("paid_at", "id") where "held" and "status" in ('PAID', 'PROCESSING')` })
export class Order extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field({ description: 'Human-readable order number: the date (Asia/Shanghai) and a sequence, e.g. "20261123000123".' })
  @Property({ type: 'text', unique: 'orders_number_unique' })
  number!: string;

  @ManyToOne(() => Checkout, { deleteRule: 'restrict' })
  checkout!: Rel<Checkout>;

  @ManyToOne(() => Shop, { deleteRule: 'restrict' })
  shop!: Rel<Shop>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  buyer!: Rel<User>;

  @Field(() => OrderStatus, { description: 'Status.' })
  @Enum({ items: () => OrderStatus })
  status: Opt<OrderStatus> = OrderStatus.PENDING_PAYMENT;

  /** Amounts in minor units: subtotal + shippingFee − discountTotal = total. */
  @Property({ type: new BigIntType('number') })
  subtotal!: number;

  @Property({ type: new BigIntType('number') })
  shippingFee!: number;

  @Property({ type: new BigIntType('number'), default: 0 })
  discountTotal: Opt<number> = 0;

  @Property({ type: new BigIntType('number') })
  total!: number;

  /** Σ of the lines' commissions, snapshotted at checkout and never recomputed (minor units). */
  @Property({ type: new BigIntType('number'), default: 0 })
  commission: Opt<number> = 0;

  /** The part of discountTotal the platform funds (it pays the shop that much on top); minor units. */
  @Property({ type: new BigIntType('number'), default: 0 })
  platformDiscount: Opt<number> = 0;

  /** The part of discountTotal taken off the shipping fee (free-shipping coupons); the rest is on the lines. */
  @Property({ type: new BigIntType('number'), default: 0 })
  shippingDiscount: Opt<number> = 0;

  @Field(() => ShippingAddress, {
    description:
      'Where it goes, as given at checkout. The recipient, phone and street are shown in full to the buyer, to the shop’s OWNER, MANAGER and OPERATOR members while the order is theirs to ship (PAID or PROCESSING and not held by risk control), and to staff RISK and CUSTOMER_SERVICE (ADMIN passes; every such view is written to the audit log as "order.viewPersonalData"); masked for everyone else who sees the order (`masked` true: "王**", "139****5678", "****").',
  })
  @Property({ type: 'jsonb' })
  shippingAddress!: ShippingAddress;

  @Field(() => String, { nullable: true, description: 'The buyer’s note to the shop (訂單備註).' })
  @Property({ type: 'text', nullable: true })
  note?: string | null;

  @Field(() => Date, { description: 'When the order was placed.' })
  @Property({ type: 'timestamptz', length: 3 })
  placedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was paid.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  paidAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was first shipped.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  shippedAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was delivered.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  deliveredAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was completed.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  completedAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was cancelled.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  cancelledAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was cancelled.' })
  @Property({ type: 'text', nullable: true })
  cancelReason?: string | null;

  @Field(() => OrderCanceller, { nullable: true, description: 'Who cancelled it; null unless CANCELLED.' })
  @Enum({ items: () => OrderCanceller, nullable: true })
  cancelledBy?: OrderCanceller | null;

  /** Risk score of its checkout's evaluation for this order: the sum of the weights of the rules that hit (services/risk). */
  @Property({ type: 'int', default: 0 })
  riskScore: Opt<number> = 0;

  /** LOW, MEDIUM (RISK_REVIEW_SCORE or more) or HIGH (RISK_HOLD_SCORE or more), as decided at checkout. */
  @Enum({ items: () => RiskLevel, default: RiskLevel.LOW })
  riskLevel: Opt<RiskLevel> = RiskLevel.LOW;

  /** The rules that hit: `[{ ruleId, name, kind, weight, detail }]`. */
  @Property({ type: 'jsonb', default: '[]' })
  riskReasons: Opt<RiskReasonRow[]> = [];

  /** Held by risk control: scored HIGH; it cannot ship until staff release the hold. */
  @Property({ type: 'boolean', default: false })
  held: Opt<boolean> = false;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  holdReleasedAt?: Date | null;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  holdReleasedBy?: Rel<User> | null;
}

/** A line of an order, with the product as it was when the order was placed. */
@ObjectType({ description: 'A line of an order: a snapshot of what was bought.' })
@Entity({ tableName: 'order_line' })
@Check({ name: 'order_line_amounts_check', expression: '"quantity" > 0 and "unit_price" >= 0 and "line_total" = "unit_price" * "quantity"' })
@Check({ name: 'order_line_commission_check', expression: '"commission_rate" between 0 and 1 and "commission" between 0 and "line_total"' })
@Check({ name: 'order_line_discount_check', expression: '"discount" between 0 and "line_total" and "platform_discount" between 0 and "discount"' })
@Index({ name: 'order_line_flash_idx', expression: 'create index "order_line_flash_idx" on "order_line" ("flash_sale_item_id", "order_id") where "flash_sale_item_id" is not null' })
export class OrderLine {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Index({ name: 'order_line_order_idx' })
  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order!: Rel<Order>;

  @Index({ name: 'order_line_variant_idx' })
  @ManyToOne('ProductVariant', { deleteRule: 'restrict' })
  variant!: Rel<ProductVariant>;

  @Property({ type: 'bigint' })
  productId!: string;

  @Field({ description: 'Product title at the time of the order.' })
  @Property({ type: 'text' })
  productTitle!: string;

  @Field({ description: 'Variant title at the time of the order.' })
  @Property({ type: 'text' })
  variantTitle!: string;

  @Field({ description: 'SKU at the time of the order.' })
  @Property({ type: 'text' })
  sku!: string;

  @Property({ type: new BigIntType('number') })
  unitPrice!: number;

  @Field(() => Int, { description: 'Units.' })
  @Property({ type: 'int' })
  quantity!: number;

  @Property({ type: new BigIntType('number') })
  lineTotal!: number;

  /** The commission rate that applied at checkout: the shop's own, else the category's, else the default. */
  @Property({ type: 'decimal', precision: 5, scale: 4, default: '0' })
  commissionRate: Opt<string> = '0';

  /** round_half_even((lineTotal − shop-funded discount) × commissionRate), minor units; never recomputed. */
  @Property({ type: new BigIntType('number'), default: 0 })
  commission: Opt<number> = 0;

  /** The order's discounts allocated to this line (largest remainder), minor units: the buyer paid lineTotal − discount. */
  @Property({ type: new BigIntType('number'), default: 0 })
  discount: Opt<number> = 0;

  /** The platform-funded part of `discount`. */
  @Property({ type: new BigIntType('number'), default: 0 })
  platformDiscount: Opt<number> = 0;

  /** Units bought at a flash sale's price: their stock is the item's (set aside), not the variant's. */
  @ManyToOne('FlashSaleItem', { nullable: true, deleteRule: 'restrict' })
  flashSaleItem?: Rel<FlashSaleItem> | null;

  @Field(() => Boolean, { description: 'A gift with purchase (買贈), at 0.' })
  @Property({ type: 'boolean', default: false })
  gift: Opt<boolean> = false;
}

export enum OrderEventType {
  PLACED = 'PLACED',
  PAID = 'PAID',
  ACCEPTED = 'ACCEPTED',
  SHIPPED = 'SHIPPED',
  TRACKING = 'TRACKING',
  DELIVERED = 'DELIVERED',
  COMPLETED = 'COMPLETED',
  CANCELLED = 'CANCELLED',
  REFUND_REQUESTED = 'REFUND_REQUESTED',
  AFTER_SALE_REQUESTED = 'AFTER_SALE_REQUESTED',
  HELD = 'HELD',
  HOLD_RELEASED = 'HOLD_RELEASED',
}

registerEnumType(OrderEventType, {
  name: 'OrderEventType',
  description: 'Something that happened to an order.',
  valuesConfig: {
    PLACED: { description: 'The buyer placed it at checkout.' },
    PAID: { description: 'The payment succeeded.' },
    ACCEPTED: { description: 'The shop accepted it.' },
    SHIPPED: { description: 'The shop shipped it (carrier and tracking number in the note).' },
    TRACKING: { description: 'A tracking update from the carrier.' },
    DELIVERED: { description: 'Delivered: confirmed by the buyer or automatically.' },
    COMPLETED: { description: 'Completed after the after-sales window.' },
    CANCELLED: { description: 'Cancelled, with the reason.' },
    REFUND_REQUESTED: { description: 'A refund was requested from the payment provider.' },
    AFTER_SALE_REQUESTED: { description: 'The buyer opened an after-sale case on the order (live feeds only; the case number in the note).' },
    HELD: { description: 'Paid while its risk score was RISK_HOLD_SCORE or more: held by risk control, the shop cannot ship it (not shown to the buyer).' },
    HOLD_RELEASED: { description: 'Staff RISK released the hold: the shop may ship it (not shown to the buyer).' },
  },
});

/** The order's timeline: every transition and tracking update, append-only. */
@ObjectType({ description: 'An event in an order’s timeline.' })
@Entity({ tableName: 'order_event' })
@Index({ name: 'order_event_order_idx', properties: ['order', 'id'] })
export class OrderEvent {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order!: Rel<Order>;

  @Field(() => OrderEventType, { description: 'What happened.' })
  @Enum({ items: () => OrderEventType })
  type!: OrderEventType;

  @Field(() => OrderStatus, { nullable: true, description: 'Status after the event (null for tracking updates).' })
  @Enum({ items: () => OrderStatus, nullable: true })
  status?: OrderStatus | null;

  @Field(() => String, { nullable: true, description: 'Details: a reason, a carrier and tracking number, a tracking message.' })
  @Property({ type: 'text', nullable: true })
  note?: string | null;

  @Index({ name: 'order_event_actor_idx' })
  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  actor?: Rel<User> | null;

  @Field(() => Date, { description: 'When.' })
  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;
}

/** A parcel of an order handed to a carrier. */
@ObjectType({ description: 'A shipment of an order.' })
@Entity({ tableName: 'shipment' })
export class Shipment {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Index({ name: 'shipment_order_idx' })
  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order!: Rel<Order>;

  @Field({ description: 'Carrier, e.g. "SF Express".' })
  @Property({ type: 'text' })
  carrier!: string;

  @Field({ description: 'Tracking (waybill) number.' })
  @Property({ type: 'text' })
  trackingNumber!: string;

  @Field(() => Date, { description: 'When it was handed over.' })
  @Property({ type: 'timestamptz', length: 3 })
  shippedAt!: Date;
}
