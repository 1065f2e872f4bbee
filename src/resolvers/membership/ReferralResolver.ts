import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Referral, User } from '../../entities';
import * as membership from '../../services/membership';
import { ApplyReferralCodeInput, ReferralConnection, ReferralPayload } from '../../schema/membership/referrals';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { ConnectionArgs, toConnection } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@Resolver(() => Referral)
export class ReferralResolver {
  @Query(() => ReferralConnection, { description: 'The people who joined with your referral code, newest first, with what each earned you.' })
  async myReferrals(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    const found = await membership.myReferrals(ctx, args);
    return { ...toConnection(found), summaryOf: found.summary };
  }

  @Mutation(() => ReferralPayload, {
    description:
      'Name the member who invited you by their referral code, if you joined without one: once (ALREADY_REFERRED), before your first order is paid (ALREADY_REFERRED), not your own (SELF_REFERRAL), not someone you brought in, directly or down a chain (REFERRAL_LOOP); an unknown code is INVALID_REFERRAL_CODE.',
  })
  applyReferralCode(@Arg('input', { description: INPUT_DESCRIPTION }) input: ApplyReferralCodeInput, @Ctx() ctx: Context): Promise<ReferralPayload> {
    return payload(() => membership.applyReferralCode(ctx, input), (referral) => ({ referral }));
  }

  @FieldResolver(() => String, { description: 'The invitee’s display name, masked (e.g. "王**").' })
  inviteeName(@Root() referral: Referral): string {
    return membership.inviteeNameOf(referral);
  }
}

@Resolver(() => User)
export class UserReferralResolver {
  @FieldResolver(() => String, { description: 'Your referral code (推薦碼): others register with it, or apply it, to join as your invitees. Visible to the user and to staff OPERATIONS and CUSTOMER_SERVICE.' })
  referralCode(@Root() user: User): string {
    return user.referralCode;
  }
}
