import { BigIntType, Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from './Node';
import { Order } from './Order';
import { Payment, Refund } from './Payment';
import type { Payout, Settlement } from './Settlement';
import { Shop } from './Shop';
import { User } from './User';

/**
 * The accounts of the double-entry ledger. Two are kept per shop (`SHOP_PAYABLE`,
 * `PAYOUTS_IN_TRANSIT`: their entries always name the shop); the others are the platform's, and
 * their entries name a shop and an order only to say whose sale they belong to.
 */
export enum LedgerAccount {
  BUYER_PAYMENTS = 'BUYER_PAYMENTS',
  SHOP_PAYABLE = 'SHOP_PAYABLE',
  PLATFORM_COMMISSION = 'PLATFORM_COMMISSION',
  PLATFORM_PROMOTIONS = 'PLATFORM_PROMOTIONS',
  PLATFORM_ADJUSTMENTS = 'PLATFORM_ADJUSTMENTS',
  REFUNDS_PAYABLE = 'REFUNDS_PAYABLE',
  PAYOUTS_IN_TRANSIT = 'PAYOUTS_IN_TRANSIT',
}

registerEnumType(LedgerAccount, {
  name: 'LedgerAccount',
  description: 'An account of the double-entry ledger. A balance is debits − credits in minor units; every account’s balances together sum to zero.',
  valuesConfig: {
    BUYER_PAYMENTS: { description: 'The platform’s money held at the payment provider: debited by buyers’ payments, credited by refunds and payouts sent.' },
    SHOP_PAYABLE: { description: 'Per shop: what the platform owes the shop (credit balance).' },
    PLATFORM_COMMISSION: { description: 'The platform’s commission revenue (credit balance).' },
    PLATFORM_PROMOTIONS: { description: 'Discounts the platform funds (an expense: debit balance).' },
    PLATFORM_ADJUSTMENTS: { description: 'Manual settlement adjustments by finance staff: compensation paid to shops (debit) or fees charged to them (credit).' },
    REFUNDS_PAYABLE: { description: 'Refunds decided and not yet sent back to buyers by the provider (credit balance).' },
    PAYOUTS_IN_TRANSIT: { description: 'Per shop: payouts sent to the payout provider and not yet confirmed paid.' },
  },
});

/** Accounts kept per shop: their entries must name the shop. */
export const SHOP_ACCOUNTS: readonly LedgerAccount[] = [LedgerAccount.SHOP_PAYABLE, LedgerAccount.PAYOUTS_IN_TRANSIT];

export enum PostingKind {
  PAYMENT = 'PAYMENT',
  REFUND = 'REFUND',
  REFUND_SENT = 'REFUND_SENT',
  ADJUSTMENT = 'ADJUSTMENT',
  PAYOUT_CREATED = 'PAYOUT_CREATED',
  PAYOUT_PAID = 'PAYOUT_PAID',
  PAYOUT_FAILED = 'PAYOUT_FAILED',
}

registerEnumType(PostingKind, {
  name: 'PostingKind',
  description: 'The event a ledger posting records.',
  valuesConfig: {
    PAYMENT: { description: 'A payment succeeded: the buyer’s money split into each shop’s share, the commission and any platform-funded discount (money for orders no longer open goes to REFUNDS_PAYABLE).' },
    REFUND: { description: 'A refund was decided: the refunded share of the order reversed, commission included, into REFUNDS_PAYABLE.' },
    REFUND_SENT: { description: 'The provider sent a refund back to the buyer.' },
    ADJUSTMENT: { description: 'Finance staff adjusted a shop’s open settlement.' },
    PAYOUT_CREATED: { description: 'A payout of a closed settlement was created: SHOP_PAYABLE to PAYOUTS_IN_TRANSIT.' },
    PAYOUT_PAID: { description: 'The payout provider confirmed the payout paid.' },
    PAYOUT_FAILED: { description: 'The payout provider reported the payout failed: the amount returns to SHOP_PAYABLE.' },
  },
});

/** Postings whose entries belong in a shop's settlement (payouts are paid from settlements instead). */
export const SETTLED_KINDS: readonly PostingKind[] = [PostingKind.PAYMENT, PostingKind.REFUND, PostingKind.ADJUSTMENT];

/**
 * One posting: an event's balanced set of entries. Append-only (a trigger refuses updates and
 * deletes); each event posts once (unique indexes by its payment, refund or payout attempt).
 * Written only by `services/money/ledger.ts`.
 */
@ObjectType({ implements: Node, description: 'A ledger posting: one money event, its entries’ debits equal to their credits.' })
@Entity({ tableName: 'ledger_posting' })
// Only PAYMENT postings name a payment: one per payment, however often its webhook arrives.
@Unique({ name: 'ledger_posting_payment_unique', properties: ['payment'] })
@Index({ name: 'ledger_posting_refund_unique', expression: `create unique index "ledger_posting_refund_unique" on "ledger_posting" ("refund_id", "kind") where "refund_id" is not null` })
@Index({ name: 'ledger_posting_payout_unique', expression: `create unique index "ledger_posting_payout_unique" on "ledger_posting" ("payout_id", "payout_attempt", "kind") where "payout_id" is not null` })
@Index({ name: 'ledger_posting_at_idx', properties: ['at', 'id'] })
export class LedgerPosting extends Node {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field(() => PostingKind, { description: 'What happened.' })
  @Enum({ items: () => PostingKind })
  kind!: PostingKind;

  @Field(() => Date, { description: 'When it happened, by the business clock.' })
  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;

  @Field(() => String, { nullable: true, description: 'A note: the refund’s or adjustment’s reason.' })
  @Property({ type: 'text', nullable: true })
  memo?: string | null;

  @ManyToOne(() => Payment, { nullable: true, deleteRule: 'restrict', index: 'ledger_posting_payment_idx' })
  payment?: Rel<Payment> | null;

  @ManyToOne(() => Refund, { nullable: true, deleteRule: 'restrict', index: 'ledger_posting_refund_idx' })
  refund?: Rel<Refund> | null;

  @ManyToOne('Payout', { nullable: true, deleteRule: 'restrict', index: 'ledger_posting_payout_idx' })
  payout?: Rel<Payout> | null;

  /** The payout's attempt this posting belongs to (a retried payout posts again). */
  @Property({ type: 'int', nullable: true })
  payoutAttempt?: number | null;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'restrict', index: 'ledger_posting_actor_idx' })
  actor?: Rel<User> | null;

  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  createdAt?: Date;
}

/**
 * One entry of a posting: an amount on one account, positive for a debit and negative for a
 * credit, never zero. The entries of each posting sum to zero: a statement trigger checks every
 * posting an insert touched, so an unbalanced posting cannot be written at all. Append-only, except
 * that the settlement it is settled in is set once, by `close-settlements`.
 */
@ObjectType({ description: 'A ledger entry: a debit or a credit to one account.' })
@Entity({ tableName: 'ledger_entry' })
@Check({ name: 'ledger_entry_amount_check', expression: '"amount" <> 0' })
@Check({ name: 'ledger_entry_shop_check', expression: `"account" not in ('SHOP_PAYABLE', 'PAYOUTS_IN_TRANSIT') or "shop_id" is not null` })
@Index({ name: 'ledger_entry_posting_idx', properties: ['posting'] })
// Balances (ledgerBalances, shopBalance) sum amounts from these indexes alone (index-only scans).
@Index({ name: 'ledger_entry_account_idx', expression: `create index "ledger_entry_account_idx" on "ledger_entry" ("account", "at", "id") include ("amount")` })
@Index({ name: 'ledger_entry_account_shop_idx', expression: `create index "ledger_entry_account_shop_idx" on "ledger_entry" ("account", "shop_id", "at", "id") include ("amount")` })
@Index({ name: 'ledger_entry_order_idx', expression: `create index "ledger_entry_order_idx" on "ledger_entry" ("order_id", "id") where "order_id" is not null` })
@Index({ name: 'ledger_entry_settlement_idx', expression: `create index "ledger_entry_settlement_idx" on "ledger_entry" ("settlement_id", "id") where "settlement_id" is not null` })
// What close-settlements reads: each shop's entries that belong in a settlement and are not in one yet.
@Index({
  name: 'ledger_entry_unsettled_idx',
  expression: `create index "ledger_entry_unsettled_idx" on "ledger_entry" ("shop_id", "id") where "settlement_id" is null and "kind" in ('PAYMENT', 'REFUND', 'ADJUSTMENT') and "account" in ('SHOP_PAYABLE', 'PLATFORM_COMMISSION', 'PLATFORM_PROMOTIONS', 'PLATFORM_ADJUSTMENTS')`,
})
export class LedgerEntry {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => LedgerPosting, { deleteRule: 'restrict' })
  posting!: Rel<LedgerPosting>;

  /** The posting's kind, copied so settlements sum entries without a join. */
  @Field(() => PostingKind, { description: 'The posting’s kind.' })
  @Enum({ items: () => PostingKind })
  kind!: PostingKind;

  @Field(() => LedgerAccount, { description: 'The account.' })
  @Enum({ items: () => LedgerAccount })
  account!: LedgerAccount;

  @ManyToOne(() => Shop, { nullable: true, deleteRule: 'restrict' })
  shop?: Rel<Shop> | null;

  @ManyToOne(() => Order, { nullable: true, deleteRule: 'restrict' })
  order?: Rel<Order> | null;

  /** Minor units: debit > 0, credit < 0. */
  @Property({ type: new BigIntType('number') })
  amount!: number;

  @Field(() => Date, { description: 'When, by the business clock (the posting’s time).' })
  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;

  @ManyToOne('Settlement', { nullable: true, deleteRule: 'restrict' })
  settlement?: Rel<Settlement> | null;
}
