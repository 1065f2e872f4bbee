import { createHash } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../../config';
import { RateLimitedError } from '../../errors';

/**
 * Limits shared by every server process: kept in Redis when REDIS_URL is set, otherwise in a
 * PostgreSQL table (`rate_limit`, created by a migration). Never in process memory, so two
 * workers or two machines enforce one limit together.
 */
export interface RateLimits {
  /** register / login / refreshSession per client IP. */
  authByIp: RateLimiterAbstract;
  /** Failed logins per account (normalised email). */
  loginFailures: RateLimiterAbstract;
  /** Password reset requests per email address (normalised), known or not: apart from loginFailures, so a locked-out user can still ask. */
  passwordResets: RateLimiterAbstract;
  /** `trackEvents` calls per client IP per minute (TRACK_EVENTS_PER_MINUTE). */
  trackEvents: RateLimiterAbstract;
}

/**
 * Counters are stored under `<limiter>:<sha256 hex of the identifier>`: 64 hex digits however long
 * the identifier (an email of any length, an IP), so every key fits the PostgreSQL store's
 * varchar(255) column, and no email sits in the store in clear. Every operation of a limiter
 * (consume, delete, get, block …) names its key through getKey.
 */
const hashed = (key: string | number) => createHash('sha256').update(String(key)).digest('hex');

class HashedKeysPostgres extends RateLimiterPostgres {
  override getKey(key: string | number): string {
    return super.getKey(hashed(key));
  }
}

class HashedKeysRedis extends RateLimiterRedis {
  override getKey(key: string | number): string {
    return super.getKey(hashed(key));
  }
}

export function createRateLimits(config: Config, store: { knex: Knex } | { redis: Redis }): RateLimits {
  const make = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract =>
    'redis' in store
      ? new HashedKeysRedis({ storeClient: store.redis, keyPrefix, points, duration, useRedisPackage: false })
      : new HashedKeysPostgres({
          storeClient: store.knex,
          storeType: 'knex',
          tableName: 'rate_limit',
          tableCreated: true,
          clearExpiredByTimeout: false,
          keyPrefix,
          points,
          duration,
        });
  return {
    authByIp: make('auth_ip', config.rateLimit.authPerMinute, config.rateLimit.authWindowSeconds),
    loginFailures: make('login_fail', config.rateLimit.loginFailuresPerAccount, config.rateLimit.loginFailureWindowSeconds),
    passwordResets: make('pw_reset', config.rateLimit.passwordResetsPerHour, 3600),
    trackEvents: make('track_events', config.analytics.trackEventsPerMinute, 60),
  };
}

function retryAfter(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/** Spends one point of `key`; throws RATE_LIMITED when none is left. Store errors propagate. */
export async function consumeOrThrow(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw new RateLimitedError(retryAfter(rejection));
    throw rejection;
  }
}

/**
 * Deletes the PostgreSQL store's expired counters (task `purge-rate-limits`). The store measures
 * expiry in wall-clock milliseconds, so this compares with the database's clock, not the business one.
 */
export async function purgeRateLimits(em: EntityManager): Promise<number> {
  const rows = await em.execute<{ n: number }[]>(
    'with gone as (delete from rate_limit where expire is not null and expire < (extract(epoch from now()) * 1000)::bigint returning 1) select count(*)::int as n from gone',
  );
  return rows[0]?.n ?? 0;
}
