import { BigIntType, Check, Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import { Checkout, Order } from './Order';

export enum PaymentProviderName {
  MOCK = 'MOCK',
}

registerEnumType(PaymentProviderName, {
  name: 'PaymentProvider',
  description: 'A payment provider.',
  valuesConfig: { MOCK: { description: 'The mock provider: payments settle through `POST /webhooks/payments/mock`.' } },
});

export enum PaymentStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

registerEnumType(PaymentStatus, {
  name: 'PaymentStatus',
  description: 'Where a payment stands.',
  valuesConfig: {
    PENDING: { description: 'Created; waiting for the provider.' },
    SUCCEEDED: { description: 'The provider took the money.' },
    FAILED: { description: 'The provider refused it; the checkout may be paid again.' },
  },
});

/** A payment for a whole checkout through one provider. */
@ObjectType({ implements: Node, description: 'A payment for a checkout.' })
@Entity({ tableName: 'payment' })
@Check({ name: 'payment_amount_check', expression: '"amount" >= 0' })
@Index({ name: 'payment_checkout_idx', properties: ['checkout', 'id'] })
// The payments the repair-payments task opens: a crash left them without a provider reference.
// Reconciliation matches the provider's records by reference.
@Index({ name: 'payment_reference_idx', expression: `create index "payment_reference_idx" on "payment" ("provider_reference") where "provider_reference" is not null` })
@Index({ name: 'payment_unopened_idx', expression: `create index "payment_unopened_idx" on "payment" ("id") where "status" = 'PENDING' and "provider_reference" is null` })
// The FAILED_PAYMENTS risk rule: a checkout's failed payments, without reading the payments.
@Index({ name: 'payment_failed_idx', expression: `create index "payment_failed_idx" on "payment" ("checkout_id", "created_at") where "status" = 'FAILED'` })
export class Payment extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Checkout, { deleteRule: 'restrict' })
  checkout!: Rel<Checkout>;

  @Field(() => PaymentProviderName, { description: 'Provider.' })
  @Enum({ items: () => PaymentProviderName })
  provider!: PaymentProviderName;

  @Field(() => PaymentStatus, { description: 'Status.' })
  @Enum({ items: () => PaymentStatus })
  status: Opt<PaymentStatus> = PaymentStatus.PENDING;

  /** Amount in minor units. */
  @Property({ type: new BigIntType('number') })
  amount!: number;

  /** The provider's reference for this payment. */
  @Property({ type: 'text', nullable: true })
  providerReference?: string | null;

  /**
   * Set when money arrived for a checkout that had expired or been cancelled: it never revives the
   * orders, and finance refunds it.
   */
  @Field(() => Boolean, { description: 'Whether the money must go back: it arrived for a checkout that had expired or been cancelled.' })
  @Property({ type: 'boolean', default: false })
  refundRequired: Opt<boolean> = false;
}

/** A webhook event from a provider, kept so a replayed event changes nothing. */
@Entity({ tableName: 'payment_event' })
@Unique({ name: 'payment_event_unique', properties: ['provider', 'eventId'] })
export class PaymentEvent {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Enum({ items: () => PaymentProviderName })
  provider!: PaymentProviderName;

  @Property({ type: 'text' })
  eventId!: string;

  @Property({ type: 'text' })
  type!: string;

  @Index({ name: 'payment_event_payment_idx' })
  @ManyToOne(() => Payment, { deleteRule: 'cascade' })
  payment!: Rel<Payment>;

  @Property({ type: 'jsonb' })
  body!: Record<string, unknown>;

  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  receivedAt: Opt<Date> = new Date();
}

export enum RefundStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

registerEnumType(RefundStatus, {
  name: 'RefundStatus',
  description: 'Where a refund stands.',
  valuesConfig: {
    PENDING: { description: 'Requested from the provider.' },
    SUCCEEDED: { description: 'The money went back.' },
    FAILED: { description: 'The provider refused it; finance follows up.' },
  },
});

/** Money returned for an order (a cancelled paid order, or a late payment). */
@ObjectType({ implements: Node, description: 'A refund of an order’s payment.' })
@Entity({ tableName: 'refund' })
@Index({ name: 'refund_reference_idx', expression: `create index "refund_reference_idx" on "refund" ("provider_reference") where "provider_reference" is not null` })
@Index({ name: 'refund_pending_idx', expression: `create index "refund_pending_idx" on "refund" ("id") where "status" = 'PENDING' and "provider_reference" is null` })
@Check({ name: 'refund_amount_check', expression: '"amount" > 0' })
export class Refund extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Index({ name: 'refund_payment_idx' })
  @ManyToOne(() => Payment, { deleteRule: 'restrict' })
  payment!: Rel<Payment>;

  @Index({ name: 'refund_order_idx' })
  @ManyToOne(() => Order, { nullable: true, deleteRule: 'restrict' })
  order?: Rel<Order> | null;

  /** Amount in minor units. */
  @Property({ type: new BigIntType('number') })
  amount!: number;

  @Field(() => RefundStatus, { description: 'Status.' })
  @Enum({ items: () => RefundStatus })
  status: Opt<RefundStatus> = RefundStatus.PENDING;

  @Field({ description: 'Why.' })
  @Property({ type: 'text' })
  reason!: string;

  @Property({ type: 'text', nullable: true })
  providerReference?: string | null;

  /** When `send-refunds` last handed it to the provider: a lease, so no other worker sends it meanwhile. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  sendingAt?: Date | null;
}
