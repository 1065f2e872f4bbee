import { BigIntType, Check, Entity, Enum, Index, ManyToOne, OneToOne, type Opt, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import { Shop } from './Shop';
import { User } from './User';

export enum SettlementStatus {
  OPEN = 'OPEN',
  CLOSED = 'CLOSED',
}

registerEnumType(SettlementStatus, {
  name: 'SettlementStatus',
  description: 'Where a settlement stands.',
  valuesConfig: {
    OPEN: { description: 'The current period: its figures are what would close now, and grow until `close-settlements` closes it.' },
    CLOSED: { description: 'Closed by `close-settlements`: its figures never change; pay it out with `createPayout`.' },
  },
});

/**
 * A shop's settlement of one period: the ledger entries of its completed (or cancelled) orders and
 * its adjustments, gathered by `close-settlements`. The figures of an OPEN settlement are computed
 * when read; a CLOSED one stores them and never changes. Written only by `services/money/settlements.ts`.
 */
@ObjectType({ implements: Node, description: 'A shop’s settlement of one period: what the platform owes it for the orders completed in that period.' })
@Entity({ tableName: 'settlement' })
@Unique({ name: 'settlement_shop_period_unique', properties: ['shop', 'periodStart'] })
@Index({ name: 'settlement_shop_idx', properties: ['shop', 'periodStart', 'id'] })
@Index({ name: 'settlement_status_idx', properties: ['status', 'periodStart', 'id'] })
@Index({ name: 'settlement_period_idx', properties: ['periodStart', 'id'] })
@Check({ name: 'settlement_net_check', expression: '"net" = "gross" - "commission" - "refunds" + "adjustments" and "payable" = "net" + "carried_over" and "carried_over" <= 0' })
export class Settlement extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'restrict' })
  shop!: Rel<Shop>;

  @Field(() => Date, { description: 'Start of the period (inclusive).' })
  @Property({ type: 'timestamptz', length: 3 })
  periodStart!: Date;

  @Field(() => Date, { nullable: true, description: 'End of the period (exclusive); null for an OPEN settlement under CONTINUOUS settlement, which ends when it is closed.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  periodEnd?: Date | null;

  @Field(() => SettlementStatus, { description: 'Status.' })
  @Enum({ items: () => SettlementStatus })
  status: Opt<SettlementStatus> = SettlementStatus.OPEN;

  /** Stored figures of a CLOSED settlement, in minor units (zero while OPEN: computed on read). */
  @Property({ type: new BigIntType('number'), default: 0 })
  gross: Opt<number> = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  commission: Opt<number> = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  refunds: Opt<number> = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  adjustments: Opt<number> = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  net: Opt<number> = 0;

  /** A negative payable of the shop's previous settlement, carried into this one (≤ 0). */
  @Property({ type: new BigIntType('number'), default: 0 })
  carriedOver: Opt<number> = 0;

  /** net + carriedOver: what a payout of this settlement pays. */
  @Property({ type: new BigIntType('number'), default: 0 })
  payable: Opt<number> = 0;

  @Field(() => Int, { description: 'Orders in the settlement (stored when CLOSED).' })
  @Property({ type: 'int', default: 0 })
  orderCount: Opt<number> = 0;

  @Field(() => Date, { nullable: true, description: 'When it was closed.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  closedAt?: Date | null;
}

export enum PayoutProviderName {
  MOCK = 'MOCK',
}

registerEnumType(PayoutProviderName, {
  name: 'PayoutProvider',
  description: 'A payout provider: how money reaches a shop’s bank account.',
  valuesConfig: { MOCK: { description: 'The mock provider: payouts settle through `POST /webhooks/payouts/mock`.' } },
});

export enum PayoutStatus {
  PENDING = 'PENDING',
  PAID = 'PAID',
  FAILED = 'FAILED',
}

registerEnumType(PayoutStatus, {
  name: 'PayoutStatus',
  description: 'Where a payout stands.',
  valuesConfig: {
    PENDING: { description: 'Sent to the payout provider (or about to be); waiting for its webhook.' },
    PAID: { description: 'The provider paid the shop.' },
    FAILED: { description: 'The provider could not pay; the amount is back in SHOP_PAYABLE and `retryPayout` may send it again.' },
  },
});

/** The payment of one closed settlement to its shop. One per settlement; a failed one is retried in place. */
@ObjectType({ implements: Node, description: 'A payout of a closed settlement to its shop.' })
@Entity({ tableName: 'payout' })
@Index({ name: 'payout_shop_idx', properties: ['shop', 'id'] })
@Index({ name: 'payout_status_idx', properties: ['status', 'id'] })
// What send-payouts picks up: pending payouts not yet accepted by the provider.
@Index({ name: 'payout_reference_idx', expression: `create index "payout_reference_idx" on "payout" ("provider_reference") where "provider_reference" is not null` })
@Index({ name: 'payout_unsent_idx', expression: `create index "payout_unsent_idx" on "payout" ("id") where "status" = 'PENDING' and "provider_reference" is null` })
@Check({ name: 'payout_amount_check', expression: '"amount" > 0 and "attempt" >= 1' })
export class Payout extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @OneToOne(() => Settlement, { owner: true, deleteRule: 'restrict', unique: 'payout_settlement_unique' })
  settlement!: Rel<Settlement>;

  @ManyToOne(() => Shop, { deleteRule: 'restrict' })
  shop!: Rel<Shop>;

  /** Minor units. */
  @Property({ type: new BigIntType('number') })
  amount!: number;

  @Field(() => PayoutStatus, { description: 'Status.' })
  @Enum({ items: () => PayoutStatus })
  status: Opt<PayoutStatus> = PayoutStatus.PENDING;

  @Field(() => PayoutProviderName, { description: 'Provider.' })
  @Enum({ items: () => PayoutProviderName })
  provider: Opt<PayoutProviderName> = PayoutProviderName.MOCK;

  @Field(() => Int, { description: 'Which attempt this is: 1, then one more for each `retryPayout`.' })
  @Property({ type: 'int', default: 1 })
  attempt: Opt<number> = 1;

  /** The provider's reference for the current attempt, once it accepted it. */
  @Field(() => String, { nullable: true, description: 'The provider’s reference for the current attempt.' })
  @Property({ type: 'text', nullable: true })
  providerReference?: string | null;

  /** When the current attempt was last handed to the provider (a lease: see send-payouts). */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  sendingAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'Why the provider failed it.' })
  @Property({ type: 'text', nullable: true })
  failureReason?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the provider confirmed it paid.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  paidAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the provider last failed it.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  failedAt?: Date | null;

  @ManyToOne(() => User, { deleteRule: 'restrict', index: 'payout_created_by_idx' })
  createdBy!: Rel<User>;
}

/** A payout webhook event, kept so a replayed event changes nothing. */
@Entity({ tableName: 'payout_event' })
@Unique({ name: 'payout_event_unique', properties: ['provider', 'eventId'] })
export class PayoutEvent {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Enum({ items: () => PayoutProviderName })
  provider!: PayoutProviderName;

  @Property({ type: 'text' })
  eventId!: string;

  @Property({ type: 'text' })
  type!: string;

  @Index({ name: 'payout_event_payout_idx' })
  @ManyToOne(() => Payout, { deleteRule: 'restrict' })
  payout!: Rel<Payout>;

  @Property({ type: 'jsonb' })
  body!: Record<string, unknown>;

  @Property({ type: 'timestamptz', length: 3 })
  receivedAt!: Date;
}

export enum ProviderRecordKind {
  CHARGE = 'CHARGE',
  REFUND = 'REFUND',
  PAYOUT = 'PAYOUT',
}

registerEnumType(ProviderRecordKind, {
  name: 'ProviderRecordKind',
  description: 'A kind of money movement at a provider.',
  valuesConfig: {
    CHARGE: { description: 'The payment provider charged a buyer.' },
    REFUND: { description: 'The payment provider sent a refund to a buyer.' },
    PAYOUT: { description: 'The payout provider paid a shop.' },
  },
});

/**
 * The mock providers' own books: what they charged, refunded and paid out, kept apart from ours so
 * `reconciliation` compares two independent records, as it would with a real provider's statement.
 * Written only by the mock providers (`services/payments/providers.ts`, `services/money/payoutProviders.ts`).
 */
@Entity({ tableName: 'mock_provider_record' })
@Unique({ name: 'mock_provider_record_unique', properties: ['kind', 'reference'] })
@Index({ name: 'mock_provider_record_at_idx', properties: ['at', 'id'] })
export class MockProviderRecord {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Enum({ items: () => ProviderRecordKind })
  kind!: ProviderRecordKind;

  /** The provider's reference (what it returned when the call was made). */
  @Property({ type: 'text' })
  reference!: string;

  /** Minor units. */
  @Property({ type: new BigIntType('number') })
  amount!: number;

  /** OPEN (a payment opened, not charged), DONE, or FAILED. */
  @Property({ type: 'text' })
  status!: string;

  /** When it happened at the provider (for a charge: when it succeeded). */
  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;
}
