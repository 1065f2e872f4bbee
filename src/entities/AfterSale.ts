import { ArrayType, BigIntType, Check, Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import { Order, OrderLine } from './Order';
import { Refund } from './Payment';
import { Shop } from './Shop';
import { User } from './User';

export enum AfterSaleType {
  REFUND_ONLY = 'REFUND_ONLY',
  RETURN_AND_REFUND = 'RETURN_AND_REFUND',
  EXCHANGE = 'EXCHANGE',
  REPAIR = 'REPAIR',
}

registerEnumType(AfterSaleType, {
  name: 'AfterSaleType',
  description: 'What the buyer asks for (售後類型).',
  valuesConfig: {
    REFUND_ONLY: { description: 'Money back without returning anything (退款): goods not shipped, lost, or not worth returning.' },
    RETURN_AND_REFUND: { description: 'The goods go back to the shop, then the money comes back (退貨退款).' },
    EXCHANGE: { description: 'The goods go back and the shop sends replacements (換貨).' },
    REPAIR: { description: 'The goods go back, the shop repairs them and sends them back (維修).' },
  },
});

export enum AfterSaleStatus {
  REQUESTED = 'REQUESTED',
  REJECTED = 'REJECTED',
  AWAITING_RETURN = 'AWAITING_RETURN',
  RETURN_SHIPPED = 'RETURN_SHIPPED',
  RECEIVED = 'RECEIVED',
  REFUNDING = 'REFUNDING',
  RESENT = 'RESENT',
  ARBITRATION = 'ARBITRATION',
  CLOSED = 'CLOSED',
}

registerEnumType(AfterSaleStatus, {
  name: 'AfterSaleStatus',
  description: 'Where an after-sale case stands. Every status but CLOSED holds the order’s completion and settlement.',
  valuesConfig: {
    REQUESTED: { description: 'Waiting for the merchant (AFTER_SALE_RESPONSE_HOURS, then approved automatically).' },
    REJECTED: { description: 'Rejected by the merchant with a reason; the buyer may escalate within ESCALATION_DAYS, after which it closes.' },
    AWAITING_RETURN: { description: 'Approved: the buyer ships the goods back within RETURN_SHIP_DAYS, or the case closes.' },
    RETURN_SHIPPED: { description: 'The buyer gave the carrier and tracking number; the merchant confirms receipt within RETURN_RECEIVE_DAYS, or it is received automatically.' },
    RECEIVED: { description: 'The merchant received and inspected the goods (EXCHANGE and REPAIR: to be sent back).' },
    REFUNDING: { description: 'The refund is created and on its way through the payment provider; the case closes when it succeeds.' },
    RESENT: { description: 'EXCHANGE and REPAIR: the merchant shipped the replacement or repaired goods; the buyer confirms (or AUTO_CONFIRM_DAYS pass).' },
    ARBITRATION: { description: 'Escalated to the platform: staff CUSTOMER_SERVICE rule, and the ruling binds.' },
    CLOSED: { description: 'Final; see `outcome`.' },
  },
});

export enum AfterSaleOutcome {
  REFUNDED = 'REFUNDED',
  REPLACED = 'REPLACED',
  REPAIRED = 'REPAIRED',
  REJECTED = 'REJECTED',
  WITHDRAWN = 'WITHDRAWN',
}

registerEnumType(AfterSaleOutcome, {
  name: 'AfterSaleOutcome',
  description: 'How a CLOSED case ended.',
  valuesConfig: {
    REFUNDED: { description: 'The buyer got the refund.' },
    REPLACED: { description: 'The buyer received replacement goods (which may take a new case).' },
    REPAIRED: { description: 'The buyer received the repaired goods (which may take a new case).' },
    REJECTED: { description: 'Rejected by the merchant (not escalated in time) or ruled for the merchant; its units take no new case.' },
    WITHDRAWN: { description: 'Withdrawn by the buyer, or closed because the return was never shipped; its units may take a new case.' },
  },
});

export enum AfterSaleParty {
  BUYER = 'BUYER',
  MERCHANT = 'MERCHANT',
  PLATFORM = 'PLATFORM',
}

registerEnumType(AfterSaleParty, {
  name: 'AfterSaleParty',
  description: 'A party to an after-sale case.',
  valuesConfig: {
    BUYER: { description: 'The buyer of the order.' },
    MERCHANT: { description: 'The shop, through its OWNER, MANAGER and CUSTOMER_SERVICE members.' },
    PLATFORM: { description: 'Platform staff (CUSTOMER_SERVICE), or the platform’s own timers.' },
  },
});

export enum AfterSaleEventType {
  REQUESTED = 'REQUESTED',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  RETURN_SHIPPED = 'RETURN_SHIPPED',
  RECEIVED = 'RECEIVED',
  REFUND_CREATED = 'REFUND_CREATED',
  RESENT = 'RESENT',
  ESCALATED = 'ESCALATED',
  RULED = 'RULED',
  WITHDRAWN = 'WITHDRAWN',
  CLOSED = 'CLOSED',
}

registerEnumType(AfterSaleEventType, {
  name: 'AfterSaleEventType',
  description: 'A step in an after-sale case’s timeline.',
  valuesConfig: {
    REQUESTED: { description: 'The buyer opened the case.' },
    APPROVED: { description: 'The merchant approved it (or the platform did, the merchant having been silent).' },
    REJECTED: { description: 'The merchant rejected it.' },
    RETURN_SHIPPED: { description: 'The buyer shipped the goods back.' },
    RECEIVED: { description: 'The goods came back (confirmed by the merchant, or automatically).' },
    REFUND_CREATED: { description: 'A refund was created for the case.' },
    RESENT: { description: 'The merchant shipped replacement or repaired goods.' },
    ESCALATED: { description: 'A party escalated the case to platform arbitration.' },
    RULED: { description: 'Staff ruled on the case.' },
    WITHDRAWN: { description: 'The buyer withdrew the case.' },
    CLOSED: { description: 'The case closed (see the note and `outcome`).' },
  },
});

export enum ArbitrationRuling {
  FOR_BUYER = 'FOR_BUYER',
  FOR_MERCHANT = 'FOR_MERCHANT',
}

registerEnumType(ArbitrationRuling, {
  name: 'ArbitrationRuling',
  description: 'The platform’s binding ruling on an escalated case.',
  valuesConfig: {
    FOR_BUYER: { description: 'The buyer is refunded (the amount staff set, else the case’s).' },
    FOR_MERCHANT: { description: 'The case closes with outcome REJECTED.' },
  },
});

/** A return or resend shipment of a case. */
@ObjectType({ description: 'A parcel of an after-sale case: the return to the shop, or the replacement back to the buyer.' })
export class CaseShipment {
  @Field({ description: 'Carrier.' })
  carrier!: string;

  @Field({ description: 'Tracking number.' })
  trackingNumber!: string;

  @Field(() => Date, { description: 'When it was shipped.' })
  shippedAt!: Date;
}

/**
 * An after-sale case (售後單) on one order: a type, the order lines and quantities it covers, the
 * parties' messages and its timeline. Its status moves only through the table in
 * `services/aftersales/lifecycle.ts`; while it is not CLOSED the order neither completes nor settles.
 */
@ObjectType({ implements: Node, description: 'An after-sale case: a refund, return, exchange or repair requested on an order.' })
@Entity({ tableName: 'after_sale_case' })
@Index({ name: 'after_sale_case_order_idx', properties: ['order'] })
@Index({ name: 'after_sale_case_shop_idx', properties: ['shop', 'createdAt', 'id'] })
@Index({ name: 'after_sale_case_shop_status_idx', properties: ['shop', 'status', 'createdAt', 'id'] })
@Index({ name: 'after_sale_case_buyer_idx', properties: ['buyer', 'createdAt', 'id'] })
@Index({ name: 'after_sale_case_refund_idx', properties: ['refund'] })
// What holds an order's completion and settlement: its cases not yet closed.
@Index({ name: 'after_sale_case_open_idx', expression: `create index "after_sale_case_open_idx" on "after_sale_case" ("order_id") where "status" <> 'CLOSED'` })
// What the timeout tasks pick up, by status, oldest deadline first.
@Index({ name: 'after_sale_case_deadline_idx', expression: `create index "after_sale_case_deadline_idx" on "after_sale_case" ("status", "deadline") where "deadline" is not null` })
// The arbitration queue, oldest escalation first.
// Analytics: the cases opened in a day.
@Index({ name: 'after_sale_case_created_idx', properties: ['createdAt'] })
@Index({ name: 'after_sale_case_arbitration_idx', expression: `create index "after_sale_case_arbitration_idx" on "after_sale_case" ("escalated_at", "id") where "status" = 'ARBITRATION'` })
@Check({ name: 'after_sale_case_refund_amount_check', expression: '"refund_amount" >= 0' })
@Check({ name: 'after_sale_case_closed_check', expression: `("status" = 'CLOSED') = ("outcome" is not null and "closed_at" is not null)` })
export class AfterSaleCase extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field({ description: 'Human-readable case number: "AS", the date (Asia/Shanghai) and a sequence.' })
  @Property({ type: 'text', unique: 'after_sale_case_number_unique' })
  number!: string;

  @ManyToOne(() => Order, { deleteRule: 'restrict' })
  order!: Rel<Order>;

  /** The order's shop: every query of a shop's cases filters by it. */
  @ManyToOne(() => Shop, { deleteRule: 'restrict' })
  shop!: Rel<Shop>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  buyer!: Rel<User>;

  @Field(() => AfterSaleType, { description: 'What the buyer asks for.' })
  @Enum({ items: () => AfterSaleType })
  type!: AfterSaleType;

  @Field(() => AfterSaleStatus, { description: 'Status.' })
  @Enum({ items: () => AfterSaleStatus })
  status: Opt<AfterSaleStatus> = AfterSaleStatus.REQUESTED;

  @Field(() => AfterSaleOutcome, { nullable: true, description: 'How it ended; null until CLOSED.' })
  @Enum({ items: () => AfterSaleOutcome, nullable: true })
  outcome?: AfterSaleOutcome | null;

  @Field({ description: 'The buyer’s reason.' })
  @Property({ type: 'text' })
  reason!: string;

  @Field(() => String, { nullable: true, description: 'The buyer’s description of the problem.' })
  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Field(() => [String], { description: 'Evidence photos (URLs), up to 9.' })
  @Property({ type: ArrayType, columnType: 'text[]', default: '{}' })
  evidenceUrls: Opt<string[]> = [];

  /** What the case refunds if it is refunded, minor units (0 for EXCHANGE and REPAIR unless asked). */
  @Property({ type: new BigIntType('number') })
  refundAmount!: number;

  /** The refund created for the case (through the order's payment). */
  @ManyToOne(() => Refund, { deleteRule: 'restrict', nullable: true })
  refund?: Rel<Refund> | null;

  /** Who must act next (null when CLOSED). */
  @Field(() => AfterSaleParty, { nullable: true, description: 'Who must act next; null when CLOSED.' })
  @Enum({ items: () => AfterSaleParty, nullable: true })
  awaiting?: AfterSaleParty | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the platform acts if `awaiting` does not: REQUESTED is approved, REJECTED and AWAITING_RETURN close, RETURN_SHIPPED is received, RESENT closes as delivered. Null where nothing happens by itself.',
  })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  deadline?: Date | null;

  @Field(() => String, { nullable: true, description: 'Where the buyer sends the goods, as the merchant gave it on approval.' })
  @Property({ type: 'text', nullable: true })
  returnAddress?: string | null;

  @Field(() => CaseShipment, { nullable: true, description: 'The buyer’s parcel back to the shop.' })
  @Property({ type: 'jsonb', nullable: true })
  returnShipment?: CaseShipment | null;

  @Field(() => CaseShipment, { nullable: true, description: 'EXCHANGE and REPAIR: the shop’s parcel back to the buyer.' })
  @Property({ type: 'jsonb', nullable: true })
  resendShipment?: CaseShipment | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether the returned units went back on hand (null until received).' })
  @Property({ type: 'boolean', nullable: true })
  restocked?: boolean | null;

  @Field(() => Date, { nullable: true, description: 'When it was escalated to arbitration (the queue’s order).' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  escalatedAt?: Date | null;

  @Field(() => ArbitrationRuling, { nullable: true, description: 'The platform’s ruling, once made.' })
  @Enum({ items: () => ArbitrationRuling, nullable: true })
  ruling?: ArbitrationRuling | null;

  @Field(() => Date, { nullable: true, description: 'When it closed.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  closedAt?: Date | null;
}

/** Units of one order line a case covers. `open` mirrors the case being open, so one index keeps one open case per line. */
@ObjectType({ description: 'Units of one order line an after-sale case covers.' })
@Entity({ tableName: 'after_sale_case_line' })
@Index({ name: 'after_sale_case_line_case_idx', properties: ['afterSaleCase'] })
@Index({ name: 'after_sale_case_line_order_line_idx', properties: ['orderLine'] })
@Index({ name: 'after_sale_case_line_open_unique', expression: `create unique index "after_sale_case_line_open_unique" on "after_sale_case_line" ("order_line_id") where "open"` })
@Check({ name: 'after_sale_case_line_quantity_check', expression: '"quantity" > 0' })
export class AfterSaleCaseLine {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => AfterSaleCase, { deleteRule: 'cascade', fieldName: 'case_id' })
  afterSaleCase!: Rel<AfterSaleCase>;

  @ManyToOne(() => OrderLine, { deleteRule: 'restrict' })
  orderLine!: Rel<OrderLine>;

  @Field(() => Int, { description: 'Units of the line.' })
  @Property({ type: 'int' })
  quantity!: number;

  /** The case is not CLOSED. */
  @Property({ type: 'boolean', default: true })
  open: Opt<boolean> = true;

  /** Units counted against the line: false once the case closed WITHDRAWN, REPLACED or REPAIRED (a refund, a rejection or a ruling for the merchant stands). */
  @Property({ type: 'boolean', default: true })
  counts: Opt<boolean> = true;
}

/** A message in a case's thread: typed by party, timestamped, never edited. */
@ObjectType({ description: 'A message in an after-sale case’s thread.' })
@Entity({ tableName: 'after_sale_message' })
@Index({ name: 'after_sale_message_case_idx', properties: ['afterSaleCase', 'at', 'id'] })
export class AfterSaleMessage {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => AfterSaleCase, { deleteRule: 'cascade', fieldName: 'case_id' })
  afterSaleCase!: Rel<AfterSaleCase>;

  @ManyToOne(() => User, { deleteRule: 'restrict', index: 'after_sale_message_author_idx' })
  author!: Rel<User>;

  @Field(() => AfterSaleParty, { description: 'The party the author wrote for.' })
  @Enum({ items: () => AfterSaleParty })
  role!: AfterSaleParty;

  @Field({ description: 'Text.' })
  @Property({ type: 'text' })
  body!: string;

  @Field(() => [String], { description: 'Attachments (URLs).' })
  @Property({ type: ArrayType, columnType: 'text[]', default: '{}' })
  attachmentUrls: Opt<string[]> = [];

  @Field(() => Date, { description: 'When it was written.' })
  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;
}

/** A step of a case's timeline. */
@ObjectType({ description: 'A step in an after-sale case’s timeline.' })
@Entity({ tableName: 'after_sale_event' })
@Index({ name: 'after_sale_event_case_idx', properties: ['afterSaleCase', 'at', 'id'] })
export class AfterSaleEvent {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => AfterSaleCase, { deleteRule: 'cascade', fieldName: 'case_id' })
  afterSaleCase!: Rel<AfterSaleCase>;

  @Field(() => AfterSaleEventType, { description: 'What happened.' })
  @Enum({ items: () => AfterSaleEventType })
  type!: AfterSaleEventType;

  @Field(() => AfterSaleStatus, { description: 'The case’s status after it.' })
  @Enum({ items: () => AfterSaleStatus })
  status!: AfterSaleStatus;

  @Field(() => AfterSaleParty, { name: 'actor', description: 'The party that acted (PLATFORM for staff and the platform’s timers).' })
  @Enum({ items: () => AfterSaleParty })
  party!: AfterSaleParty;

  /** The person; null for the platform's timers. */
  @ManyToOne(() => User, { deleteRule: 'restrict', nullable: true, index: 'after_sale_event_actor_idx' })
  actor?: Rel<User> | null;

  @Field(() => String, { nullable: true, description: 'Reason, ruling note, carrier and tracking number …' })
  @Property({ type: 'text', nullable: true })
  note?: string | null;

  @Field(() => Date, { description: 'When.' })
  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;
}
