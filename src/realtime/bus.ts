import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Context } from '../context';
import { type LiveMessage, MAX_REVOKED_SESSIONS, type RevokeLiveMessage } from './messages';
import { PgLiveBus } from './pgBus';
import { RedisLiveBus } from './redisBus';

export type { LiveMessage, NotificationLiveMessage, OrderLiveMessage, RevokeLiveMessage } from './messages';

/**
 * Fan-out of live messages to every server process (every worker of every machine): what one
 * process publishes, each process's subscribers hear, the publisher's own included. Best effort:
 * a process that is not connected when a message passes misses it (the inbox and the outbox are
 * the durable record; live feeds are for what happens while one watches).
 */
export interface LiveBus {
  /**
   * Whether publishing inside a transaction delivers on its commit (PostgreSQL NOTIFY). When
   * false (Redis), publish only after the transaction has committed.
   */
  readonly transactional: boolean;
  /**
   * Sends `messages`, in order. PostgreSQL: one `pg_notify` statement on `em` when given (inside
   * its transaction, delivered when it commits, dropped when it rolls back), else on the bus's own
   * connection. Redis: at once; `em` is ignored. A message over 7999 bytes is a programming error:
   * it throws before anything is sent.
   */
  publish(messages: LiveMessage[], em?: EntityManager): Promise<void>;
  /** Calls `handler` with every message any process publishes from now on; returns the unsubscribe function. */
  subscribe(handler: (message: LiveMessage) => void): () => void;
  /** Resolves once the first attempt to listen, started by the first `subscribe`, has settled (listening or retrying in the background). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The channel every process listens on. */
export const LIVE_CHANNEL = 'marketplace_live';

/**
 * The bus of this deployment: Redis pub/sub when REDIS_URL is set, else PostgreSQL LISTEN/NOTIFY
 * on the database at `dbUrl` (no extra server).
 */
export function createLiveBus(config: Pick<Config, 'redisUrl'>, dbUrl: string, logger: Logger): LiveBus {
  const log = logger.child({ component: 'live-bus' });
  return config.redisUrl ? new RedisLiveBus(config.redisUrl, redisChannel(dbUrl), log) : new PgLiveBus(dbUrl, LIVE_CHANNEL, log);
}

/**
 * The Redis channel of the deployment whose database is at `dbUrl`. NOTIFY is scoped to one
 * database by PostgreSQL itself; a Redis server may be shared by several deployments (staging and
 * production, or the test files running side by side), so its channel names the database.
 */
function redisChannel(dbUrl: string): string {
  let database = '';
  try {
    database = decodeURIComponent(new URL(dbUrl).pathname.replace(/^\//, ''));
  } catch {
    // Not a URL: one channel for whatever it is.
  }
  return database ? `${LIVE_CHANNEL}:${database}` : LIVE_CHANNEL;
}

/**
 * Tells every process that sessions of the user `userId` ended (`sessionIds`, or every session of
 * the user when absent), so each closes the sockets signed in with them, with 4401, at once
 * (src/realtime/ws.ts). Call it once the revocation has committed. Best effort, like the whole bus:
 * a failure is logged, never thrown, for the revocation itself stands, and every socket re-checks
 * its session within ACCESS_RECHECK_INTERVAL_MS (src/realtime/ws.ts) anyway.
 */
/**
 * Tells every process that what the user `userId` may see changed (a shop membership removed or its
 * role changed, staff roles changed), so each re-checks the user's open feeds at once
 * (src/realtime/ws.ts), ending those now refused. Call it once the change has committed. Best
 * effort: a failure is logged, and the periodic re-check (ACCESS_RECHECK_INTERVAL_MS) still comes.
 */
export async function announceAccessChanged(ctx: Pick<Context, 'deps' | 'log'>, userId: string): Promise<void> {
  const { bus } = ctx.deps;
  if (!bus) return;
  try {
    await bus.publish([{ t: 'access', userId }]);
  } catch (err) {
    ctx.log.warn({ err, userId }, 'could not announce a change of access on the live bus; the feeds re-check at their next interval');
  }
}

export async function announceSessionsEnded(ctx: Pick<Context, 'deps' | 'log'>, userId: string, sessionIds?: readonly string[]): Promise<void> {
  const { bus } = ctx.deps;
  if (!bus || sessionIds?.length === 0) return;
  const messages: RevokeLiveMessage[] = [];
  if (!sessionIds) messages.push({ t: 'revoke', userId });
  else for (let i = 0; i < sessionIds.length; i += MAX_REVOKED_SESSIONS) messages.push({ t: 'revoke', userId, sessionIds: sessionIds.slice(i, i + MAX_REVOKED_SESSIONS) });
  try {
    await bus.publish(messages);
  } catch (err) {
    ctx.log.warn({ err, userId }, 'could not announce ended sessions on the live bus; their sockets close at their next session re-check');
  }
}
