import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config';
import { columnsOf } from './db/rows';
import { User } from './entities';
import { UnauthenticatedError } from './errors';
import { createLoaders, type Loaders } from './loaders';
import type { LiveBus } from './realtime/bus';
import type { Clock } from './services/shared';
import type { RateLimits } from './services/identity';
import { type AccessClaims, verifyAccessToken } from './services/identity';
import type { RiskSignals } from './services/risk/signals';
import { Viewer } from './viewer';

/** Long-lived, per-process dependencies handed to every request. */
export interface AppDeps {
  config: Config;
  rateLimits: RateLimits;
  clock: Clock;
  /** The live bus (src/realtime/bus.ts): set by buildApp and by the runtime for the job workers; absent in bare scripts and unit tests. */
  bus?: LiveBus;
}

/** What work outside a request (jobs, webhooks) needs: configuration, the business clock and, when there is one, the live bus. */
export type SystemDeps = Pick<AppDeps, 'config' | 'clock' | 'bus'>;

/** Per-request context: its own EntityManager fork, the viewer, loaders, request id and logger. */
export interface Context {
  em: EntityManager;
  viewer: Viewer;
  loaders: Loaders;
  requestId: string;
  log: FastifyBaseLogger;
  ip: string;
  userAgent: string | undefined;
  /** The request's device id and region (src/services/risk/signals.ts), for login anomalies, blacklists and checkout scoring. */
  signals: RiskSignals;
  deps: AppDeps;
  /** The business clock's current time: every time-based rule reads it here, so tests can move it. */
  now(): Date;
  /** The user register/login/refreshSession signed in during this request (may read their own payload). */
  signedInUserId?: string;
}

const BEARER = /^Bearer ([A-Za-z0-9_.-]+)$/;

/** The claims of a well-formed, valid and unexpired bearer token in `authorization`, else null (the session is not checked). */
export function accessClaims(config: Config, authorization: string): AccessClaims | null {
  const token = BEARER.exec(authorization.trim())?.[1];
  const claims = token ? verifyAccessToken(config, token) : null;
  return claims && /^[0-9a-f-]{36}$/.test(claims.sid) ? claims : null;
}

/**
 * Resolves the Authorization header to a viewer. No header is anonymous; a header with an invalid,
 * expired or revoked token fails the whole request with 401 (never silently anonymous). The session
 * row is checked on every request so logout and password changes take effect at once.
 */
export async function resolveViewer(em: EntityManager, config: Config, authorization: string | undefined): Promise<Viewer> {
  if (authorization === undefined || authorization === '') return Viewer.anonymous(em);
  const claims = accessClaims(config, authorization);
  if (!claims) throw new UnauthenticatedError('Invalid or expired access token', 401);
  // One statement, hydrated without the query builder: this runs on every signed-in request. The
  // session's state is decided in SQL (raw rows carry timestamps as strings, not Dates).
  const [row] = await em.execute<Record<string, unknown>[]>(
    `select s.revoked_at is null and s.expires_at > now() as "s.live", ${columnsOf(em, User, 'u')}
     from auth_session s join users u on u.id = s.user_id where s.id = ?`,
    [claims.sid],
  );
  if (!row || row['s.live'] !== true || String(row.id) !== claims.sub) {
    throw new UnauthenticatedError('Session has ended; sign in again', 401);
  }
  const { 's.live': _live, ...userRow } = row;
  return new Viewer(em, em.map(User, userRow as never), claims.sid);
}

export async function createContext(
  deps: AppDeps,
  em: EntityManager,
  request: { id: string; log: FastifyBaseLogger; ip: string; authorization?: string; userAgent?: string; signals?: RiskSignals },
): Promise<Context> {
  const viewer = await resolveViewer(em, deps.config, request.authorization);
  return {
    em,
    viewer,
    loaders: createLoaders(em, () => deps.clock.now()),
    requestId: request.id,
    log: request.log,
    ip: request.ip,
    userAgent: request.userAgent,
    signals: request.signals ?? {},
    deps,
    now: () => deps.clock.now(),
  };
}

/**
 * A context outside any HTTP request, for seeds, scripts and tests that call services directly as
 * a given viewer.
 */
export function contextAs(deps: AppDeps, em: EntityManager, viewer: Viewer, opts: { requestId: string; log: FastifyBaseLogger }): Context {
  return { em, viewer, loaders: createLoaders(em, () => deps.clock.now()), requestId: opts.requestId, log: opts.log, ip: '127.0.0.1', userAgent: undefined, signals: {}, deps, now: () => deps.clock.now() };
}
