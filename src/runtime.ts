import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config';
import { type Database, openDatabase } from './db/database';
import { type Jobs, startJobs } from './jobs';
import { systemClock } from './services/shared';
import { createRateLimits, type RateLimits } from './services/identity';

export interface Runtime {
  db: Database;
  rateLimits: RateLimits;
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
  const jobs = (options.jobs ?? config.jobsEnabled) ? await startJobs({ url: db.url, orm: db.orm, deps: { config, clock: systemClock }, logger }) : undefined;
  return {
    db,
    rateLimits,
    jobs,
    async close() {
      await jobs?.stop().catch((err) => logger.warn({ err }, 'stopping the job workers failed'));
      await redis?.quit().catch(() => undefined);
      await db.close();
    },
  };
}
