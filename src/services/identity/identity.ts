import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { AuthSession, RefreshToken, RiskEventKind, StaffRole, User } from '../../entities';
import { Failure, ForbiddenError, Problems, UserErrorCode } from '../../errors';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { lockById, lockWhere } from '../../db/rows';
import { announceAccessChanged, announceSessionsEnded } from '../../realtime/bus';
import { recordAudit } from '../platform';
import { emailDomain, isBanned, recordLoginFailure, recordRiskEvents, refuseBlacklisted, regionOf, signInChecks } from '../risk';
import { grantNewUserCoupons } from '../promotions';
import { linkReferral, referrerForRegistration } from '../membership';
import { checkPasswordRules, hashPassword, verifyAgainstDummy, verifyPassword } from './passwords';
import { queueEmailVerification } from './emailTokens';
import { consumeOrThrow } from './rateLimits';
import { hashRefreshToken, newRefreshToken, signAccessToken } from './tokens';
import { charLength, guardUnique, isValidEmail, MAX_EMAIL_LENGTH } from '../shared';

export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  user: User;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function checkEmail(problems: Problems, email: string, field: string[]): void {
  if (!isValidEmail(email)) {
    problems.add(UserErrorCode.INVALID_INPUT, 'Enter a valid email address', field);
  }
}

/**
 * Starts a new session family for `user` and returns its first access and refresh tokens. The
 * session keeps the client's device id and region, which later sign-ins are compared with.
 */
async function startSession(ctx: Context, em: EntityManager, user: User): Promise<AuthResult> {
  const { config } = ctx.deps;
  const session = em.create(AuthSession, {
    user,
    createdAt: new Date(),
    expiresAt: new Date(Date.now() + config.refreshTokenTtlDays * 86_400_000),
    ip: ctx.ip,
    userAgent: ctx.userAgent?.slice(0, 500),
    deviceId: ctx.signals.deviceId ?? null,
    region: regionOf(ctx.ip, ctx.signals),
  });
  const refresh = newRefreshToken();
  em.create(RefreshToken, { tokenHash: refresh.hash, session, createdAt: new Date() });
  await em.flush();
  ctx.signedInUserId = user.id;
  return {
    accessToken: signAccessToken(config, { sub: user.id, sid: session.id }),
    refreshToken: refresh.token,
    user,
  };
}

export async function register(ctx: Context, input: { email: string; password: string; displayName: string; referralCode?: string | null }): Promise<AuthResult> {
  await consumeOrThrow(ctx.deps.rateLimits.authByIp, ctx.ip);
  const email = normaliseEmail(input.email);
  const displayName = input.displayName.trim();
  const problems = new Problems();
  checkEmail(problems, email, ['input', 'email']);
  if (charLength(displayName) < 1 || charLength(displayName) > 80) {
    problems.add(UserErrorCode.INVALID_INPUT, 'Display name must be 1 to 80 characters', ['input', 'displayName']);
  }
  checkPasswordRules(problems, input.password, email, ['input', 'password']);
  // A referral code (推薦碼) names the referrer; an unknown one is refused before anything is created.
  const referrerId = await referrerForRegistration(ctx.em, input.referralCode, problems, ['input', 'referralCode']);
  problems.throwIfAny();
  // A blocked email domain, IP or device: BLACKLISTED, nothing created.
  await refuseBlacklisted(ctx, 'register', email, { emailDomain: emailDomain(email), ip: ctx.ip, deviceId: ctx.signals.deviceId });

  const emailTaken = () => new Failure(UserErrorCode.EMAIL_TAKEN, 'An account with this email already exists', ['input', 'email']);
  if ((await ctx.em.count(User, { email })) > 0) throw emailTaken();
  const passwordHash = await hashPassword(input.password);
  // Two registrations of one email at the same moment: the unique index decides.
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        const user = new User(email, displayName, passwordHash);
        em.persist(user);
        await em.flush();
        if (referrerId !== null) await linkReferral(em, referrerId, user.id, ctx.now());
        // New-user coupons (新人券) of the campaigns open now, granted with the account or not at all.
        await grantNewUserCoupons(em, user.id, ctx.now());
        await queueEmailVerification(ctx, em, user.id);
        return startSession(ctx, em, user);
      }),
    emailTaken,
  );
}

export async function login(ctx: Context, input: { email: string; password: string }): Promise<AuthResult> {
  const { rateLimits } = ctx.deps;
  await consumeOrThrow(rateLimits.authByIp, ctx.ip);
  const email = normaliseEmail(input.email);
  // Spend a failure point before checking, so parallel guesses cannot all slip under the limit;
  // a successful login clears the account's counter.
  await consumeOrThrow(rateLimits.loginFailures, email);
  // A blocked IP, device or email domain is refused before any account is looked at, so the
  // answer says nothing about the account.
  await refuseBlacklisted(ctx, 'login', email, { emailDomain: emailDomain(email), ip: ctx.ip, deviceId: ctx.signals.deviceId });

  // No account has an email longer than register accepts: such a sign-in fails like any unknown email.
  const user = email.length <= MAX_EMAIL_LENGTH ? await ctx.em.findOne(User, { email }) : null;
  const ok = user ? await verifyPassword(user.passwordHash, input.password) : await verifyAgainstDummy(input.password);
  if (!user || !ok) {
    await recordLoginFailure(ctx, email);
    throw new Failure(UserErrorCode.INVALID_CREDENTIALS, 'Wrong email or password');
  }
  await rateLimits.loginFailures.delete(email);
  // Only once the password checks out, so the code tells a guesser nothing.
  if (isBanned(user, ctx.now())) await refuseBannedSignIn(ctx, user);
  const { result, checks } = await ctx.em.transactional(async (em) => {
    // A ban that committed meanwhile, and a sign-in from a new device in a new region (services/risk/logins.ts).
    const checks = await signInChecks(ctx, em, user.id);
    if (checks.banned) return { result: null, checks };
    return { result: await startSession(ctx, em, em.merge(user)), checks };
  });
  // A ban that committed while this sign-in was checked: recorded like any banned sign-in, after the rollback-free exit.
  if (!result) return refuseBannedSignIn(ctx, user);
  // Set by the checks' statement; shown in the payload without writing it again.
  if (checks.passwordChangeRequired) result.user.passwordChangeRequired = true;
  return result;
}

const bannedFailure = () => new Failure(UserErrorCode.ACCOUNT_BANNED, 'This account is banned');

/** Records the BANNED_SIGN_IN risk event and refuses the sign-in with ACCOUNT_BANNED. */
async function refuseBannedSignIn(ctx: Context, user: User): Promise<never> {
  await recordRiskEvents(ctx.em, [
    {
      kind: RiskEventKind.BANNED_SIGN_IN,
      userId: user.id,
      ip: ctx.ip,
      deviceId: ctx.signals.deviceId,
      region: regionOf(ctx.ip, ctx.signals),
      detail: { bannedUntil: user.bannedUntil?.toISOString() ?? null },
      at: ctx.now(),
    },
  ]);
  throw bannedFailure();
}

/**
 * Rotates a refresh token. The conditional UPDATE marks the token used exactly once even when two
 * requests present it at the same moment; presenting an already-rotated token revokes the family.
 */
export async function refreshSession(ctx: Context, input: { refreshToken: string }): Promise<AuthResult> {
  await consumeOrThrow(ctx.deps.rateLimits.authByIp, ctx.ip);
  const invalid = () => new Failure(UserErrorCode.INVALID_REFRESH_TOKEN, 'Refresh token is invalid or expired; sign in again', ['input', 'refreshToken']);
  if (!/^[A-Za-z0-9_-]{43}$/.test(input.refreshToken)) throw invalid();
  const tokenHash = hashRefreshToken(input.refreshToken);

  const result = await ctx.em.transactional(async (em) => {
    const rotated = await em.execute<{ session_id: string }[]>(
      'update refresh_token set rotated_at = now() where token_hash = ? and rotated_at is null returning session_id',
      [tokenHash],
    );
    if (rotated.length === 0) return null;
    const session = await em.findOne(AuthSession, { id: rotated[0].session_id }, { populate: ['user'] });
    if (!session || session.revokedAt || session.expiresAt <= new Date()) throw invalid();
    const next = newRefreshToken();
    em.create(RefreshToken, { tokenHash: next.hash, session, createdAt: new Date() });
    await em.flush();
    ctx.signedInUserId = session.user.id;
    return {
      accessToken: signAccessToken(ctx.deps.config, { sub: session.user.id, sid: session.id }),
      refreshToken: next.token,
      user: session.user,
    };
  });
  if (result) return result;

  const revoked = await ctx.em.execute<{ id: string; user_id: string }[]>(
    `update auth_session set revoked_at = coalesce(revoked_at, now()), revoked_reason = coalesce(revoked_reason, 'refresh token reused')
     where id = (select session_id from refresh_token where token_hash = ?) returning id, user_id`,
    [tokenHash],
  );
  if (revoked.length > 0) {
    ctx.log.warn({ sessionId: revoked[0].id }, 'refresh token reused; session family revoked');
    // Its open subscription sockets close at once (src/realtime/ws.ts).
    await announceSessionsEnded(ctx, String(revoked[0].user_id), [revoked[0].id]);
    throw new Failure(UserErrorCode.REFRESH_TOKEN_REUSED, 'Refresh token was already used; every session of this sign-in has ended', ['input', 'refreshToken']);
  }
  throw invalid();
}

export async function logout(ctx: Context): Promise<void> {
  const ended = await ctx.em.execute<{ id: string }[]>("update auth_session set revoked_at = now(), revoked_reason = 'logout' where id = ? and revoked_at is null returning id", [
    ctx.viewer.sessionId,
  ]);
  // Its open subscription sockets close at once (src/realtime/ws.ts).
  if (ended.length > 0) await announceSessionsEnded(ctx, ctx.viewer.userId!, [ended[0].id]);
}

export async function changePassword(ctx: Context, input: { currentPassword: string; newPassword: string }): Promise<User> {
  const user = ctx.viewer.user!;
  const { loginFailures } = ctx.deps.rateLimits;
  await consumeOrThrow(loginFailures, user.email);
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw new Failure(UserErrorCode.INVALID_CREDENTIALS, 'Current password is wrong', ['input', 'currentPassword']);
  }
  const problems = new Problems();
  checkPasswordRules(problems, input.newPassword, user.email, ['input', 'newPassword']);
  if (problems.empty && input.newPassword === input.currentPassword) {
    problems.add(UserErrorCode.WEAK_PASSWORD, 'New password must differ from the current one', ['input', 'newPassword']);
  }
  await loginFailures.delete(user.email);
  problems.throwIfAny();

  const passwordHash = await hashPassword(input.newPassword);
  const wasRequired = user.passwordChangeRequired;
  const ended = await ctx.em.transactional(async (em) => {
    // A password change risk control asked for (after an unusual sign-in) is now done.
    await em.nativeUpdate(User, { id: user.id }, { passwordHash, passwordChangeRequired: false, updatedAt: new Date() });
    // Reset links asked for before the change are void, as resetPassword voids the others: none may undo it.
    await em.execute("update user_token set used_at = ? where user_id = ? and purpose = 'RESET_PASSWORD' and used_at is null", [ctx.now(), user.id]);
    return em.execute<{ id: string }[]>(
      "update auth_session set revoked_at = now(), revoked_reason = 'password changed' where user_id = ? and id <> ? and revoked_at is null returning id",
      [user.id, ctx.viewer.sessionId],
    );
  });
  // The other sessions' open subscription sockets close at once (src/realtime/ws.ts); this one's stay.
  await announceSessionsEnded(ctx, user.id, ended.map((s) => s.id));
  // This session's sockets re-read the user, so new subscriptions are no longer refused.
  if (wasRequired) await announceAccessChanged(ctx, user.id);
  user.passwordHash = passwordHash;
  user.passwordChangeRequired = false;
  return user;
}

/**
 * ADMIN only. Replaces the staff roles of the user with key `userId`. The platform always keeps
 * one ADMIN: admins are locked while the change is decided, so two admins demoting each other
 * cannot both succeed.
 */
export async function setStaffRoles(ctx: Context, input: { userId: string; roles: StaffRole[] }): Promise<User> {
  const roles = [...new Set(input.roles)].sort();
  const user = await ctx.em.transactional(async (em) => {
    // The condition sits on the locked rows themselves, so an admin demoted while this waits for the
    // lock drops out. NO KEY UPDATE conflicts with itself, which is all the serialisation needed.
    const admins = await lockWhere(em, User, "'ADMIN' = any(e.staff_roles)", [], { orderBy: 'e.id' });
    // The shield rule ran before this lock: an admin demoted meanwhile may no longer act.
    if (!admins.some((a) => a.id === ctx.viewer.userId)) throw new ForbiddenError();
    const user = await lockById(em, User, input.userId);
    if (!user) throw new Failure(UserErrorCode.USER_NOT_FOUND, 'No user with this ID', ['input', 'userId']);
    const wasAdmin = user.staffRoles.includes(StaffRole.ADMIN);
    if (wasAdmin && !roles.includes(StaffRole.ADMIN) && admins.length <= 1) {
      throw new Failure(UserErrorCode.LAST_ADMIN, 'The platform must keep at least one ADMIN', ['input', 'roles']);
    }
    const before = [...user.staffRoles];
    user.staffRoles = roles;
    recordAudit(ctx, em, { action: 'user.setStaffRoles', targetType: 'User', targetId: user.id, before: { roles: before }, after: { roles } });
    await em.flush();
    return user;
  });
  // The user's open feeds re-check their access at once (a role taken away ends the ones it granted).
  await announceAccessChanged(ctx, user.id);
  return user;
}

/** Staff directory for ADMINs: newest first, optionally filtered by an email prefix. */
export async function listUsers(ctx: Context, args: PageArgs & { search?: string | null }): Promise<Page<User>> {
  const window = pageWindow(args, ['id']);
  const search = args.search ? normaliseEmail(args.search) : '';
  const base = () => {
    const qb = ctx.em.createQueryBuilder(User, 'u');
    if (search) qb.andWhere('u.email like ?', [`${search.replace(/[\\%_]/g, '\\$&')}%`]);
    return qb;
  };
  const rows = await applyKeyset(base(), [{ column: 'u.id', direction: 'desc' }], window).getResultList();
  return page(rows, window, (u) => [u.id], () => base().getCount());
}
