import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config';
import { type Database, openDatabase } from './db/database';
import { createRateLimits, type RateLimits } from './services/rateLimits';

export interface Runtime {
  db: Database;
  rateLimits: RateLimits;
  close(): Promise<void>;
}

/** Opens what a server process shares across requests: the database and the rate-limit store. */
export async function openRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const db = await openDatabase(config, logger, { migrate: true });
  let redis: Redis | undefined;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false });
    await redis.connect();
  }
  const rateLimits = createRateLimits(config, redis ? { redis } : { knex: db.orm.em.getKnex() });
  return {
    db,
    rateLimits,
    async close() {
      await redis?.quit().catch(() => undefined);
      await db.close();
    },
  };
}
