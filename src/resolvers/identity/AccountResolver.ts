import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { User } from '../../entities';
import * as identity from '../../services/identity';
import { AccountEmailPayload, RequestPasswordResetInput, ResetPasswordInput, VerifyEmailInput } from '../../schema/identity/account';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { payload } from '../shared/payload';

const ok = () => ({ ok: true });

/** Email verification and password reset by emailed links. */
@Resolver(() => User)
export class AccountResolver {
  @Mutation(() => AccountEmailPayload, {
    description: 'Email a verification link to the signed-in user (EMAIL_VERIFICATION_TTL_HOURS). ALREADY_VERIFIED when there is nothing to verify. Rate-limited per IP.',
  })
  requestEmailVerification(@Ctx() ctx: Context): Promise<AccountEmailPayload> {
    return payload(() => identity.requestEmailVerification(ctx), ok);
  }

  @Mutation(() => AccountEmailPayload, {
    description: 'Verify the email address with the token of a verification link: INVALID_TOKEN, TOKEN_EXPIRED or ALREADY_VERIFIED otherwise. No sign-in needed.',
  })
  verifyEmail(@Arg('input', { description: INPUT_DESCRIPTION }) input: VerifyEmailInput, @Ctx() ctx: Context): Promise<AccountEmailPayload> {
    return payload(() => identity.verifyEmail(ctx, input), ok);
  }

  @Mutation(() => AccountEmailPayload, {
    description:
      'Email a password reset link (PASSWORD_RESET_TTL_MINUTES) to the account with this email. Answers `ok` whether or not there is such an account. Rate-limited per IP and per email.',
  })
  requestPasswordReset(@Arg('input', { description: INPUT_DESCRIPTION }) input: RequestPasswordResetInput, @Ctx() ctx: Context): Promise<AccountEmailPayload> {
    return payload(() => identity.requestPasswordReset(ctx, input), ok);
  }

  @Mutation(() => AccountEmailPayload, {
    description:
      "Set a new password with the token of a reset link. The link works once; every session of the user ends (sign in again), and the email counts as verified. INVALID_TOKEN, TOKEN_EXPIRED, WEAK_PASSWORD otherwise.",
  })
  resetPassword(@Arg('input', { description: INPUT_DESCRIPTION }) input: ResetPasswordInput, @Ctx() ctx: Context): Promise<AccountEmailPayload> {
    return payload(() => identity.resetPassword(ctx, input), ok);
  }

  @FieldResolver(() => Boolean, { description: 'Whether the user confirmed the email address by an emailed link. Visible to the user and to staff.' })
  emailVerified(@Root() user: User): boolean {
    return user.emailVerifiedAt != null;
  }
}
