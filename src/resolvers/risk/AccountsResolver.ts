import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { BlacklistEntry, RiskEvent, User } from '../../entities';
import * as risk from '../../services/risk';
import { UserPayload } from '../../schema/identity/identity';
import {
  AddBlacklistEntryInput,
  BanUserInput,
  BlacklistEntryConnection,
  BlacklistEntryPayload,
  BlacklistFilter,
  RiskEventConnection,
  RiskEventFilter,
  UnbanUserInput,
  UserBan,
} from '../../schema/risk/accounts';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class BlacklistEntriesArgs extends ConnectionArgs {
  @Field(() => BlacklistFilter, { nullable: true, description: 'Filters.' })
  filter?: BlacklistFilter | null;
}

@ArgsType()
class RiskEventsArgs extends ConnectionArgs {
  @Field(() => RiskEventFilter, { nullable: true, description: 'Filters.' })
  filter?: RiskEventFilter | null;
}

const wrapEntry = (blacklistEntry: BlacklistEntry) => ({ blacklistEntry });
const wrapUser = (user: User) => ({ user });

/** Blacklists (services/risk/blacklist.ts). */
@Resolver(() => BlacklistEntry)
export class BlacklistResolver {
  @Query(() => BlacklistEntryConnection, { description: 'The blacklist (staff RISK), newest first; only entries in force unless `filter.includeExpired`.' })
  blacklistEntries(@Args() args: BlacklistEntriesArgs, @Ctx() ctx: Context) {
    return connection(risk.listBlacklist(ctx, args));
  }

  @Mutation(() => BlacklistEntryPayload, {
    description:
      'Blacklist a phone, address, email domain, device or IP network (staff RISK). BLOCK entries refuse registration, sign-in and checkout with BLACKLISTED (and record a BLACKLIST_HIT risk event); REVIEW entries weigh in the WATCHLISTED risk rule. Audited.',
  })
  addBlacklistEntry(@Arg('input', { description: INPUT_DESCRIPTION }) input: AddBlacklistEntryInput, @Ctx() ctx: Context): Promise<BlacklistEntryPayload> {
    return payload(() => risk.addBlacklistEntry(ctx, input), wrapEntry);
  }

  @Mutation(() => BlacklistEntryPayload, { description: 'Remove a blacklist entry (staff RISK); an unknown one is NOT_FOUND. Audited.' })
  removeBlacklistEntry(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<BlacklistEntryPayload> {
    return payload(() => risk.removeBlacklistEntry(ctx, decodeId('BlacklistEntry', input.id)), wrapEntry);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The staff member who added it; null when their account is gone.' })
  createdBy(@Root() entry: BlacklistEntry, @Ctx() ctx: Context): Promise<User | null> | null {
    return entry.createdBy ? ctx.loaders.userById.load(entry.createdBy.id) : null;
  }
}

/** The risk event log (services/risk/events.ts). */
@Resolver(() => RiskEvent)
export class RiskEventResolver {
  @Query(() => RiskEventConnection, { description: 'Risk events (staff RISK), newest first: unusual sign-ins, bursts of failed sign-ins, blacklist hits, held orders, banned sign-ins.' })
  riskEvents(@Args() args: RiskEventsArgs, @Ctx() ctx: Context) {
    return connection(risk.listRiskEvents(ctx, { ...args, filter: args.filter && decodeInput(args.filter, { userId: 'User' }) }));
  }

  @FieldResolver(() => User, { nullable: true, description: 'The account concerned; null when there is none (a refused registration, a blocked sign-in with an email no account has).' })
  user(@Root() event: RiskEvent, @Ctx() ctx: Context): Promise<User | null> | null {
    return event.user ? ctx.loaders.userById.load(event.user.id) : null;
  }
}

/** The user themself, or any staff: who may read a user's ban and password-change flag. */
const seesRiskState = (ctx: Context, user: User) => ctx.signedInUserId === user.id || ctx.viewer.userId === user.id || ctx.viewer.isStaff;

/** Bans (services/risk/bans.ts) and what risk control says about an account. */
@Resolver(() => User)
export class UserRiskResolver {
  @Mutation(() => UserPayload, {
    description:
      'Ban a user until a time or for good (staff RISK; a user with any staff role only by an ADMIN, else FORBIDDEN; not yourself): every session ends at once (their tokens fail with 401, their subscription sockets close) and sign-in is refused with ACCOUNT_BANNED while it lasts. Banning a banned user replaces the ban. Audited.',
  })
  banUser(@Arg('input', { description: INPUT_DESCRIPTION }) input: BanUserInput, @Ctx() ctx: Context): Promise<UserPayload> {
    return payload(() => risk.banUser(ctx, decodeInput(input, { userId: 'User' })), wrapUser);
  }

  @Mutation(() => UserPayload, { description: 'Lift a ban (staff RISK; staff only by an ADMIN): the user may sign in again. Not banned: INVALID_INPUT. Audited.' })
  unbanUser(@Arg('input', { description: INPUT_DESCRIPTION }) input: UnbanUserInput, @Ctx() ctx: Context): Promise<UserPayload> {
    return payload(() => risk.unbanUser(ctx, decodeInput(input, { userId: 'User' })), wrapUser);
  }

  @FieldResolver(() => UserBan, { nullable: true, description: 'The ban in force, if any. Null when not banned, and for anyone but the user and staff.' })
  ban(@Root() user: User, @Ctx() ctx: Context): UserBan | null {
    if (!seesRiskState(ctx, user) || !risk.isBanned(user, ctx.now())) return null;
    return { bannedAt: user.bannedAt!, until: user.bannedUntil ?? null, reason: user.banReason ?? '' };
  }

  @FieldResolver(() => Boolean, {
    nullable: true,
    description:
      'Risk control saw an unusual sign-in and requires a password change: until `changePassword`, every operation but changePassword, logout, refreshSession and `me` fails with PASSWORD_CHANGE_REQUIRED. Null for anyone but the user and staff.',
  })
  passwordChangeRequired(@Root() user: User, @Ctx() ctx: Context): boolean | null {
    return seesRiskState(ctx, user) ? user.passwordChangeRequired : null;
  }
}
