import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { BlacklistAction, BlacklistEntry, BlacklistKind, RiskEvent, RiskEventKind } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';

@InputType({ description: 'Filters for the blacklist; all given must match.' })
export class BlacklistFilter {
  @Field(() => BlacklistKind, { nullable: true, description: 'Only entries of this kind.' })
  kind?: BlacklistKind | null;

  @Field(() => BlacklistAction, { nullable: true, description: 'Only BLOCK or only REVIEW entries.' })
  action?: BlacklistAction | null;

  @Field(() => String, { nullable: true, description: 'Only entries whose value or reason contains this, any case.' })
  search?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Also entries whose `expiresAt` has passed; by default only those in force.' })
  includeExpired?: boolean | null;
}

@InputType({ description: 'Add a value to the blacklist (staff RISK).' })
export class AddBlacklistEntryInput {
  @Field(() => BlacklistKind, { description: 'What the value is.' })
  kind!: BlacklistKind;

  @Field({
    description:
      'The value, normalised as it is matched: a phone to its digits (a leading 86 dropped from 13 digits), an address to lower case without spaces or punctuation, an email domain (or an address at it) to the lower-case domain, an IP address or network (CIDR) to its canonical form. Malformed: INVALID_INPUT; already listed and in force: INVALID_INPUT (an expired entry of the value is replaced).',
  })
  value!: string;

  @Field(() => BlacklistAction, { nullable: true, description: 'BLOCK (the default) refuses matching requests; REVIEW only adds the WATCHLISTED risk rule’s weight at checkout.' })
  action?: BlacklistAction | null;

  @Field({ description: 'Why, 1 to 500 characters (kept in the audit log too).' })
  reason!: string;

  @Field(() => Date, { nullable: true, description: 'When the entry stops applying, in the future; null: until removed.' })
  expiresAt?: Date | null;
}

@ObjectType({ description: 'Result of adding or removing a blacklist entry.' })
export class BlacklistEntryPayload {
  @Field(() => BlacklistEntry, { nullable: true, description: 'The entry added, or the entry as it was before removal.' })
  blacklistEntry?: BlacklistEntry | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'Ban a user (staff RISK; staff only by an ADMIN).' })
export class BanUserInput {
  @Field(() => ID, { description: 'Global ID of the user; not yourself.' })
  userId!: string;

  @Field({ description: 'Why, 1 to 500 characters; shown to the user (`User.ban`).' })
  reason!: string;

  @Field(() => Date, { nullable: true, description: 'When the ban ends, in the future; null: for good (until `unbanUser`).' })
  until?: Date | null;
}

@InputType({ description: 'Lift a user’s ban (staff RISK; staff only by an ADMIN).' })
export class UnbanUserInput {
  @Field(() => ID, { description: 'Global ID of the banned user.' })
  userId!: string;

  @Field(() => String, { nullable: true, description: 'Why, at most 500 characters, for the audit log.' })
  reason?: string | null;
}

@ObjectType({ description: 'A ban in force: the user cannot sign in, and every session they had was ended.' })
export class UserBan {
  @Field(() => Date, { description: 'When the ban was imposed.' })
  bannedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it ends; null: for good.' })
  until!: Date | null;

  @Field({ description: 'Why.' })
  reason!: string;
}

@InputType({ description: 'Filters for the risk event log; all given must match.' })
export class RiskEventFilter {
  @Field(() => RiskEventKind, { nullable: true, description: 'Only events of this kind.' })
  kind?: RiskEventKind | null;

  @Field(() => ID, { nullable: true, description: 'Only events of this user.' })
  userId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only events at or after this time.' })
  since?: Date | null;
}

export const { ConnectionType: BlacklistEntryConnection } = connectionTypes(BlacklistEntry);
export const { ConnectionType: RiskEventConnection } = connectionTypes(RiskEvent);
