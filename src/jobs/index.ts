import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { SystemDeps } from '../context';
import { autoConfirmDeliveries, completeOrders, expireCheckouts, purgeRateLimits } from '../services/orders';
import { processRefunds } from '../services/payments';

type Job = (deps: SystemDeps, em: EntityManager) => Promise<number>;

/**
 * Background jobs, each run every minute by pg-boss in the same PostgreSQL (no extra server).
 * pg-boss creates one job per schedule tick for the whole cluster and hands it to one worker
 * (singleton queues), so with several server processes each job still runs once per minute. The
 * jobs themselves claim rows with SKIP LOCKED and are idempotent, so a retry is harmless.
 */
export const JOBS: Record<string, Job> = {
  'expire-checkouts': expireCheckouts,
  'auto-confirm-deliveries': autoConfirmDeliveries,
  'complete-orders': completeOrders,
  'send-refunds': processRefunds,
  'purge-rate-limits': purgeRateLimits,
};

export interface Jobs {
  boss: PgBoss;
  stop(): Promise<void>;
}

export async function startJobs(opts: { url: string; orm: MikroORM; deps: SystemDeps; logger: Logger; pollingIntervalSeconds?: number }): Promise<Jobs> {
  const log = opts.logger.child({ component: 'jobs' });
  const boss = new PgBoss({ connectionString: opts.url, schema: 'pgboss', max: 2, application_name: 'marketplace-jobs' });
  boss.on('error', (err) => log.error({ err }, 'job queue error'));
  await boss.start();
  for (const [name, job] of Object.entries(JOBS)) {
    await boss.createQueue(name, { name, policy: 'singleton', retryLimit: 3, retryDelay: 10, expireInSeconds: 300 });
    await boss.schedule(name, '* * * * *');
    await boss.work(name, { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2 }, async () => {
      const done = await job(opts.deps, opts.orm.em.fork());
      if (done > 0) log.info({ job: name, done }, 'job done');
    });
  }
  log.info({ jobs: Object.keys(JOBS) }, 'background jobs scheduled');
  return {
    boss,
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
