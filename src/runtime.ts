import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config';
import { type Database, openDatabase } from './db/database';
import { type Jobs, startJobs } from './jobs';
import { systemClock } from './services/shared';
import { createRateLimits, type RateLimits } from './services/identity';
import { createLiveBus, type LiveBus } from './realtime/bus';

export interface Runtime {
  db: Database;
  rateLimits: RateLimits;
  /** The live bus of this process: the job workers publish on it, the app's subscriptions listen on it. */
  bus: LiveBus;
  jobs?: Jobs;
  close(): Promise<void>;
}

/** Opens what a server process shares across requests: the database, the rate-limit store and the job workers. */
export async function openRuntime(config: Config, logger: Logger, options: { migrate?: boolean; jobs?: boolean } = {}): Promise<Runtime> {
  const db = await openDatabase(config, logger, { migrate: options.migrate ?? true, createDatabase: true });
  let redis: Redis | undefined;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false });
    await redis.connect();
  }
  const rateLimits = createRateLimits(config, redis ? { redis } : { knex: db.orm.em.getKnex() });
  const bus = createLiveBus(config, db.url, logger);
  const jobs = (options.jobs ?? config.jobsEnabled) ? await startJobs({ url: db.url, orm: db.orm, deps: { config, clock: systemClock, bus }, logger }) : undefined;
  return {
    db,
    rateLimits,
    bus,
    jobs,
    async close() {
      await jobs?.stop().catch((err) => logger.warn({ err }, 'stopping the job workers failed'));
      await bus.close();
      await redis?.quit().catch(() => undefined);
      await db.close();
    },
  };
}
