import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { StaffRole, User } from '../../entities';
import { Failure, ForbiddenError, Problems, UserErrorCode } from '../../errors';
import { lockById } from '../../db/rows';
import { announceSessionsEnded } from '../../realtime/bus';
import { recordAudit } from '../platform';
import { charLength } from '../shared';

export const MAX_BAN_REASON = 500;

/** Whether `user` is banned at `now`: banned, and for good or until a later time. */
export function isBanned(user: Pick<User, 'bannedAt' | 'bannedUntil'>, now: Date): boolean {
  return user.bannedAt != null && (user.bannedUntil == null || user.bannedUntil > now);
}

function banSummary(user: User): Record<string, unknown> {
  return { bannedAt: user.bannedAt?.toISOString() ?? null, bannedUntil: user.bannedUntil?.toISOString() ?? null, banReason: user.banReason ?? null };
}

/**
 * Locks the user a ban or unban acts on. Banning or unbanning staff takes ADMIN (FORBIDDEN for
 * other staff); nobody bans or unbans themself.
 */
async function lockTarget(ctx: Context, em: EntityManager, userId: string): Promise<User> {
  if (userId === ctx.viewer.userId) throw new Failure(UserErrorCode.INVALID_INPUT, 'You cannot ban or unban yourself', ['input', 'userId']);
  const user = await lockById(em, User, userId);
  if (!user) throw new Failure(UserErrorCode.USER_NOT_FOUND, 'No user with this ID', ['input', 'userId']);
  if (user.staffRoles.length > 0 && !ctx.viewer.hasStaffRole(StaffRole.ADMIN)) throw new ForbiddenError('Only an ADMIN may ban or unban staff');
  return user;
}

/**
 * Bans a user (staff RISK; staff only by an ADMIN) until `until`, or for good: every live session
 * is revoked in the same transaction, so their access tokens fail with 401 from now on, and their
 * open subscription sockets are closed at once; sign-in is refused with ACCOUNT_BANNED while the
 * ban lasts. Banning a banned user replaces the ban. The user row is locked, so a sign-in under way
 * either sees the ban or has its new session revoked with the others. Audited.
 */
export async function banUser(ctx: Context, input: { userId: string; reason: string; until?: Date | null }): Promise<User> {
  const now = ctx.now();
  const reason = input.reason.trim();
  const problems = new Problems();
  if (charLength(reason) < 1 || charLength(reason) > MAX_BAN_REASON) problems.add(UserErrorCode.INVALID_INPUT, `Give a reason of 1 to ${MAX_BAN_REASON} characters`, ['input', 'reason']);
  if (input.until && input.until <= now) problems.add(UserErrorCode.INVALID_INPUT, 'The end of the ban must be in the future', ['input', 'until']);
  problems.throwIfAny();

  const user = await ctx.em.transactional(async (em) => {
    const user = await lockTarget(ctx, em, input.userId);
    const before = banSummary(user);
    user.bannedAt = now;
    user.bannedUntil = input.until ?? null;
    user.banReason = reason;
    await em.execute("update auth_session set revoked_at = ?, revoked_reason = 'banned' where user_id = ? and revoked_at is null", [now, user.id]);
    recordAudit(ctx, em, { action: 'user.ban', targetType: 'User', targetId: user.id, before, after: banSummary(user) });
    await em.flush();
    return user;
  });
  // Every session of the user ended: all their sockets close, on every server process.
  await announceSessionsEnded(ctx, user.id);
  return user;
}

/** Lifts a user's ban (staff RISK; staff only by an ADMIN): they may sign in again. Not banned is INVALID_INPUT. Audited, with the reason when given. */
export async function unbanUser(ctx: Context, input: { userId: string; reason?: string | null }): Promise<User> {
  const reason = input.reason?.trim() || null;
  if (reason !== null && charLength(reason) > MAX_BAN_REASON) throw new Failure(UserErrorCode.INVALID_INPUT, `The reason may have at most ${MAX_BAN_REASON} characters`, ['input', 'reason']);
  return ctx.em.transactional(async (em) => {
    const user = await lockTarget(ctx, em, input.userId);
    if (!isBanned(user, ctx.now())) throw new Failure(UserErrorCode.INVALID_INPUT, 'This user is not banned', ['input', 'userId']);
    const before = banSummary(user);
    user.bannedAt = null;
    user.bannedUntil = null;
    user.banReason = null;
    recordAudit(ctx, em, { action: 'user.unban', targetType: 'User', targetId: user.id, before, after: { ...banSummary(user), reason } });
    await em.flush();
    return user;
  });
}
