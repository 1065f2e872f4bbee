import type { MikroORM } from '@mikro-orm/postgresql';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { SystemDeps } from '../context';
import { runTask, SCHEDULED_TASKS, TASK_TIME_ZONE } from '../services/platform';
import { PgListener } from '../db/listener';
import { dispatchNotifications } from '../services/notifications/dispatch';
import { MESSAGES_PENDING_CHANNEL, sendPendingMessages } from '../services/notifications/messages';
import { deliverWebhooks } from '../services/notifications/webhookDelivery';
import { backgroundRun } from './background';

/**
 * How often the job process looks for undispatched outbox events: one probe of a partial index
 * that holds only the pending ones. Polled rather than signalled: a NOTIFY from every checkout and
 * payment would serialise their commits cluster-wide (PostgreSQL holds one lock across a notifying
 * commit), for a saving of at most this interval.
 */
export const OUTBOX_POLL_MS = 100;
/**
 * Scheduled tasks this process runs at once. A run holds one pooled connection for its whole
 * length (the row that keeps runs of a task from overlapping) and its work takes more: left to
 * pg-boss, the every-minute tasks would start together at the top of each minute and could take
 * every connection of the pool, each waiting for one more, until requests time out.
 */
export const TASKS_AT_ONCE = 2;

/** At most `n` of the functions given to `run` at a time; the others wait their turn, in order. */
function slots(n: number): { run<T>(work: () => Promise<T>): Promise<T> } {
  let free = n;
  const waiting: (() => void)[] = [];
  return {
    async run(work) {
      if (free > 0) free -= 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await work();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else free += 1;
      }
    },
  };
}

/** How long the probe rests after a failed dispatch. */
const DISPATCH_REST_MS = 5000;
/** application_name of the job process's LISTEN session. */
export const JOBS_LISTENER_NAME = 'marketplace-jobs-wake';

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

export async function startJobs(opts: { url: string; orm: MikroORM; deps: SystemDeps; logger: Logger; pollingIntervalSeconds?: number; outboxPollMs?: number }): Promise<Jobs> {
  const log = opts.logger.child({ component: 'jobs' });
  const boss = new PgBoss({ connectionString: opts.url, schema: 'pgboss', max: 2, application_name: 'marketplace-jobs' });
  boss.on('error', (err) => log.error({ err }, 'job queue error'));
  await boss.start();
  const names = new Set(SCHEDULED_TASKS.map((task) => task.name));
  const taskSlots = slots(TASKS_AT_ONCE);
  // A task removed from the registry stops being scheduled.
  for (const schedule of await boss.getSchedules()) {
    if (!names.has(schedule.name)) await boss.unschedule(schedule.name);
  }
  for (const task of SCHEDULED_TASKS) {
    await boss.createQueue(task.name, { name: task.name, policy: 'singleton', retryLimit: 3, retryDelay: 10, expireInSeconds: 300 });
    await boss.schedule(task.name, task.schedule, undefined, { tz: TASK_TIME_ZONE });
    await boss.work(task.name, { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2 }, async () => {
      const run = await taskSlots.run(() => runTask(opts.deps, opts.orm.em.fork(), task));
      // Thrown after the failure is recorded, so pg-boss retries the job.
      if (run.error) throw run.error;
      if (run.done > 0) log.info({ job: task.name, done: run.done }, 'job done');
    });
  }
  log.info({ jobs: [...names] }, 'background jobs scheduled');

  // Between the every-minute ticks, the outbox is dispatched within OUTBOX_POLL_MS of a commit, and
  // what the dispatch queued is sent at once: notifications reach sockets in a fraction of a second.
  const { deps, orm } = opts;
  // Only messages not tried yet: a burst of kicks must not use up a failing message's attempts (the task retries those).
  const sending = backgroundRun('send-messages', async () => void (await sendPendingMessages(deps, orm.em.fork(), { newOnly: true })), log);
  const delivering = backgroundRun('deliver-webhooks', async () => void (await deliverWebhooks(deps, orm.em.fork())), log);
  // After a failed dispatch (the database away, say) the probe rests a while instead of retrying ten times a second.
  let restUntil = 0;
  const dispatching = backgroundRun(
    'dispatch-notifications',
    async () => {
      try {
        const r = await dispatchNotifications(deps, orm.em.fork());
        if (r.messages > 0) sending.kick();
        if (r.deliveries > 0) delivering.kick();
      } catch (err) {
        restUntil = Date.now() + DISPATCH_REST_MS;
        throw err;
      }
    },
    log,
  );
  const wake = new PgListener(
    opts.url,
    [MESSAGES_PENDING_CHANNEL],
    JOBS_LISTENER_NAME,
    {
      notify: () => sending.kick(),
      // Whatever was queued while the connection was down.
      up: () => sending.kick(),
    },
    log,
  );
  await wake.start();
  let probing = false;
  const poll = setInterval(() => {
    if (probing || Date.now() < restUntil) return;
    probing = true;
    orm.em
      .fork()
      .execute<{ due: boolean }[]>('select exists (select 1 from outbox_event where dispatched_at is null) as due')
      .then(([row]) => row?.due && dispatching.kick())
      .catch((err) => log.debug({ err }, 'outbox probe failed; retried at the next tick'))
      .finally(() => (probing = false));
  }, opts.outboxPollMs ?? OUTBOX_POLL_MS);
  poll.unref();
  dispatching.kick();
  return {
    boss,
    async stop() {
      clearInterval(poll);
      await wake.close();
      await Promise.all([dispatching.stop(), sending.stop(), delivering.stop()]);
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
