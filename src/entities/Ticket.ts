import { BigIntType, Check, Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, TimestampedNode } from './Node';
import { Order } from './Order';
import { Product } from './Product';
import { Shop } from './Shop';
import { User } from './User';

export enum TicketKind {
  QUESTION = 'QUESTION',
  COMPLAINT_ABOUT_SHOP = 'COMPLAINT_ABOUT_SHOP',
  COMPLAINT_ABOUT_PRODUCT = 'COMPLAINT_ABOUT_PRODUCT',
  COMPLAINT_ABOUT_DELIVERY = 'COMPLAINT_ABOUT_DELIVERY',
  FEEDBACK = 'FEEDBACK',
}

registerEnumType(TicketKind, {
  name: 'TicketKind',
  description: 'What a ticket is about (諮詢, 投訴, 反饋).',
  valuesConfig: {
    QUESTION: { description: 'A question to customer service (pre-sale or after-sale consultation).' },
    COMPLAINT_ABOUT_SHOP: { description: 'A complaint about a shop; names the shop, or an order of it.' },
    COMPLAINT_ABOUT_PRODUCT: { description: 'A complaint about a product; names the product.' },
    COMPLAINT_ABOUT_DELIVERY: { description: 'A complaint about the delivery of an order; names the order.' },
    FEEDBACK: { description: 'Feedback or a suggestion about the platform.' },
  },
});

export enum TicketStatus {
  OPEN = 'OPEN',
  IN_PROGRESS = 'IN_PROGRESS',
  WAITING_ON_CUSTOMER = 'WAITING_ON_CUSTOMER',
  RESOLVED = 'RESOLVED',
  CLOSED = 'CLOSED',
}

registerEnumType(TicketStatus, {
  name: 'TicketStatus',
  description: 'Where a ticket stands.',
  valuesConfig: {
    OPEN: { description: 'Opened; nobody but the requester has written yet (the first-response timer runs).' },
    IN_PROGRESS: { description: 'Customer service or the shop has answered and is working on it.' },
    WAITING_ON_CUSTOMER: { description: 'Waiting for the requester’s answer; their reply moves it back to IN_PROGRESS.' },
    RESOLVED: { description: 'Resolved by customer service; the requester may rate it (which closes it) or reply (which reopens it).' },
    CLOSED: { description: 'Rated by the requester after it was resolved; final.' },
  },
});

export enum TicketParty {
  REQUESTER = 'REQUESTER',
  STAFF = 'STAFF',
  SHOP = 'SHOP',
}

registerEnumType(TicketParty, {
  name: 'TicketParty',
  description: 'Who wrote a ticket message.',
  valuesConfig: {
    REQUESTER: { description: 'The user who opened the ticket.' },
    STAFF: { description: 'Platform customer service.' },
    SHOP: { description: 'An OWNER or CUSTOMER_SERVICE member of the shop the ticket names.' },
  },
});

export enum TicketMessageKind {
  OPENING = 'OPENING',
  REPLY = 'REPLY',
  RESOLUTION = 'RESOLUTION',
}

registerEnumType(TicketMessageKind, {
  name: 'TicketMessageKind',
  description: 'What a ticket message was written as.',
  valuesConfig: {
    OPENING: { description: 'The body the requester opened the ticket with.' },
    REPLY: { description: 'A reply (`replyToTicket`).' },
    RESOLUTION: { description: 'Customer service’s resolution (`resolveTicket`).' },
  },
});

/**
 * A customer-service ticket (客服工單): a question, complaint or feedback, optionally about an
 * order, shop or product. What the parties write is in `TicketMessage`, appended, never edited;
 * the row holds the status, the first-response timer and the outcome. `shop` is the shop the ticket
 * names (given, or that of its order or product): that shop's OWNER and CUSTOMER_SERVICE members see
 * and answer it. Written only by `services/aftersales/tickets.ts`.
 */
@ObjectType({ implements: Node, description: 'A customer-service ticket: a question, complaint or feedback, with its messages.' })
@Entity({ tableName: 'ticket' })
@Index({ name: 'ticket_created_idx', properties: ['createdAt', 'id'] })
@Index({ name: 'ticket_requester_idx', properties: ['requester', 'createdAt', 'id'] })
@Index({ name: 'ticket_shop_idx', properties: ['shop', 'createdAt', 'id'] })
@Index({ name: 'ticket_assignee_idx', properties: ['assignee', 'createdAt', 'id'] })
@Index({ name: 'ticket_status_idx', properties: ['status', 'createdAt', 'id'] })
@Index({ name: 'ticket_kind_idx', properties: ['kind', 'createdAt', 'id'] })
// Tickets still waiting for a first response, by due time: the `overdue` filter and `ticket-sla`.
@Index({ name: 'ticket_unanswered_idx', expression: 'create index "ticket_unanswered_idx" on "ticket" ("first_response_due_at", "id") where "first_responded_at" is null' })
@Check({
  name: 'ticket_satisfaction_check',
  // Written as PostgreSQL prints it back (no `between`), so schema diffs find nothing to change.
  expression: '("satisfaction_score" is null or "satisfaction_score" >= 1 and "satisfaction_score" <= 5) and ("satisfaction_score" is null) = ("rated_at" is null)',
})
export class Ticket extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field({ description: 'Human-readable ticket number: "T", the date opened (Asia/Shanghai) and a sequence, e.g. "T20261123000042".' })
  @Property({ type: 'text', unique: 'ticket_number_unique' })
  number!: string;

  @Field(() => TicketKind, { description: 'What it is about.' })
  @Enum({ items: () => TicketKind })
  kind!: TicketKind;

  @Field({ description: 'One-line subject.' })
  @Property({ type: 'text' })
  subject!: string;

  @Field(() => TicketStatus, { description: 'Status.' })
  @Enum({ items: () => TicketStatus })
  status: Opt<TicketStatus> = TicketStatus.OPEN;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  requester!: Rel<User>;

  @ManyToOne(() => Order, { nullable: true, deleteRule: 'restrict', index: 'ticket_order_idx' })
  order?: Rel<Order> | null;

  @ManyToOne(() => Shop, { nullable: true, deleteRule: 'restrict' })
  shop?: Rel<Shop> | null;

  @ManyToOne(() => Product, { nullable: true, deleteRule: 'restrict', index: 'ticket_product_idx' })
  product?: Rel<Product> | null;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  assignee?: Rel<User> | null;

  @Field(() => Date, { description: 'When the first response is due: opened plus TICKET_FIRST_RESPONSE_HOURS.' })
  @Property({ type: 'timestamptz', length: 3 })
  firstResponseDueAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When customer service or the shop first wrote (a reply or the resolution).' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  firstRespondedAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When `ticket-sla` found the first response overdue (set once, never cleared).' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  slaBreachedAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'The current resolution (also kept as a RESOLUTION message); null until resolved, and again once the requester reopens it.' })
  @Property({ type: 'text', nullable: true })
  resolution?: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was resolved (null while not RESOLVED or CLOSED).' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  resolvedAt?: Date | null;

  /** The requester's satisfaction survey (滿意度), 1 to 5; set once, with the rating that closes the ticket. */
  @Property({ type: 'smallint', nullable: true })
  satisfactionScore?: number | null;

  @Property({ type: 'text', nullable: true })
  satisfactionComment?: string | null;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  ratedAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was closed (by the requester’s rating).' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  closedAt?: Date | null;
}

/** One message of a ticket's conversation: typed by who wrote it, timestamped, append-only. */
@ObjectType({ description: 'A message of a ticket: what one party wrote, and when.' })
@Entity({ tableName: 'ticket_message' })
@Index({ name: 'ticket_message_ticket_idx', properties: ['ticket', 'id'] })
export class TicketMessage {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Ticket, { deleteRule: 'cascade' })
  ticket!: Rel<Ticket>;

  @ManyToOne(() => User, { deleteRule: 'restrict', index: 'ticket_message_author_idx' })
  author!: Rel<User>;

  @Field(() => TicketParty, { description: 'Which party wrote it.' })
  @Enum({ items: () => TicketParty })
  role!: TicketParty;

  @Field(() => TicketMessageKind, { description: 'What it was written as.' })
  @Enum({ items: () => TicketMessageKind })
  kind!: TicketMessageKind;

  @Field({ description: 'The text.' })
  @Property({ type: 'text' })
  body!: string;

  @Field(() => [String], { description: 'Attached evidence: image or file URLs (at most 9).' })
  @Property({ type: 'jsonb', default: '[]' })
  attachmentUrls: Opt<string[]> = [];

  @Field(() => Date, { description: 'When it was written.' })
  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;
}

/**
 * The search document of a FAQ entry: question A, category B, answer C, by the catalog's
 * `catalog_document` (English stems, CJK bigrams). Written as PostgreSQL prints it back (the casts
 * to "char"), so schema diffs find nothing to change.
 */
const FAQ_DOCUMENT_SQL = `catalog_document("question", 'A'::"char") || catalog_document("category", 'B'::"char") || catalog_document("answer", 'C'::"char")`;

/** An entry of the FAQ library (常見問題庫), kept by staff CUSTOMER_SERVICE. Written only by `services/aftersales/faqs.ts`. */
@ObjectType({ implements: Node, description: 'An entry of the FAQ library (常見問題): a question and its answer.' })
@Entity({ tableName: 'faq' })
@Index({ name: 'faq_category_idx', properties: ['category', 'position', 'id'] })
@Index({ name: 'faq_search_idx', expression: 'create index "faq_search_idx" on "faq" using gin ("search_vector")' })
export class Faq extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field({ description: 'The question.' })
  @Property({ type: 'text' })
  question!: string;

  @Field({ description: 'The answer.' })
  @Property({ type: 'text' })
  answer!: string;

  @Field({ description: 'The category it is filed under, e.g. "Returns" or "支付".' })
  @Property({ type: 'text' })
  category!: string;

  @Field(() => Int, { description: 'Sort position within its category (lower first).' })
  @Property({ type: 'int', default: 0 })
  position: Opt<number> = 0;

  /** Full-text document, computed by PostgreSQL from the question, category and answer. Never read back. */
  @Property({ columnType: 'tsvector', type: 'unknown', nullable: true, lazy: true, generated: `(${FAQ_DOCUMENT_SQL}) stored` })
  searchVector?: unknown;
}
