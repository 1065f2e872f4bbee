import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import type { Context } from '../../context';
import { rowShape, selectRows } from '../../db/rows';
import { UserTokenPurpose } from '../../entities';
import { Failure, Problems, UserErrorCode } from '../../errors';
import { announceSessionsEnded } from '../../realtime/bus';
import { MESSAGES_PENDING_CHANNEL } from '../notifications';
import { isValidEmail } from '../shared';
import { normaliseEmail } from './identity';
import { checkPasswordRules, hashPassword } from './passwords';
import { consumeOrThrow } from './rateLimits';

/**
 * Emailed single-use tokens: email verification and password reset. A token is 32 random bytes
 * (base64url, 43 characters) that exists only in the email; the database keeps its SHA-256 hash,
 * its purpose and its expiry. Using one marks it (and every other open token of its purpose of
 * that user) used.
 */

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

interface TokenEmail {
  purpose: UserTokenPurpose;
  ttlMs: number;
  /** The web app's page that takes the token. */
  page: string;
  subject: string;
  body: (link: string, token: string) => string;
}

/**
 * The token also stands alone on a short line: a link longer than 76 characters is
 * quoted-printable in the message (`=3D` for its `=`), and an app may ask for the code itself.
 */
const CODE_LINE = 'Or enter this code where you are asked for it:';

const EMAILS: Record<UserTokenPurpose, (config: Config) => TokenEmail> = {
  [UserTokenPurpose.VERIFY_EMAIL]: (config) => ({
    purpose: UserTokenPurpose.VERIFY_EMAIL,
    ttlMs: config.emailVerificationTtlHours * 3_600_000,
    page: 'verify-email',
    subject: 'Confirm your email address',
    body: (link, token) =>
      `Hello,\n\nPlease confirm that this address belongs to your Marketplace account by opening this link within ${config.emailVerificationTtlHours} hours:\n\n${link}\n\n${CODE_LINE}\n${token}\n\nIf you did not sign up, you can ignore this email.\n`,
  }),
  [UserTokenPurpose.RESET_PASSWORD]: (config) => ({
    purpose: UserTokenPurpose.RESET_PASSWORD,
    ttlMs: config.passwordResetTtlMinutes * 60_000,
    page: 'reset-password',
    subject: 'Reset your password',
    body: (link, token) =>
      `Hello,\n\nSomeone asked to reset the password of the Marketplace account with this email address. To choose a new password, open this link within ${config.passwordResetTtlMinutes} minutes:\n\n${link}\n\n${CODE_LINE}\n${token}\n\nThe link works once. If you did not ask for it, ignore this email: your password stays as it is.\n`,
  }),
};

/**
 * Issues a token of `purpose` to the user `where` selects (SQL over `users`) and queues its email,
 * transactional, in one statement: the same work is sent to the database whether or not such a
 * user exists, so the time taken does not tell. Returns whether a user was found.
 */
async function issueToken(ctx: Context, em: EntityManager, purpose: UserTokenPurpose, where: string, params: unknown[]): Promise<boolean> {
  const email = EMAILS[purpose](ctx.deps.config);
  const token = randomBytes(32).toString('base64url');
  const link = `${ctx.deps.config.publicUrl}/${email.page}?token=${token}`;
  const now = ctx.now();
  const rows = await em.execute(
    `with u as (select id, email from users where ${where}),
     t as (
       insert into user_token (user_id, purpose, token_hash, expires_at, created_at)
       select u.id, ?, ?, ?, ? from u returning user_id
     )
     insert into outbound_message (user_id, channel, recipient, subject, body, kind, transactional, status, attempts, created_at)
     select u.id, 'EMAIL', u.email, ?, ?, ?, true, 'PENDING', 0, ? from u join t on t.user_id = u.id
     returning id, pg_notify(?, '')`,
    [...params, purpose, hashToken(token), new Date(now.getTime() + email.ttlMs), now, email.subject, email.body(link, token), purpose, now, MESSAGES_PENDING_CHANNEL],
  );
  return rows.length > 0;
}

/** Queues the verification email of a new account, in the registration's transaction (`register`). */
export async function queueEmailVerification(ctx: Context, em: EntityManager, userId: string): Promise<void> {
  await issueToken(ctx, em, UserTokenPurpose.VERIFY_EMAIL, 'id = ? and email_verified_at is null', [userId]);
}

const alreadyVerified = () => new Failure(UserErrorCode.ALREADY_VERIFIED, 'Your email address is already verified');
const invalidToken = () => new Failure(UserErrorCode.INVALID_TOKEN, 'This link is not valid or was already used; ask for a new one', ['input', 'token']);

/** Sends the signed-in user a new verification email (earlier links keep working until used or expired). */
export async function requestEmailVerification(ctx: Context): Promise<void> {
  const user = ctx.viewer.user!;
  await consumeOrThrow(ctx.deps.rateLimits.authByIp, ctx.ip);
  if (user.emailVerifiedAt) throw alreadyVerified();
  // Verified meanwhile by another link: nothing is issued.
  if (!(await issueToken(ctx, ctx.em, UserTokenPurpose.VERIFY_EMAIL, 'id = ? and email_verified_at is null', [user.id]))) throw alreadyVerified();
}

/**
 * Emails a password reset link to the account with this email, if there is one. The answer is the
 * same either way (and takes about as long), so nobody learns which emails have accounts. Limited
 * per IP and per email address (PASSWORD_RESET_PER_HOUR), apart from the failed sign-ins: a user
 * locked out by them may still ask for a link.
 */
export async function requestPasswordReset(ctx: Context, input: { email: string }): Promise<void> {
  const { rateLimits } = ctx.deps;
  await consumeOrThrow(rateLimits.authByIp, ctx.ip);
  const email = normaliseEmail(input.email);
  if (!isValidEmail(email)) throw new Failure(UserErrorCode.INVALID_INPUT, 'Enter a valid email address', ['input', 'email']);
  await consumeOrThrow(rateLimits.passwordResets, email);
  await issueToken(ctx, ctx.em, UserTokenPurpose.RESET_PASSWORD, 'email = ?', [email]);
}

const TOKEN_ROW = rowShape({ id: 'key', userId: 'key', email: 'text', used: 'bool', expired: 'bool', verified: 'bool' });

/** The token `token` of `purpose` with its user, or null when there is none. */
async function findToken(ctx: Context, purpose: UserTokenPurpose, token: string) {
  if (!TOKEN.test(token)) return null;
  const [row] = await selectRows(
    ctx.em,
    TOKEN_ROW,
    `select t.id, t.user_id as "userId", u.email, t.used_at is not null as used, t.expires_at <= ? as expired, u.email_verified_at is not null as verified
     from user_token t join users u on u.id = t.user_id where t.token_hash = ? and t.purpose = ?`,
    [ctx.now(), hashToken(token), purpose],
  );
  return row ?? null;
}

/**
 * Uses the token with key `id`: marks it used, if it still is open and in time, and every other
 * open token of its purpose of the same user. Returns false when it was used meanwhile.
 */
async function useToken(em: EntityManager, purpose: UserTokenPurpose, id: string, now: Date): Promise<boolean> {
  const rows = await em.execute(
    `with this as (
       update user_token set used_at = ? where id = ? and used_at is null and expires_at > ? returning user_id
     ),
     others as (
       update user_token o set used_at = ? from this
       where o.user_id = this.user_id and o.purpose = ? and o.used_at is null and o.id <> ? returning o.id
     )
     select user_id from this`,
    [now, id, now, now, purpose, id],
  );
  return rows.length > 0;
}

/** Marks the email address of the token's user verified. */
export async function verifyEmail(ctx: Context, input: { token: string }): Promise<void> {
  await consumeOrThrow(ctx.deps.rateLimits.authByIp, ctx.ip);
  const found = await findToken(ctx, UserTokenPurpose.VERIFY_EMAIL, input.token);
  if (!found) throw invalidToken();
  if (found.verified) throw alreadyVerified();
  if (found.used) throw invalidToken();
  if (found.expired) throw new Failure(UserErrorCode.TOKEN_EXPIRED, 'This link has expired; ask for a new one', ['input', 'token']);
  const now = ctx.now();
  await ctx.em.transactional(async (em) => {
    if (!(await useToken(em, UserTokenPurpose.VERIFY_EMAIL, found.id, now))) throw invalidToken();
    await em.execute('update users set email_verified_at = coalesce(email_verified_at, ?), updated_at = ? where id = ?', [now, now, found.userId]);
  });
}

/**
 * Sets a new password with a reset token. The token is used up (with every other open reset token
 * of the user), every session of the user ends (their access and refresh tokens stop working at
 * once), and the address counts as verified: the link reached it. A password that breaks the
 * rules leaves the token usable.
 */
export async function resetPassword(ctx: Context, input: { token: string; newPassword: string }): Promise<void> {
  const { rateLimits } = ctx.deps;
  await consumeOrThrow(rateLimits.authByIp, ctx.ip);
  const found = await findToken(ctx, UserTokenPurpose.RESET_PASSWORD, input.token);
  if (!found || found.used) throw invalidToken();
  if (found.expired) throw new Failure(UserErrorCode.TOKEN_EXPIRED, 'This link has expired; ask for a new one', ['input', 'token']);
  const problems = new Problems();
  checkPasswordRules(problems, input.newPassword, found.email, ['input', 'newPassword']);
  problems.throwIfAny();

  const passwordHash = await hashPassword(input.newPassword);
  const now = ctx.now();
  await ctx.em.transactional(async (em) => {
    if (!(await useToken(em, UserTokenPurpose.RESET_PASSWORD, found.id, now))) throw invalidToken();
    // A new password also settles a change risk control required after an unusual sign-in.
    await em.execute('update users set password_hash = ?, password_change_required = false, email_verified_at = coalesce(email_verified_at, ?), updated_at = ? where id = ?', [passwordHash, now, now, found.userId]);
    await em.execute("update auth_session set revoked_at = now(), revoked_reason = 'password reset' where user_id = ? and revoked_at is null", [found.userId]);
  });
  // Every open subscription socket of the user closes at once (src/realtime/ws.ts).
  await announceSessionsEnded(ctx, found.userId);
  // Whoever was locked out by failed sign-ins may sign in with the new password at once.
  await rateLimits.loginFailures.delete(found.email);
}
