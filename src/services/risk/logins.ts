import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { lockClause } from '../../db/rows';
import { regionOf } from './signals';

/**
 * Counts a failed sign-in against the account with this (normalised) email, if there is one, and
 * when the account's failures in its window reach LOGIN_FAILURE_BURST records one
 * LOGIN_FAILURE_BURST risk event: one statement, the same whether or not the account exists (a
 * guesser learns nothing from its timing). The window opens at the first failure and lasts
 * LOGIN_FAILURE_WINDOW_MINUTES; the upsert counts under the row's lock, so exactly one failure
 * reaches the threshold however many arrive together, and later ones in the window add no event.
 */
export async function recordLoginFailure(ctx: Context, email: string): Promise<void> {
  const { loginFailureBurst, loginFailureWindowMinutes } = ctx.deps.config.risk;
  const now = ctx.now();
  const windowOpen = new Date(now.getTime() - loginFailureWindowMinutes * 60_000);
  await ctx.em.getConnection().execute(
    `with w as (
       insert into login_failure_window as w (user_id, started_at, failures)
       select id, ?, 1 from users where email = ?
       on conflict (user_id) do update set
         started_at = case when w.started_at > ? then w.started_at else excluded.started_at end,
         failures = case when w.started_at > ? then w.failures + 1 else 1 end
       returning user_id, failures)
     insert into risk_event (kind, user_id, ip, device_id, region, detail, at)
     select 'LOGIN_FAILURE_BURST', w.user_id, ?, ?, ?, jsonb_build_object('failures', w.failures, 'windowMinutes', ?::int), ?
     from w where w.failures = ?`,
    [now, email, windowOpen, windowOpen, ctx.ip, ctx.signals.deviceId ?? null, regionOf(ctx.ip, ctx.signals), loginFailureWindowMinutes, now, loginFailureBurst],
  );
}

export interface SignInChecks {
  /** The user is banned at this moment (a ban that committed while the password was being checked). */
  banned: boolean;
  /** A NEW_DEVICE_REGION risk event was recorded. */
  anomaly: boolean;
  /** The account now must change its password (RISK_FORCE_PASSWORD_CHANGE with an anomaly). */
  passwordChangeRequired: boolean;
}

/**
 * Run in the sign-in's transaction before its session is created, in one statement:
 * - locks the user row and re-reads the ban, so a ban deciding at the same moment either is seen
 *   here or revokes the new session with the others (banUser locks the row too);
 * - compares the sign-in with the account's earlier ones (those recorded with a region, i.e. since
 *   risk control): when there are some, and none came from this device (the X-Device-Id when sent,
 *   else the user agent) nor from this region, records a NEW_DEVICE_REGION risk event and, with
 *   RISK_FORCE_PASSWORD_CHANGE, sets `users.password_change_required`.
 */
export async function signInChecks(ctx: Context, em: EntityManager, userId: string): Promise<SignInChecks> {
  const now = ctx.now();
  const deviceId = ctx.signals.deviceId ?? null;
  const userAgent = ctx.userAgent?.slice(0, 500) ?? null;
  const region = regionOf(ctx.ip, ctx.signals);
  const force = ctx.deps.config.risk.forcePasswordChange;
  const [row] = await em.execute<{ banned: boolean; anomaly: boolean; flagged: boolean }[]>(
    `with u as (
       select id, banned_at is not null and (banned_until is null or banned_until > ?) as banned
       from users where id = ? ${lockClause({ lock: 'no key update' })}),
     prior as (
       select count(*) as sessions,
              coalesce(bool_or(case when ?::text is not null then device_id = ? else user_agent is not distinct from ?::text end), false) as same_device,
              coalesce(bool_or(region = ?), false) as same_region
       from auth_session where user_id = ? and region is not null),
     ev as (
       insert into risk_event (kind, user_id, ip, device_id, region, detail, at)
       select 'NEW_DEVICE_REGION', u.id, ?, ?, ?, jsonb_build_object('userAgent', ?::text, 'passwordChangeRequired', ?::boolean), ?
       from u, prior where not u.banned and prior.sessions > 0 and not prior.same_device and not prior.same_region
       returning user_id),
     flag as (
       update users set password_change_required = true where ?::boolean and id in (select user_id from ev) returning id)
     select u.banned, exists (select 1 from ev) as anomaly, exists (select 1 from flag) as flagged from u`,
    [now, userId, deviceId, deviceId, userAgent, region, userId, ctx.ip, deviceId, region, userAgent, force, now, force],
  );
  return { banned: row?.banned === true, anomaly: row?.anomaly === true, passwordChangeRequired: row?.flagged === true };
}
