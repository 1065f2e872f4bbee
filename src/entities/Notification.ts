import { ArrayType, BigIntType, Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from './Node';
import { Shop } from './Shop';
import { User } from './User';

/**
 * What a domain event (and the notification it becomes) is about. The outbox's `type`, the inbox's
 * `kind`, a webhook's event type and a preference's key are all one of these.
 */
export enum NotificationKind {
  ORDER_PLACED = 'ORDER_PLACED',
  ORDER_PAID = 'ORDER_PAID',
  ORDER_ACCEPTED = 'ORDER_ACCEPTED',
  ORDER_SHIPPED = 'ORDER_SHIPPED',
  ORDER_DELIVERED = 'ORDER_DELIVERED',
  ORDER_COMPLETED = 'ORDER_COMPLETED',
  ORDER_CANCELLED = 'ORDER_CANCELLED',
  AFTER_SALE_UPDATED = 'AFTER_SALE_UPDATED',
  TICKET_REPLIED = 'TICKET_REPLIED',
  APPLICATION_DECIDED = 'APPLICATION_DECIDED',
  PRODUCT_DECIDED = 'PRODUCT_DECIDED',
  LOW_STOCK = 'LOW_STOCK',
  REVIEW_INVITATION = 'REVIEW_INVITATION',
  SCORECARD_LEVEL_CHANGED = 'SCORECARD_LEVEL_CHANGED',
  SETTLEMENT_CLOSED = 'SETTLEMENT_CLOSED',
  PAYOUT_PAID = 'PAYOUT_PAID',
  WEBHOOK_DISABLED = 'WEBHOOK_DISABLED',
  MEMBER_LEVEL_CHANGED = 'MEMBER_LEVEL_CHANGED',
  REFERRAL_REWARDED = 'REFERRAL_REWARDED',
  ORDER_HELD = 'ORDER_HELD',
  VIOLATION_RECORDED = 'VIOLATION_RECORDED',
  SHOP_STANDING_CHANGED = 'SHOP_STANDING_CHANGED',
  APPEAL_DECIDED = 'APPEAL_DECIDED',
}

/** What each kind means, for the schema's documentation of both enums. */
const KIND_DESCRIPTIONS: Record<NotificationKind, { description: string }> = {
  ORDER_PLACED: { description: 'A buyer placed an order (not yet paid). Webhooks only.' },
  ORDER_PAID: { description: 'An order was paid: the shop has a new order to fulfil; the buyer a receipt.' },
  ORDER_ACCEPTED: { description: 'The shop accepted a paid order and is preparing it (to the buyer).' },
  ORDER_SHIPPED: { description: 'An order was shipped (to the buyer).' },
  ORDER_DELIVERED: { description: 'An order was delivered (to the buyer).' },
  ORDER_COMPLETED: { description: 'An order completed after its after-sales window. Webhooks only.' },
  ORDER_CANCELLED: { description: 'An order was cancelled (to the buyer, and to the shop when it was paid).' },
  AFTER_SALE_UPDATED: { description: 'An after-sale case was opened or moved a step (to the buyer and the shop’s service team).' },
  TICKET_REPLIED: { description: 'A ticket got a reply (to the other side).' },
  APPLICATION_DECIDED: { description: 'A merchant application was approved, rejected or sent back for changes (to the applicant).' },
  PRODUCT_DECIDED: { description: 'A product was approved or rejected in review (to the shop).' },
  LOW_STOCK: { description: 'A variant fell to its warning line (to the shop).' },
  REVIEW_INVITATION: { description: 'A delivered purchase may now be reviewed (to the buyer).' },
  SCORECARD_LEVEL_CHANGED: { description: 'The shop’s scorecard level changed (to the owner and managers; a drop to AT_RISK also to RISK staff).' },
  SETTLEMENT_CLOSED: { description: 'A settlement period closed (to the owner and finance).' },
  PAYOUT_PAID: { description: 'A payout reached the shop’s account (to the owner and finance).' },
  WEBHOOK_DISABLED: { description: 'A webhook subscription was disabled after 24 hours of failed deliveries (to the owner and managers).' },
  MEMBER_LEVEL_CHANGED: { description: 'Your member level went up (or, at the level review, down).' },
  REFERRAL_REWARDED: { description: 'A referral earned you points: your invitee’s first order completed (or you were the invitee).' },
  ORDER_HELD: { description: 'A paid order scored RISK_HOLD_SCORE or more and is held for review (to staff RISK; the shop sees it held).' },
  VIOLATION_RECORDED: { description: 'A violation was recorded against the shop, with its points (to the owner and managers).' },
  SHOP_STANDING_CHANGED: { description: 'The shop’s standing changed with its violation points: restricted, suspended, or restored (to the owner and managers).' },
  APPEAL_DECIDED: { description: 'Staff decided the shop’s appeal of a violation (to the owner).' },
};

registerEnumType(NotificationKind, {
  name: 'NotificationKind',
  description: 'What a notification (and the domain event behind it) is about.',
  valuesConfig: KIND_DESCRIPTIONS,
});

/** The event types a shop's webhook may subscribe to: the shop-facing kinds. */
export enum WebhookEvent {
  ORDER_PLACED = 'ORDER_PLACED',
  ORDER_PAID = 'ORDER_PAID',
  ORDER_ACCEPTED = 'ORDER_ACCEPTED',
  ORDER_SHIPPED = 'ORDER_SHIPPED',
  ORDER_DELIVERED = 'ORDER_DELIVERED',
  ORDER_COMPLETED = 'ORDER_COMPLETED',
  ORDER_CANCELLED = 'ORDER_CANCELLED',
  AFTER_SALE_UPDATED = 'AFTER_SALE_UPDATED',
  TICKET_REPLIED = 'TICKET_REPLIED',
  PRODUCT_DECIDED = 'PRODUCT_DECIDED',
  LOW_STOCK = 'LOW_STOCK',
  SCORECARD_LEVEL_CHANGED = 'SCORECARD_LEVEL_CHANGED',
  SETTLEMENT_CLOSED = 'SETTLEMENT_CLOSED',
  PAYOUT_PAID = 'PAYOUT_PAID',
}

registerEnumType(WebhookEvent, {
  name: 'WebhookEvent',
  description: 'An event type a webhook subscription may receive: the shop-facing notification kinds, same meanings.',
  valuesConfig: Object.fromEntries(Object.values(WebhookEvent).map((e) => [e, KIND_DESCRIPTIONS[e as unknown as NotificationKind]])),
});

/**
 * A domain event in the transactional outbox: written in the same transaction as the change that
 * causes it (by triggers on the source tables, or by `emitEvent`), then dispatched at least once
 * to the inbox, email/SMS, live subscriptions and webhooks. `dispatchedAt` marks it done.
 */
@Entity({ tableName: 'outbox_event' })
@Index({ name: 'outbox_event_pending_idx', expression: 'create index "outbox_event_pending_idx" on "outbox_event" ("id") where "dispatched_at" is null' })
export class OutboxEvent {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Enum({ items: () => NotificationKind })
  type!: NotificationKind;

  /** The shop whose members (by role) and webhooks hear of it. */
  @Index({ name: 'outbox_event_shop_idx' })
  @ManyToOne(() => Shop, { nullable: true, deleteRule: 'cascade' })
  shop?: Rel<Shop> | null;

  /** The one person it concerns directly (a buyer, an applicant). */
  @Index({ name: 'outbox_event_user_idx' })
  @ManyToOne(() => User, { nullable: true, deleteRule: 'cascade' })
  user?: Rel<User> | null;

  /** The GraphQL type of what it is about (its global ID is `subjectType:subjectId`). */
  @Property({ type: 'text' })
  subjectType!: string;

  @Property({ type: new BigIntType('string') })
  subjectId!: string;

  /** Small facts for the message and the webhook body (status, number, note …). */
  @Property({ type: 'jsonb', defaultRaw: "'{}'" })
  data: Opt<Record<string, unknown>> = {};

  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  dispatchedAt?: Date | null;
}

/** One entry in a user's inbox. */
@ObjectType({ implements: Node, description: 'A message in the signed-in user’s inbox.' })
@Entity({ tableName: 'notification' })
@Unique({ name: 'notification_event_user_unique', properties: ['event', 'user'] })
@Index({ name: 'notification_user_idx', properties: ['user', 'id'] })
@Index({ name: 'notification_unread_idx', expression: 'create index "notification_unread_idx" on "notification" ("user_id", "id") where "read_at" is null' })
export class Notification extends Node {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: Rel<User>;

  /** The outbox event it came from: one notification per event and recipient, however often dispatch runs. */
  @Index({ name: 'notification_event_idx' })
  @ManyToOne(() => OutboxEvent, { nullable: true, deleteRule: 'set null' })
  event?: Rel<OutboxEvent> | null;

  @Field(() => NotificationKind, { description: 'What it is about.' })
  @Enum({ items: () => NotificationKind })
  kind!: NotificationKind;

  @Field({ description: 'One line.' })
  @Property({ type: 'text' })
  title!: string;

  @Field({ description: 'A sentence or two.' })
  @Property({ type: 'text' })
  body!: string;

  @Field(() => String, { nullable: true, description: 'Global ID of what it is about (an order, a product …), for `node(id:)`.' })
  @Property({ type: 'text', nullable: true })
  link?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the user marked it read; null while unread.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  readAt?: Date | null;

  @Field(() => Date, { description: 'When it was created.' })
  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;
}

/** A user's choice of channels for one kind; a kind without a row uses the defaults. */
@Entity({ tableName: 'notification_preference' })
export class NotificationPreferenceRow {
  @ManyToOne(() => User, { primary: true, deleteRule: 'cascade' })
  user!: Rel<User>;

  @Enum({ items: () => NotificationKind, primary: true })
  kind!: NotificationKind;

  @Property({ type: 'boolean' })
  inbox!: boolean;

  @Property({ type: 'boolean' })
  email!: boolean;

  @Property({ type: 'boolean' })
  sms!: boolean;

  @Property({ type: 'timestamptz', length: 3 })
  updatedAt!: Date;
}

export enum MessageChannel {
  EMAIL = 'EMAIL',
  SMS = 'SMS',
}

export enum MessageStatus {
  PENDING = 'PENDING',
  SENT = 'SENT',
  SUPPRESSED = 'SUPPRESSED',
  FAILED = 'FAILED',
}

/**
 * An email or SMS: queued in the transaction that decides to send it, sent by `send-messages`
 * through the channel's adapter, and kept as the log of what was sent (and what the hourly cap
 * suppressed).
 */
@Entity({ tableName: 'outbound_message' })
@Index({ name: 'outbound_message_pending_idx', expression: `create index "outbound_message_pending_idx" on "outbound_message" ("id") where "status" = 'PENDING'` })
@Index({ name: 'outbound_message_user_idx', properties: ['user', 'createdAt'] })
@Index({ name: 'outbound_message_capped_idx', expression: `create index "outbound_message_capped_idx" on "outbound_message" ("user_id", "sent_at") where "status" = 'SENT' and not "transactional"` })
@Unique({ name: 'outbound_message_event_unique', properties: ['event', 'user', 'channel'] })
export class OutboundMessage {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'cascade' })
  user?: Rel<User> | null;

  @Enum({ items: () => MessageChannel })
  channel!: MessageChannel;

  /** An email address or a phone number. */
  @Property({ type: 'text' })
  recipient!: string;

  @Property({ type: 'text', nullable: true })
  subject?: string | null;

  @Property({ type: 'text' })
  body!: string;

  /** A NotificationKind, or VERIFY_EMAIL / RESET_PASSWORD. */
  @Property({ type: 'text' })
  kind!: string;

  /** Password resets, verification, payment receipts: never capped, never turned off. */
  @Property({ type: 'boolean', default: false })
  transactional: Opt<boolean> = false;

  @Index({ name: 'outbound_message_event_idx' })
  @ManyToOne(() => OutboxEvent, { nullable: true, deleteRule: 'set null' })
  event?: Rel<OutboxEvent> | null;

  @Enum({ items: () => MessageStatus, default: MessageStatus.PENDING })
  status: Opt<MessageStatus> = MessageStatus.PENDING;

  @Property({ type: 'smallint', default: 0 })
  attempts: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  sentAt?: Date | null;

  /** While PENDING: not before then (the lease of a send in progress, or the backoff after a failure); null: at once. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  nextAttemptAt?: Date | null;
}

export enum UserTokenPurpose {
  VERIFY_EMAIL = 'VERIFY_EMAIL',
  RESET_PASSWORD = 'RESET_PASSWORD',
}

/** A single-use emailed token; only its SHA-256 hash is stored. */
@Entity({ tableName: 'user_token' })
@Index({ name: 'user_token_user_idx', properties: ['user', 'purpose'] })
export class UserToken {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: Rel<User>;

  @Enum({ items: () => UserTokenPurpose })
  purpose!: UserTokenPurpose;

  @Property({ type: 'text', unique: 'user_token_hash_unique' })
  tokenHash!: string;

  @Property({ type: 'timestamptz', length: 3 })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  usedAt?: Date | null;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;
}

/** A merchant system's endpoint for the shop's events, signed with a secret shown once. */
@ObjectType({ implements: Node, description: 'A webhook subscription of a shop: events POSTed, signed, to an https URL.' })
@Entity({ tableName: 'webhook_subscription' })
@Index({ name: 'webhook_subscription_shop_idx', properties: ['shop', 'id'] })
export class WebhookSubscription extends Node {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Field({ description: 'Where events are POSTed.' })
  @Property({ type: 'text' })
  url!: string;

  @Field(() => [WebhookEvent], { description: 'The event types delivered.' })
  @Property({ type: ArrayType, columnType: 'text[]' })
  events!: WebhookEvent[];

  /** HMAC-SHA256 key of the X-Signature header; returned once, at creation. */
  @Property({ type: 'text', hidden: true, lazy: true })
  secret!: string;

  @Index({ name: 'webhook_subscription_created_by_idx' })
  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  createdBy?: Rel<User> | null;

  @Field(() => Date, { description: 'When it was created.' })
  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When deliveries stopped after 24 hours of failures; null while active.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  disabledAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was disabled.' })
  @Property({ type: 'text', nullable: true })
  disabledReason?: string | null;
}

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'Where a webhook delivery stands.',
  valuesConfig: {
    PENDING: { description: 'Not yet delivered; the next attempt is due at `nextAttemptAt`.' },
    SUCCEEDED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'Given up after 24 hours of failed attempts.' },
  },
});

/** One event for one subscription: its attempts so far and the last outcome. */
@ObjectType({ implements: Node, description: 'A webhook delivery: one event to one subscription, with its attempts.' })
@Entity({ tableName: 'webhook_delivery' })
@Unique({ name: 'webhook_delivery_subscription_event_unique', properties: ['subscription', 'event'] })
@Index({ name: 'webhook_delivery_subscription_idx', properties: ['subscription', 'id'] })
@Index({ name: 'webhook_delivery_subscription_due_idx', expression: `create index "webhook_delivery_subscription_due_idx" on "webhook_delivery" ("subscription_id", "next_attempt_at", "id") where "status" = 'PENDING'` })
@Index({ name: 'webhook_delivery_due_idx', expression: `create index "webhook_delivery_due_idx" on "webhook_delivery" ("next_attempt_at", "id") where "status" = 'PENDING'` })
export class WebhookDelivery extends Node {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => WebhookSubscription, { deleteRule: 'cascade' })
  subscription!: Rel<WebhookSubscription>;

  @Index({ name: 'webhook_delivery_event_idx' })
  @ManyToOne(() => OutboxEvent, { deleteRule: 'cascade' })
  event!: Rel<OutboxEvent>;

  @Field(() => WebhookDeliveryStatus, { description: 'Where it stands.' })
  @Enum({ items: () => WebhookDeliveryStatus, default: WebhookDeliveryStatus.PENDING })
  status: Opt<WebhookDeliveryStatus> = WebhookDeliveryStatus.PENDING;

  @Field(() => Int, { description: 'Attempts made.' })
  @Property({ type: 'smallint', default: 0 })
  attempts: Opt<number> = 0;

  @Field(() => Date, { nullable: true, description: 'When the next attempt is due (null once settled).' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  nextAttemptAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last attempt (null: no answer).' })
  @Property({ type: 'smallint', nullable: true })
  lastStatusCode?: number | null;

  @Field(() => Int, { nullable: true, description: 'Milliseconds the last attempt took.' })
  @Property({ type: 'integer', nullable: true })
  lastDurationMs?: number | null;

  @Field(() => String, { nullable: true, description: 'What went wrong last time (timeout, refused, status).' })
  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Field(() => Date, { description: 'When it was queued.' })
  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the receiver accepted it.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  deliveredAt?: Date | null;
}
