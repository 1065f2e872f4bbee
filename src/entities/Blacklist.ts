import { BigIntType, Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from './Node';
import { User } from './User';

export enum BlacklistKind {
  PHONE = 'PHONE',
  ADDRESS = 'ADDRESS',
  EMAIL_DOMAIN = 'EMAIL_DOMAIN',
  DEVICE = 'DEVICE',
  IP = 'IP',
}

registerEnumType(BlacklistKind, {
  name: 'BlacklistKind',
  description: 'What a blacklist entry matches.',
  valuesConfig: {
    PHONE: { description: 'A delivery phone: its digits, a leading 86 country code dropped from a 13-digit number (checkout).' },
    ADDRESS: { description: 'A delivery address: province, city, district and street run together, lower case, without spaces or punctuation (checkout).' },
    EMAIL_DOMAIN: { description: 'An email domain, exactly (sub-domains are not included): registration, sign-in and the buyer at checkout.' },
    DEVICE: { description: 'A client device id, as sent in the X-Device-Id header: registration, sign-in and checkout.' },
    IP: { description: 'An IP address or network (CIDR, e.g. 203.0.113.0/24; an address alone is a /32 or /128): registration, sign-in and checkout.' },
  },
});

export enum BlacklistAction {
  BLOCK = 'BLOCK',
  REVIEW = 'REVIEW',
}

registerEnumType(BlacklistAction, {
  name: 'BlacklistAction',
  description: 'What a matching blacklist entry does.',
  valuesConfig: {
    BLOCK: { description: 'Refuse the request with BLACKLISTED (registration, sign-in, checkout) and record a BLACKLIST_HIT risk event.' },
    REVIEW: { description: 'Let it through; a checkout matching it scores the WATCHLISTED risk rule.' },
  },
});

/**
 * A blacklist entry (黑名單): a normalised value of one kind, until `expiresAt` (or for good).
 * BLOCK entries refuse registration, sign-in and checkout; REVIEW entries only feed the WATCHLISTED risk rule.
 */
@ObjectType({ implements: Node, description: 'A blacklist entry: a phone, address, email domain, device or IP network that risk control blocks or watches.' })
@Entity({ tableName: 'blacklist_entry' })
@Unique({ name: 'blacklist_entry_value_unique', properties: ['kind', 'value'] })
export class BlacklistEntry extends Node {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field(() => BlacklistKind, { description: 'What the value is.' })
  @Enum({ items: () => BlacklistKind })
  kind!: BlacklistKind;

  /** Normalised (services/risk/normalise.ts): digits of a phone, a compact lower-case address, a domain, a device id, a CIDR network. */
  @Field({ description: 'The value as matched: phone digits, a compact lower-case address, a domain, a device id, an IP network (CIDR).' })
  @Property({ type: 'text' })
  value!: string;

  @Field(() => BlacklistAction, { description: 'Whether a match is refused (BLOCK) or only watched (REVIEW).' })
  @Enum({ items: () => BlacklistAction, default: BlacklistAction.BLOCK })
  action: Opt<BlacklistAction> = BlacklistAction.BLOCK;

  @Field({ description: 'Why.' })
  @Property({ type: 'text' })
  reason!: string;

  @Field(() => Date, { nullable: true, description: 'When it stops applying; null: until removed.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  expiresAt?: Date | null;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  createdBy?: Rel<User> | null;

  @Field(() => Date, { description: 'When it was added.' })
  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

export enum RiskEventKind {
  NEW_DEVICE_REGION = 'NEW_DEVICE_REGION',
  LOGIN_FAILURE_BURST = 'LOGIN_FAILURE_BURST',
  BLACKLIST_HIT = 'BLACKLIST_HIT',
  ORDER_HELD = 'ORDER_HELD',
  BANNED_SIGN_IN = 'BANNED_SIGN_IN',
}

registerEnumType(RiskEventKind, {
  name: 'RiskEventKind',
  description: 'What risk control noticed.',
  valuesConfig: {
    NEW_DEVICE_REGION: { description: 'A sign-in from a device and a region none of the account’s earlier sign-ins came from (detail: userAgent, passwordChangeRequired).' },
    LOGIN_FAILURE_BURST: { description: 'LOGIN_FAILURE_BURST failed sign-ins of one account within LOGIN_FAILURE_WINDOW_MINUTES: one event per window (detail: failures, windowMinutes).' },
    BLACKLIST_HIT: { description: 'A request refused by a BLOCK blacklist entry (detail: operation, entryId, kind, value).' },
    ORDER_HELD: { description: 'A paid order was put on hold by its risk score (detail: orderId, score).' },
    BANNED_SIGN_IN: { description: 'A banned account signed in with the right password and was refused (detail: bannedUntil).' },
  },
});

/** Something risk control noticed (風險事件): an unusual sign-in, a burst of failures, a blacklist hit, a held order. Append-only. */
@ObjectType({ implements: Node, description: 'A risk event: an unusual sign-in, a burst of failed sign-ins, a blacklist hit, a held order.' })
@Entity({ tableName: 'risk_event' })
@Index({ name: 'risk_event_at_idx', properties: ['at', 'id'] })
@Index({ name: 'risk_event_kind_idx', properties: ['kind', 'at', 'id'] })
@Index({ name: 'risk_event_user_idx', properties: ['user', 'at', 'id'] })
export class RiskEvent extends Node {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field(() => RiskEventKind, { description: 'What was noticed.' })
  @Enum({ items: () => RiskEventKind })
  kind!: RiskEventKind;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  user?: Rel<User> | null;

  @Field(() => String, { nullable: true, description: 'Client IP address.' })
  @Property({ type: 'text', nullable: true })
  ip?: string | null;

  @Field(() => String, { nullable: true, description: 'Client device id (X-Device-Id).' })
  @Property({ type: 'text', nullable: true })
  deviceId?: string | null;

  @Field(() => String, { nullable: true, description: 'Client region (RISK_REGION_HEADER, else the IP network).' })
  @Property({ type: 'text', nullable: true })
  region?: string | null;

  /** Kind-specific facts: the blacklist kind and entry, the order, the failure count. */
  @Field(() => GraphQLJSONObject, { description: 'Facts of the kind (see RiskEventKind), e.g. the blacklist entry hit or the failure count.' })
  @Property({ type: 'jsonb', default: '{}' })
  detail: Opt<Record<string, unknown>> = {};

  @Field(() => Date, { description: 'When.' })
  @Property({ type: 'timestamptz', length: 3 })
  at!: Date;
}

/**
 * Failed sign-ins of one account in its current window (LOGIN_FAILURE_WINDOW_MINUTES from the
 * first failure): counted by one upsert per failure, so the failure that reaches
 * LOGIN_FAILURE_BURST is known exactly once even when guesses arrive together (services/risk/logins.ts).
 */
@Entity({ tableName: 'login_failure_window' })
export class LoginFailureWindow {
  @ManyToOne(() => User, { primary: true, deleteRule: 'cascade' })
  user!: Rel<User>;

  @Property({ type: 'timestamptz', length: 3 })
  startedAt!: Date;

  @Property({ type: 'integer' })
  failures!: number;
}
