import type { MikroORM } from '@mikro-orm/postgresql';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { SystemDeps } from '../context';
import { runTask, SCHEDULED_TASKS, TASK_TIME_ZONE } from '../services/platform';

/**
 * Runs every registered scheduled task (src/services/platform/tasks.ts) on its cron schedule with
 * pg-boss, in the same PostgreSQL (no extra server). pg-boss creates one job per schedule tick for
 * the whole cluster and hands it to one worker (singleton queues), so with several server
 * processes each task still runs once per tick; a run staff start by hand waits for a scheduled
 * one of the same task (and the other way round). Tasks are idempotent, so a retry is harmless.
 */
export interface Jobs {
  boss: PgBoss;
  stop(): Promise<void>;
}

export async function startJobs(opts: { url: string; orm: MikroORM; deps: SystemDeps; logger: Logger; pollingIntervalSeconds?: number }): Promise<Jobs> {
  const log = opts.logger.child({ component: 'jobs' });
  const boss = new PgBoss({ connectionString: opts.url, schema: 'pgboss', max: 2, application_name: 'marketplace-jobs' });
  boss.on('error', (err) => log.error({ err }, 'job queue error'));
  await boss.start();
  const names = new Set(SCHEDULED_TASKS.map((task) => task.name));
  // A task removed from the registry stops being scheduled.
  for (const schedule of await boss.getSchedules()) {
    if (!names.has(schedule.name)) await boss.unschedule(schedule.name);
  }
  for (const task of SCHEDULED_TASKS) {
    await boss.createQueue(task.name, { name: task.name, policy: 'singleton', retryLimit: 3, retryDelay: 10, expireInSeconds: 300 });
    await boss.schedule(task.name, task.schedule, undefined, { tz: TASK_TIME_ZONE });
    await boss.work(task.name, { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2 }, async () => {
      const run = await runTask(opts.deps, opts.orm.em.fork(), task);
      // Thrown after the failure is recorded, so pg-boss retries the job.
      if (run.error) throw run.error;
      if (run.done > 0) log.info({ job: task.name, done: run.done }, 'job done');
    });
  }
  log.info({ jobs: [...names] }, 'background jobs scheduled');
  return {
    boss,
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
